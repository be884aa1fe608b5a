"""North Korea's counterparts in a passage: a curated gazetteer and the page around the line.

Each on-topic line gets the codes (ISO 3166 alpha-3 for states, short codes for organisations) of the
states and organisations it names, by any name the gazetteer (``nkdiplomacy/counterparts.yaml``) lists:
the state, demonyms, capital and seat of government, institutions, leaders. A line that names none
("the two sides agreed...", "He said the talks would go on") takes its page's counterparts: the codes the
page's on-topic lines name most, every code named at least :data:`PAGE_SHARE` times as often as the most
named one (the title's codes count :data:`TITLE_WEIGHT` more). North Korea itself is never a code ("the
Democratic People's Republic of Korea" is not the Republic of Korea). Off-topic lines have none. See
``data/LABELING.md`` (section 5) for what counts.

Why rules and not a model: the labels follow from names and page references almost everywhere, the
gazetteer is small and readable, and it needs no training data; ``benchmarks/counterparts.py`` measures
it against a plain dictionary of country names on the labeled pages.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable, Sequence
from functools import lru_cache
from importlib import resources

from nkdiplomacy.text.context import SegmentInput, page_rows

# Geography that carries a state's name without presenting it as a party, and North Korea's own names
# that hold another's ("the Democratic People's Republic of Korea" is not the Republic of Korea).
_NOT_A_PARTY = re.compile(
    r"\b(?:Sea of Japan|East China Sea|South China Sea|Democratic\s+People['’]?s\s+Republic\s+of\s+Korea|"
    r"D\.?P\.?R\.?\s?K\.?|North\s+Korean?s?)\b",
    re.IGNORECASE,
)
# Conventions of data/LABELING.md (section 5, "settled"), written as rewrites before names are matched:
# the "UN Command" is the US-led command, not the UN; a bloc named as acting lists its members.
_REWRITES = (
    (re.compile(r"\b(?:UN|U\.N\.|United\s+Nations)\s+Command\b", re.IGNORECASE), " United States "),
    (re.compile(r"\bAUKUS\b"), " Australia, United Kingdom, United States "),
    (re.compile(r"\bthe Quad\b"), " Australia, India, Japan, United States "),
)
# Greetings and cards "from abroad": the line lists every state whose senders the page names.
_FROM_ABROAD = re.compile(
    r"\b(?:from|of) (?:different|various|many|foreign) countries\b|\bfrom abroad\b", re.IGNORECASE
)
# A page's counterparts: the codes named at least this share as often as its most named one, the
# title's codes counting this much more (chosen on the tuning half of the labeled pages, see
# benchmarks/counterparts.py).
PAGE_SHARE = 0.6
TITLE_WEIGHT = 2


@lru_cache(maxsize=1)
def gazetteer() -> dict[str, tuple[str, ...]]:
    """Each code and the names that point to it, from the package's ``counterparts.yaml``."""
    import yaml

    loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)  # libyaml's when there, else pure Python
    text = resources.files("nkdiplomacy").joinpath("counterparts.yaml").read_text("utf-8")
    raw = yaml.load(text, Loader=loader)
    return {code: tuple(names) for code, names in raw.items()}


def _pattern(names: dict[str, str], flags: int) -> re.Pattern | None:
    if not names:
        return None
    alternatives = "|".join(re.escape(n) for n in sorted(names, key=len, reverse=True))
    return re.compile(rf"(?<![\w.])(?:{alternatives})(?!\w)", flags)


class CounterpartFinder:
    """Codes named in a text, and codes of each line of a page (see the module docstring)."""

    def __init__(self, names: dict[str, Sequence[str]] | None = None, use_page: bool = True):
        names = gazetteer() if names is None else names
        exact, folded = {}, {}
        for code, forms in names.items():
            for form in forms:
                # One all-capitals word (US, UN, ROK) is an acronym: its case matters ("us", "un").
                if re.fullmatch(r"[A-Z][A-Z.]*", form):
                    exact[form] = code
                else:
                    folded[form.lower()] = code
        self._exact, self._folded = exact, folded
        self._exact_re = _pattern(exact, 0)
        self._folded_re = _pattern(folded, re.IGNORECASE)
        self.use_page = use_page

    def in_text(self, text: str) -> set[str]:
        """The codes whose names appear in ``text``."""
        found = set()
        for pattern, replacement in _REWRITES:
            text = pattern.sub(replacement, text)
        text = _NOT_A_PARTY.sub(" ", text)
        if self._exact_re:
            found |= {self._exact[m.group()] for m in self._exact_re.finditer(text)}
        if self._folded_re:
            found |= {self._folded[m.group().lower()] for m in self._folded_re.finditer(text)}
        return found

    def for_page(self, texts: Sequence[str], relevant: Sequence[bool]) -> list[tuple[str, ...]]:
        """Sorted codes for each line of a page (``()`` for off-topic lines)."""
        named = [self.in_text(t) for t in texts]
        counts = Counter(c for codes, on in zip(named, relevant) for c in codes if on)
        for code in named[0] if named else ():
            counts[code] += TITLE_WEIGHT
        top = max(counts.values(), default=0)
        page = {c for c, n in counts.items() if n >= PAGE_SHARE * top} if self.use_page else set()
        senders = set(counts) if self.use_page else set()
        out = []
        for text, codes, on in zip(texts, named, relevant):
            if on and self.use_page and _FROM_ABROAD.search(text):
                codes = codes | senders
            out.append(tuple(sorted(codes or page)) if on else ())
        return out


@lru_cache(maxsize=1)
def default_finder() -> CounterpartFinder:
    """The gazetteer's finder, built once (its patterns are compiled on first use)."""
    return CounterpartFinder()


def counterparts_of(
    inputs: Sequence[SegmentInput], relevant: Sequence[bool], finder: CounterpartFinder | None = None
) -> list[tuple[str, ...]]:
    """Each input's counterparts by ``finder`` (default :func:`default_finder`), read page by page
    (:func:`~nkdiplomacy.text.context.page_rows`): a lone input is a page of its own; off-topic inputs
    have none."""
    out: list[tuple[str, ...]] = [()] * len(inputs)
    finder = finder or default_finder()
    for rows in page_rows(list(inputs)).values():
        found = finder.for_page([inputs[i].text for i in rows], [bool(relevant[i]) for i in rows])
        for i, codes in zip(rows, found):
            out[i] = codes
    return out


def unknown_codes(codes: Iterable[str]) -> list[str]:
    """The ``codes`` the gazetteer does not know, sorted (each message lists :func:`gazetteer`'s)."""
    return sorted(set(codes) - set(gazetteer()))


def plain_dictionary() -> CounterpartFinder:
    """The baseline: each state or organisation by its own name only (the first of its names in the
    gazetteer, and its short form where that is its code: ``UN``, ``EU``), no page context."""
    names = {code: [forms[0], *([code] if code in forms else [])] for code, forms in gazetteer().items()}
    return CounterpartFinder(names, use_page=False)
