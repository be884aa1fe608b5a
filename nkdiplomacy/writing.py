"""Writing a file or a folder the user named: whole or not at all, and never over what is not ours.

- An output file is resolved through symbolic links (the link stays, its target is written). A
  regular file, or a new one, is written to a temporary file beside it and renamed over it when the
  run ends well, keeping its mode; anything else that exists (``/dev/null``, a terminal, a FIFO of a
  process substitution) is written through, never replaced. An input of the same run is refused.
- A model folder replaces only an empty folder or a model folder (one holding an ``MLmodel`` file or a
  model manifest); it is written beside its target and swapped in, so a failure (a full disk) leaves
  the old folder whole and no partial folder behind.
"""

from __future__ import annotations

import os
import secrets
import shutil
import stat
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import TextIO

MODEL_MARKERS = ("MLmodel", "manifest.json")


class WriteError(ValueError):
    """A file or folder that cannot or must not be written; one line naming it."""


def resolve_output(path: str | Path, inputs: Iterable[str | Path] = (), option: str = "--output") -> Path:
    """The file that ``path`` names, links followed, checked before any work is done.

    Raises:
        WriteError: a folder, a missing parent folder, a read-only file (a rename would replace it
            all the same), or a file that is also an input of this run.
    """
    given = Path(path)
    real = Path(os.path.realpath(given))
    if real.is_dir():
        raise WriteError(f"{given}: {option} is a folder")
    if not real.parent.is_dir():
        raise WriteError(f"{given}: no such folder {given.parent}")
    if real.is_file() and (not os.access(real, os.W_OK) or not real.stat().st_mode & 0o222):
        # Marked read-only (no write bit, or not writable by this user): a rename would replace it anyway.
        raise WriteError(f"{given}: is read-only; {option} replaces only a file it may write")
    if real.is_file():
        for item in inputs:
            if os.path.isfile(item) and os.path.samefile(item, real):
                raise WriteError(f"{given}: {option} is also an input of this run ({item})")
    return real


class WholeFile:
    """A text stream onto ``target`` (from :func:`resolve_output`): :meth:`finish` with ``ok`` puts
    it in place; without, a regular file is left as it was. Non-regular files are written through."""

    def __init__(self, target: Path, shown: str | Path | None = None):
        self.target, self.shown = target, shown or target
        self.tmp: Path | None = None
        exists = target.exists()
        try:
            if exists and not stat.S_ISREG(target.stat().st_mode):
                self.stream: TextIO = open(target, "w", encoding="utf-8", newline="")  # noqa: SIM115
                return
            self.tmp = target.parent / f".{target.name}.{secrets.token_hex(4)}.tmp"
            fd = os.open(self.tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o666)
        except OSError as exc:
            raise WriteError(f"{self.shown}: cannot write ({exc.strerror})") from None
        if exists:
            os.chmod(self.tmp, stat.S_IMODE(target.stat().st_mode))
        self.stream = os.fdopen(fd, "w", encoding="utf-8", newline="")

    def finish(self, ok: bool) -> None:
        try:
            self.stream.close()
            if ok and self.tmp is not None:
                os.replace(self.tmp, self.target)
        except OSError as exc:
            raise WriteError(f"{self.shown}: cannot write ({exc.strerror})") from None
        finally:
            if self.tmp is not None:
                self.tmp.unlink(missing_ok=True)


def write_text_whole(target: Path, write: Callable[[TextIO], None], shown: str | Path | None = None) -> None:
    """Write ``target`` (from :func:`resolve_output`) whole or not at all through ``write(stream)``."""
    out = WholeFile(target, shown)
    ok = False
    try:
        write(out.stream)
        ok = True
    except OSError as exc:
        raise WriteError(f"{shown or target}: cannot write ({exc.strerror})") from None
    finally:
        out.finish(ok)


def check_model_folder(
    path: str | Path, keep: Iterable[str | Path] = (), option: str = "--save-model"
) -> Path:
    """The folder a model may be saved to, checked before training: absent, empty or a model folder,
    not the working folder or one above it, and not holding (or inside the folder of) a file of ``keep``.

    Raises:
        WriteError: one line naming the folder and why it is refused.
    """
    given = Path(path)
    real = Path(os.path.realpath(given))
    cwd = Path.cwd().resolve()
    if real == cwd or real in cwd.parents:
        raise WriteError(f"{given}: {option} would replace the working folder or a folder above it")
    if real.exists() and not real.is_dir():
        raise WriteError(f"{given}: {option} is a file, not a folder")
    for item in keep:
        kept = Path(os.path.realpath(item))
        if real == kept.parent or real in kept.parents or kept.parent in real.parents:
            raise WriteError(f"{given}: {option} is inside or around the data file {item}")
    if real.is_dir():
        try:
            names = {p.name for p in real.iterdir()}
        except OSError as exc:
            raise WriteError(f"{given}: cannot read ({exc.strerror})") from None
        if names and not names & set(MODEL_MARKERS):
            raise WriteError(
                f"{given}: {option} holds files that are not a model (it replaces only an empty folder "
                "or a model folder); choose another folder"
            )
    if not real.parent.is_dir():
        raise WriteError(f"{given}: no such folder {given.parent}")
    return real


def replace_folder(target: Path, write: Callable[[Path], None], shown: str | Path | None = None) -> None:
    """Write a folder beside ``target`` (from :func:`check_model_folder`) and swap it in; on any
    failure the staging folder is removed and ``target`` is left as it was."""
    staging = target.with_name(f".{target.name}.{secrets.token_hex(4)}.new")
    old = target.with_name(f".{target.name}.{secrets.token_hex(4)}.old")
    try:
        write(staging)
        if target.exists():
            target.rename(old)
        staging.rename(target)
    except (OSError, shutil.Error) as exc:
        if old.exists() and not target.exists():
            old.rename(target)
        reason = exc.strerror if isinstance(exc, OSError) and exc.strerror else str(exc).splitlines()[0]
        raise WriteError(f"{shown or target}: cannot write the model folder ({reason})") from None
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    shutil.rmtree(old, ignore_errors=True)
