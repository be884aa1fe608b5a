"""Re-create the real corpus texts (``data/raw/real/``) from mirrors of their public repositories.

    python training/make_real_texts.py --kcna-mirror PATH/TO/stiles+north-korea-news/repo \\
        --abp-mirror PATH/TO/ramybaly+Article-Bias-Prediction/repo [--out data/raw/real]

Each mirror is a git directory (bare or not); files are read from its ``HEAD`` commit with
``git show``, so nothing needs checking out. The draw is seeded and every output is written in a
fixed order, so two runs give the same bytes. KCNA stories reserved for independent evaluation
(``shared/reserved/``) are skipped before anything is drawn.

Outputs: one ``<doc_id>.txt`` per page under ``kcna/`` and ``western/`` (headline or title as the
first line, then the body as scraped), and ``manifest.jsonl`` with each page's provenance.
"""

from __future__ import annotations

import argparse
import datetime as dt
import hashlib
import json
import random
import re
import subprocess
import sys
import unicodedata
from collections import defaultdict
from dataclasses import asdict, dataclass
from pathlib import Path

SEED = 20261130
KCNA_PAGES = 210
WESTERN_ABOUT_NK = 85
WESTERN_MENTIONS = 55
MAX_SEGMENTS = 60  # longer pages are left out of the draw: labeling effort, not content, sets the cap
PER_OUTLET_CAP = {"about": 8, "mentions": 5}
MENTION = re.compile(r"North Korea|Pyongyang|Kim Jong|\bKorean?\b|\bKim\b")
_SPACES = re.compile(r"\s+")

ROOT = Path(__file__).resolve().parents[1]
RESERVED = ROOT.parent / "shared" / "reserved"


@dataclass(frozen=True)
class Page:
    doc_id: str
    source: str  # "kcna" or "abp" (Article-Bias-Prediction)
    outlet: str
    date: str
    url: str
    topic: str
    text: str


def norm_line(line: str) -> str:
    """A line as the reservation lists hash it: NFC, escapes undone, whitespace collapsed, stripped."""
    line = unicodedata.normalize("NFC", line).replace("\\'", "'").replace('\\"', '"')
    return _SPACES.sub(" ", line).strip()


def sha1(text: str) -> str:
    return hashlib.sha1(text.encode("utf-8")).hexdigest()


def lines_of(text: str) -> list[str]:
    return [n for n in (norm_line(x) for x in text.splitlines()) if n]


def git(mirror: Path, *args: str) -> bytes:
    return subprocess.run(["git", f"--git-dir={mirror}", *args], check=True, capture_output=True).stdout


def git_dir(path: Path) -> Path:
    return path / ".git" if (path / ".git").exists() else path


def read_reserved() -> tuple[set[str], set[str]]:
    links = set((RESERVED / "kcna-reserved-links.sha1").read_text().split())
    lines = set((RESERVED / "kcna-reserved-lines.sha1").read_text().split())
    return links, lines


def is_reserved(url: str, text: str, links: set[str], lines: set[str]) -> bool:
    return sha1(url) in links or any(sha1(x) in lines for x in lines_of(text))


def kcna_pool(mirror: Path) -> tuple[list[Page], list[str]]:
    """Every distinct, non-reserved KCNA story in the readable snapshots, oldest first."""
    names = sorted(
        n
        for n in git(mirror, "ls-tree", "--name-only", "HEAD", "data/archive/").decode().split("\n")
        if n.startswith("data/archive/headlines_")
    )
    links, res_lines = read_reserved()
    seen_links, seen_bodies, pages, used = set(), set(), [], []
    for name in names:
        try:
            items = json.loads(git(mirror, "show", f"HEAD:{name}"))
        except (subprocess.CalledProcessError, json.JSONDecodeError):
            continue  # files of 4 MiB and more are absent from the mirror's snapshot
        used.append(name)
        for it in items:
            url, body = it.get("link") or "", it.get("story_text") or ""
            if url in seen_links:
                continue
            seen_links.add(url)
            text = f"{it.get('headline') or ''}\n{body}"
            key = "\n".join(lines_of(body))
            if not key or key in seen_bodies:
                continue
            seen_bodies.add(key)
            if is_reserved(url, text, links, res_lines):
                continue
            day = _date(it.get("date"))
            pages.append(
                Page(f"kcna_{sha1(url)[:12]}", "kcna", "KCNA", day, url, it.get("topic") or "", text)
            )
    return pages, used


def _date(ms) -> str:
    if not isinstance(ms, (int, float)):
        return ""
    return dt.datetime.fromtimestamp(ms / 1000, tz=dt.UTC).date().isoformat()


def abp_pool(mirror: Path) -> list[Page]:
    """Article-Bias-Prediction articles about or mentioning North Korea, de-duplicated by body."""
    names = sorted(git(mirror, "ls-tree", "--name-only", "HEAD", "data/jsons/").decode().split())
    out = subprocess.run(
        ["git", f"--git-dir={mirror}", "cat-file", "--batch"],
        input="".join(f"HEAD:{n}\n" for n in names).encode(),
        check=True,
        capture_output=True,
    ).stdout
    pages, seen, pos = [], set(), 0
    for _ in names:
        header_end = out.index(b"\n", pos)
        size = int(out[pos:header_end].split()[2])
        art = json.loads(out[header_end + 1 : header_end + 1 + size])
        pos = header_end + 1 + size + 1
        body = art.get("content_original") or ""
        title = norm_line(art.get("title") or "")
        key = "\n".join(lines_of(body))
        if not key or key in seen or not title:
            continue
        seen.add(key)
        topic = art.get("topic") or ""
        if topic != "north_korea" and not MENTION.search(title + "\n" + body):
            continue
        pages.append(
            Page(
                f"abp_{art['ID']}",
                "abp",
                art.get("source") or "",
                art.get("date") or "",
                art.get("url") or "",
                topic,
                f"{title}\n{body}",
            )
        )
    return pages


def draw_kcna(pool: list[Page], rng: random.Random) -> list[Page]:
    """Round-robin over KCNA topics, stories shuffled within each topic."""
    by_topic = defaultdict(list)
    for p in pool:
        if 2 <= len(lines_of(p.text)) <= MAX_SEGMENTS:
            by_topic[p.topic].append(p)
    for topic in sorted(by_topic):
        rng.shuffle(by_topic[topic])
    picked, topics = [], sorted(by_topic)
    while len(picked) < KCNA_PAGES and any(by_topic.values()):
        for topic in topics:
            if by_topic[topic] and len(picked) < KCNA_PAGES:
                picked.append(by_topic[topic].pop())
    return picked


def draw_western(pool: list[Page], rng: random.Random) -> list[Page]:
    """Articles about North Korea and articles that only mention it, capped per outlet."""
    picked = []
    for kind, want in (("about", WESTERN_ABOUT_NK), ("mentions", WESTERN_MENTIONS)):
        cands = [p for p in pool if (p.topic == "north_korea") == (kind == "about")]
        cands = [p for p in cands if 3 <= len(lines_of(p.text)) <= MAX_SEGMENTS]
        cands.sort(key=lambda p: p.doc_id)
        rng.shuffle(cands)
        per_outlet: dict[str, int] = defaultdict(int)
        for p in cands:
            if per_outlet[p.outlet] < PER_OUTLET_CAP[kind]:
                per_outlet[p.outlet] += 1
                picked.append(p)
                if sum(per_outlet.values()) == want:
                    break
    return picked


def write(pages: list[Page], out: Path, meta: dict) -> None:
    manifest = []
    for p in sorted(pages, key=lambda p: p.doc_id):
        sub = out / ("kcna" if p.source == "kcna" else "western")
        sub.mkdir(parents=True, exist_ok=True)
        text = p.text.rstrip("\n") + "\n"
        (sub / f"{p.doc_id}.txt").write_text(text, encoding="utf-8", newline="\n")
        row = {k: v for k, v in asdict(p).items() if k != "text"}
        row["path"] = f"{sub.name}/{p.doc_id}.txt"
        row["sha256"] = hashlib.sha256(text.encode()).hexdigest()
        manifest.append(row)
    lines = [json.dumps({"build": meta}, sort_keys=True)] + [json.dumps(r, sort_keys=True) for r in manifest]
    (out / "manifest.jsonl").write_text("\n".join(lines) + "\n", encoding="utf-8")


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--kcna-mirror", type=Path, required=True)
    ap.add_argument("--abp-mirror", type=Path, required=True)
    ap.add_argument("--out", type=Path, default=ROOT / "data" / "raw" / "real")
    args = ap.parse_args(argv)
    kcna_git, abp_git = git_dir(args.kcna_mirror), git_dir(args.abp_mirror)
    rng = random.Random(SEED)
    kcna, used = kcna_pool(kcna_git)
    western = abp_pool(abp_git)
    picked = draw_kcna(kcna, rng) + draw_western(western, rng)
    meta = {
        "seed": SEED,
        "kcna": {
            "repo": "stiles/north-korea-news",
            "commit": git(kcna_git, "rev-parse", "HEAD").decode().strip(),
            "snapshots_read": [used[0], used[-1], len(used)],
            "pool": len(kcna),
        },
        "abp": {
            "repo": "ramybaly/Article-Bias-Prediction",
            "commit": git(abp_git, "rev-parse", "HEAD").decode().strip(),
            "pool": len(western),
        },
    }
    write(picked, args.out, meta)
    print(f"{len(picked)} pages written to {args.out}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
