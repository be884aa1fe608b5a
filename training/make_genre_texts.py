"""Re-create the genre pages (``data/raw/real/<genre>/``) from mirrors of their public repositories.

    python training/make_genre_texts.py --mirrors DIR [--out data/raw/real]

``DIR`` holds one mirror per repository, named ``owner+name`` (a git directory, bare or with a
``.git`` inside), as the project's mirror tool lays them out. Every file is read from the commit
named in :data:`SOURCES` with ``git show``, so nothing needs checking out and two runs give the same
bytes. Every page any of whose normalised lines is listed in ``shared/reserved/hidden-lines.sha1``
(or in the KCNA reservation lists) is skipped before the draw, and the skips are counted.

Outputs: one ``<doc_id>.txt`` per page under ``official/``, ``think_tank/``, ``asian_outlet/`` and
``state_media/`` (the title as the first line, then the page's text as scraped: HTML pages through
the package's own HTML reader, so a page reads as ``nkdiplomacy predict`` reads it), and
``manifest_genres.jsonl`` with each page's provenance (first line: the build, its commits, counts
and skips).
"""

from __future__ import annotations

import argparse
import ast
import hashlib
import html
import json
import random
import re
import subprocess
import sys
import xml.etree.ElementTree as ET
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import asdict, dataclass
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from make_real_texts import RESERVED, lines_of, sha1

SEED = 20261203
NK = re.compile(r"North Korea|DPRK|Pyongyang|Kim Jong|Korean Peninsula", re.IGNORECASE)
KOREA = re.compile(r"Korea", re.IGNORECASE)


@dataclass(frozen=True)
class Source:
    key: str  # the record's ``source`` field
    repo: str
    commit: str
    genre: str
    license: str


SOURCES = {
    s.key: s
    for s in (
        Source("china_mfa", "cwang23/china_fm", "5048bc297a11", "official", "none stated"),
        Source(
            "wh_briefings",
            "RIstiaque/Country-Counting-from-Press-Briefings",
            "a6d2e60a670c57ed8efb15ef363510831dff7a50",
            "official",
            "none stated",
        ),
        Source(
            "state_dept",
            "markschaver/State-Department-PR",
            "cd530c3f052fb81ae5ecc187d0c335100d3de922",
            "official",
            "none stated",
        ),
        Source(
            "straits_times",
            "OliverCWY/News",
            "e8c6ce99fc6db2df826c513f9a8769fa834fdd4f",
            "asian_outlet",
            "none stated",
        ),
        Source("heritage", "JuwonOh/heritage_scraper", "92012cd34495", "think_tank", "none stated"),
        Source("cnas", "JuwonOh/cnas_scraper", "038fb4cf5e7b", "think_tank", "none stated"),
        Source("rand", "JuwonOh/rand", "7fe71c1e777f", "think_tank", "none stated"),
        Source("csis", "JuwonOh/CSIS_scraper", "f838448f0e84", "think_tank", "none stated"),
    )
}


@dataclass(frozen=True)
class Page:
    doc_id: str
    source: str
    genre: str
    outlet: str
    date: str
    url: str
    kind: str  # "nk" (names North Korea) or "negative" (a hard negative of the same source)
    text: str


class Mirror:
    def __init__(self, root: Path, source: Source):
        path = root / source.repo.replace("/", "+") / "repo"
        self.git_dir = path / ".git" if (path / ".git").exists() else path
        self.commit = source.commit

    def _git(self, *args: str) -> bytes:
        cmd = ["git", f"--git-dir={self.git_dir}", *args]
        return subprocess.run(cmd, check=True, capture_output=True).stdout

    def resolve(self) -> str:
        return self._git("rev-parse", self.commit).decode().strip()

    def files(self, prefix: str = "") -> list[str]:
        out = self._git("ls-tree", "-r", "--name-only", self.commit, *([prefix] if prefix else []))
        return sorted(x for x in out.decode("utf-8", "surrogateescape").split("\n") if x)

    def show(self, name: str, commit: str | None = None) -> bytes:
        return self._git("show", f"{commit or self.commit}:{name}")


def html_text(markup: str) -> str:
    from nkdiplomacy.text.articles import html_to_text

    return html_to_text(markup)


def _pid(source: str, key: str) -> str:
    return f"{source}_{sha1(key)[:12]}"


def china_mfa(m: Mirror, s: Source) -> Iterator[Page]:
    """Regular press conferences of China's foreign ministry, whole cached pages (nav and all)."""
    for meta in m.files("chinafm_scraper/.scrapy/httpcache/"):
        if not meta.endswith("/meta"):
            continue
        info = ast.literal_eval(m.show(meta).decode("utf-8"))
        url = info["url"]
        if "/mfa_eng/" not in url or "/2511_665403/" not in url:
            continue
        text = html_text(m.show(meta[: -len("meta")] + "response_body").decode("utf-8", "replace"))
        date = re.search(r"on (\w+ \d{1,2}, \d{4})", text)
        yield Page(
            _pid(s.key, url), s.key, s.genre, "Chinese MFA", date.group(1) if date else "", url, "", text
        )


def wh_briefings(m: Mirror, s: Source) -> Iterator[Page]:
    """White House briefings, statements and remarks: the title and the body div as a bytes literal."""
    for name in m.files("pressBriefings/"):
        raw = m.show(name).decode("utf-8", "replace")
        title, _, rest = raw.partition("\n")
        try:
            body = ast.literal_eval(rest.strip()).decode("utf-8", "replace")
        except (ValueError, SyntaxError, AttributeError):
            continue
        text = html_text(f"{title}\n{body}")
        yield Page(_pid(s.key, name), s.key, s.genre, "White House", "", f"{s.repo}/{name}", "", text)


def state_dept(m: Mirror, s: Source) -> Iterator[Page]:
    """State Department press releases from a git-scraped RSS feed, every third snapshot, first seen."""
    log = m._git("log", "--format=%H", s.commit, "--", "data.rss").decode().split()
    seen: set[str] = set()
    ns = {"content": "http://purl.org/rss/1.0/modules/content/"}
    for commit in log[::3]:
        try:
            root = ET.fromstring(m.show("data.rss", commit))
        except ET.ParseError:
            continue
        for item in root.iter("item"):
            link = (item.findtext("link") or "").strip()
            if not link or link in seen:
                continue
            seen.add(link)
            title = html.unescape(item.findtext("title") or "")
            body = item.findtext("content:encoded", namespaces=ns) or ""
            date = (item.findtext("pubDate") or "").strip()
            text = html_text(f"<h1>{html.escape(title)}</h1>\n{body}")
            yield Page(_pid(s.key, link), s.key, s.genre, "US State Department", date, link, "", text)


def straits_times(m: Mirror, s: Source) -> Iterator[Page]:
    """Straits Times articles as the repository saved them (markdown with keywords, authors, links)."""
    for name in m.files():
        if (
            not name.endswith(".md")
            or name.endswith("_zh.md")
            or name.rsplit("/", 1)[-1] in {"ST.md", "BBC.md", "CNN.md"}
        ):
            continue
        text = m.show(name).decode("utf-8", "replace")
        url = re.search(r"\[Original Article\]\((https?://[^)]+)\)", text)
        if not url or "straitstimes.com" not in url.group(1):
            continue
        yield Page(
            _pid(s.key, name),
            s.key,
            s.genre,
            "The Straits Times",
            name[:10].replace("/", "-"),
            url.group(1),
            "",
            text,
        )


def _json_of(raw: str) -> dict | None:
    """A JSON object, or the first whole side of a file left with git conflict markers."""
    sides = [raw]
    if raw.startswith("<<<<<<<"):
        ours, _, theirs = raw.split("\n", 1)[1].partition("\n=======\n")
        # The scraper's files close the object after the markers: each side gets the brace back.
        sides = [ours + "\n}", theirs.rsplit("\n>>>>>>>", 1)[0] + "\n}"]
    for side in sides:
        try:
            rec = json.loads(side)
        except json.JSONDecodeError:
            continue
        if isinstance(rec, dict):
            return rec
    return None


def juwonoh(outlet: str) -> Callable[[Mirror, Source], Iterator[Page]]:
    """Think-tank pages of the JuwonOh scrapers: ``output/*.json`` (conflict markers dropped)."""

    def read(m: Mirror, s: Source) -> Iterator[Page]:
        for name in m.files("output/"):
            if not name.endswith(".json"):
                continue
            raw = m.show(name).decode("utf-8", "replace")
            rec = _json_of(raw)
            if rec is None:
                continue
            text = f"{rec.get('title') or ''}\n{rec.get('content') or ''}"
            date = rec.get("date") or rec.get("time") or ""
            yield Page(_pid(s.key, name), s.key, s.genre, outlet, date, rec.get("url") or name, "", text)

    return read


READERS = {
    "china_mfa": china_mfa,
    "wh_briefings": wh_briefings,
    "state_dept": state_dept,
    "straits_times": straits_times,
    "heritage": juwonoh("Heritage Foundation"),
    "cnas": juwonoh("CNAS"),
    "rand": juwonoh("RAND"),
    "csis": juwonoh("CSIS"),
}

# How many pages each source gives: (about North Korea, hard negatives), and the page-length cap.
# Long transcripts and essays are capped by segments to bound the reading work, not by content.
DRAW = {
    "china_mfa": (20, 4, 70),
    "wh_briefings": (14, 4, 80),
    "state_dept": (58, 12, 60),
    "straits_times": (13, 6, 80),
    "heritage": (11, 2, 120),
    "cnas": (2, 1, 150),
    "rand": (2, 2, 150),
    "csis": (1, 1, 150),
}


def reserved_lines() -> set[str]:
    out: set[str] = set()
    for name in ("hidden-lines.sha1", "kcna-reserved-lines.sha1"):
        path = RESERVED / name
        if path.exists():
            out |= set(path.read_text().split())
    return out


def draw(pool: list[Page], n_nk: int, n_neg: int, cap: int, rng: random.Random) -> list[Page]:
    fits = [p for p in pool if 3 <= len(lines_of(p.text)) <= cap]
    nk = [p for p in fits if NK.search(p.text)]
    # Hard negatives: pages of the same source that name Korea but not North Korea, else any page.
    neg = [p for p in fits if not NK.search(p.text) and KOREA.search(p.text)]
    neg = neg or [p for p in fits if not NK.search(p.text)]
    chosen = [replace_kind(p, "nk") for p in rng.sample(nk, min(n_nk, len(nk)))]
    chosen += [replace_kind(p, "negative") for p in rng.sample(neg, min(n_neg, len(neg)))]
    return chosen


def replace_kind(p: Page, kind: str) -> Page:
    return Page(**{**asdict(p), "kind": kind})


def build(mirrors: Path, out: Path, only: list[str] | None = None) -> dict:
    reserved = reserved_lines()
    rng = random.Random(SEED)
    build_info: dict = {"seed": SEED, "sources": {}}
    pages: list[Page] = []
    for key, src in SOURCES.items():
        if only and key not in only:
            continue
        m = Mirror(mirrors, src)
        seen_bodies: set[str] = set()
        pool, skipped = [], 0
        for p in READERS[key](m, src):
            lines = lines_of(p.text)
            body = "\n".join(lines)
            if not lines or body in seen_bodies:
                continue
            seen_bodies.add(body)
            if any(sha1(x) in reserved for x in lines if len(x.split()) >= 6):
                skipped += 1
                continue
            pool.append(p)
        n_nk, n_neg, cap = DRAW[key]
        chosen = draw(sorted(pool, key=lambda p: p.doc_id), n_nk, n_neg, cap, rng)
        pages += chosen
        build_info["sources"][key] = {
            "repo": src.repo,
            "commit": m.resolve(),
            "genre": src.genre,
            "license": src.license,
            "pool": len(pool),
            "pool_nk": sum(bool(NK.search(p.text)) for p in pool),
            "skipped_reserved": skipped,
            "drawn": len(chosen),
        }
        print(
            f"{key}: pool {len(pool)}, skipped (reserved lines) {skipped}, drawn {len(chosen)}",
            file=sys.stderr,
        )
    rows = []
    for p in sorted(pages, key=lambda p: (p.genre, p.doc_id)):
        folder = out / p.genre
        folder.mkdir(parents=True, exist_ok=True)
        data = p.text.strip("\n") + "\n"
        (folder / f"{p.doc_id}.txt").write_text(data, encoding="utf-8")
        row = {k: v for k, v in asdict(p).items() if k != "text"}
        row["path"] = f"{p.genre}/{p.doc_id}.txt"
        row["segments"] = len(lines_of(p.text))
        row["sha256"] = hashlib.sha256(data.encode("utf-8")).hexdigest()
        rows.append(row)
    with (out / "manifest_genres.jsonl").open("w", encoding="utf-8") as fh:
        fh.write(json.dumps({"build": build_info}, sort_keys=True) + "\n")
        for row in rows:
            fh.write(json.dumps(row, sort_keys=True) + "\n")
    return build_info


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--mirrors", type=Path, required=True)
    ap.add_argument("--out", type=Path, default=Path(__file__).resolve().parents[1] / "data" / "raw" / "real")
    ap.add_argument("--only", nargs="*", help="build only these sources (for a quick look)")
    args = ap.parse_args(argv)
    info = build(args.mirrors, args.out, args.only)
    counts = Counter(s["genre"] for s in info["sources"].values() for _ in range(s["drawn"]))
    print(json.dumps(dict(counts)), file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
