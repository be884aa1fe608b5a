"""The one description of the machine a benchmark ran on, recorded beside every result.

:func:`machine_info` is the record (CPU, cores, memory, Python, platform, package versions, the git
commit of the checkout); :func:`machine_line` is how results pages name it in one line.
"""

from __future__ import annotations

import os
import platform
import subprocess
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def cpu_name() -> str:
    """The CPU model from /proc/cpuinfo (else what :mod:`platform` says)."""
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def machine_info() -> dict:
    import importlib.metadata as md

    cpu = cpu_name()
    try:
        import psutil

        ram = psutil.virtual_memory().total
    except ImportError:
        ram = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")
    versions = {}
    for pkg in (
        "nkdiplomacy",
        "numpy",
        "scikit-learn",
        "torch",
        "transformers",
        "tokenizers",
        "onnxruntime",
        "datasets",
        "trafilatura",
        "justext",
        "psutil",
    ):
        try:
            versions[pkg] = md.version(pkg)
        except md.PackageNotFoundError:
            versions[pkg] = None
    try:
        commit = subprocess.run(
            ["git", "rev-parse", "--short", "HEAD"], check=False, cwd=ROOT, capture_output=True, text=True
        ).stdout.strip()
        dirty = bool(
            subprocess.run(
                ["git", "status", "--porcelain"], check=False, cwd=ROOT, capture_output=True, text=True
            ).stdout.strip()
        )
    except OSError:
        commit, dirty = "", False
    return {
        "cpu": cpu,
        "cores": os.cpu_count(),
        "usable_cores": len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count(),
        "ram_gb": round(ram / 2**30, 1),
        "python": platform.python_version(),
        "platform": platform.platform(),
        "packages": versions,
        "git_commit": commit + ("+dirty" if dirty else ""),
    }


def machine_line(info: dict | None = None) -> str:
    """``info`` (default: this machine's) in one line: CPU, usable cores, memory, Python."""
    info = info or machine_info()
    return f"{info['cpu']}, {info['usable_cores']} cores, {info['ram_gb']} GiB, Python {info['python']}"
