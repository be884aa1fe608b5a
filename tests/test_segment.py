import json

from conftest import RAW, run_cli

from nkdiplomacy.text.segment import normalize, segment


def test_bundled_articles_give_103_segments():
    total = sum(len(segment(p.read_text(encoding="utf-8"), p.stem)) for p in sorted(RAW.glob("*.txt")))
    assert total == 103


def test_segment_ids_count_non_empty_lines_in_order():
    segs = segment("first\n\n   \nsecond\nthird\n", "d")
    assert [(s.doc_id, s.seg_id, s.text) for s in segs] == [
        ("d", 0, "first"),
        ("d", 1, "second"),
        ("d", 2, "third"),
    ]


def test_crlf_and_lone_cr_line_ends_split_lines():
    assert [s.text for s in segment("a\r\nb\rc\n\r\nd")] == ["a", "b", "c", "d"]


def test_utf8_bom_is_removed():
    assert segment("\ufeffHeadline\nBody")[0].text == "Headline"


def test_non_breaking_spaces_and_tabs_collapse():
    assert normalize("Kim\u00a0Jong\tUn \u2009 met\u3000Xi ") == "Kim Jong Un met Xi"


def test_escaped_quotes_are_unescaped():
    assert normalize('Workers\\\' Party \\"statement\\"') == 'Workers\' Party "statement"'


def test_text_is_nfc_normalised():
    decomposed = "Ro\u0308nigk"
    assert normalize(decomposed) == "R\u00f6nigk"


def test_duplicate_lines_stay_separate_segments():
    assert [s.seg_id for s in segment("Provided by X\nProvided by X")] == [0, 1]


def test_very_long_line_is_one_segment():
    line = "word " * 200_000
    segs = segment(f"title\n{line}\nend")
    assert len(segs) == 3 and len(segs[1].text) == len(line.strip())


def test_whitespace_only_input_has_no_segments():
    assert segment(" \n\t\r\n\u00a0") == []


def test_segment_command_prints_103_json_lines():
    result = run_cli("segment", *map(str, sorted(RAW.glob("*.txt"))))
    assert result.returncode == 0, result.stderr
    rows = [json.loads(line) for line in result.stdout.decode().splitlines()]
    assert len(rows) == 103
    assert rows[0] == {"doc_id": "000_dd709c047df80243", "seg_id": 0, "text": "Updated Apr 1, 2018"}


def test_segment_command_reads_stdin():
    result = run_cli("segment", "-", stdin=b"one\r\ntwo\n")
    assert result.returncode == 0
    assert [json.loads(x)["text"] for x in result.stdout.decode().splitlines()] == ["one", "two"]
