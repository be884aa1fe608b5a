"""Reading article files: encodings of HTML pages, byte-order marks, binary data, the size limit."""

import os
import subprocess
import sys

import pytest

from nkdiplomacy.text.articles import DEFAULT_MAX_BYTES, InputError, format_size, parse_size, read_article

KOREAN = "김정은 국무위원장이 블라디보스토크에서 푸틴 대통령과 회담했다."


def test_html_declaring_latin1_in_meta_charset_is_decoded(tmp_path):
    page = tmp_path / "page.html"
    html = '<html><head><meta charset="iso-8859-1"></head><body><p>Kim Jong Un à Pékin</p></body></html>'
    page.write_bytes(html.encode("latin-1"))
    assert read_article(page).text.strip() == "Kim Jong Un à Pékin"


def test_latin1_declared_page_is_read_as_windows_1252_like_a_browser(tmp_path):
    page = tmp_path / "page.html"
    page.write_bytes(b"<meta charset=ISO-8859-1><p>\x93Kim\x94 \x96 P\xe9kin</p>")
    assert read_article(page).text.strip() == "\u201cKim\u201d \u2013 Pékin"


def test_html_declaring_euc_kr_in_http_equiv_content_type_is_decoded(tmp_path):
    page = tmp_path / "page.htm"
    html = (
        '<html><head><meta http-equiv="Content-Type" content="text/html; charset=EUC-KR">'
        f"<title>t</title></head><body><p>{KOREAN}</p></body></html>"
    )
    page.write_bytes(html.encode("euc-kr"))
    assert KOREAN in read_article(page).text.splitlines()


def test_byte_order_mark_wins_over_the_declared_charset(tmp_path):
    utf8 = tmp_path / "utf8.html"
    utf8.write_bytes(b"\xef\xbb\xbf" + '<meta charset="iso-8859-1"><p>Pékin</p>'.encode())
    utf16 = tmp_path / "utf16.html"
    utf16.write_bytes('<meta charset="euc-kr"><p>Pékin</p>'.encode("utf-16"))  # with its BOM
    assert read_article(utf8).text.strip() == read_article(utf16).text.strip() == "Pékin"


def test_text_files_ignore_a_meta_charset_and_stay_utf8(tmp_path):
    note = tmp_path / "note.txt"
    note.write_bytes('<meta charset="iso-8859-1"> Pékin'.encode("latin-1"))
    with pytest.raises(InputError, match="not UTF-8 text"):
        read_article(note)


@pytest.mark.parametrize("charset", ["x-no-such-charset", "base64"])
def test_unknown_or_non_text_charset_is_an_input_error(tmp_path, charset):
    page = tmp_path / "page.html"
    page.write_bytes(f'<meta charset="{charset}"><p>Kim</p>'.encode())
    with pytest.raises(InputError, match=f"unknown charset '{charset}'"):
        read_article(page)


def test_bytes_invalid_in_the_declared_charset_name_it(tmp_path):
    page = tmp_path / "page.html"
    page.write_bytes(b'<meta charset="euc-kr"><p>\xff\xff</p>')
    with pytest.raises(InputError, match=r"not euc-kr text \(invalid byte at offset"):
        read_article(page)


def test_nul_byte_anywhere_in_the_file_makes_it_binary(tmp_path):
    late = tmp_path / "late.txt"
    late.write_bytes(b"Kim Jong Un met Xi Jinping.\n" * 1000 + b"\x00tail\n")
    with pytest.raises(InputError, match="binary file"):
        read_article(late)


def test_input_over_the_size_limit_is_refused_naming_the_limit(tmp_path):
    big = tmp_path / "big.txt"
    big.write_bytes(b"Kim Jong Un met Xi Jinping. " * 10_000)  # 280 KB
    with pytest.raises(InputError, match=r"big.txt: larger than the 100 KB limit \(see --max-bytes\)"):
        read_article(big, max_bytes=100_000)
    assert read_article(big, max_bytes=0).text.startswith("Kim")


@pytest.mark.parametrize(
    "text, size", [("5M", 5_000_000), ("500k", 500_000), ("1GB", 1_000_000_000), ("1234", 1234), ("0", 0)]
)
def test_sizes_are_read_with_decimal_units(text, size):
    assert parse_size(text) == size


def test_the_default_size_limit_is_5_mb():
    assert format_size(DEFAULT_MAX_BYTES) == "5 MB"


def test_an_unreadable_sub_folder_is_an_error_and_the_rest_is_read(tmp_path):
    (tmp_path / "ok.txt").write_text("Kim met Xi.\n")
    locked = tmp_path / "locked"
    locked.mkdir()
    (locked / "in.txt").write_text("Kim met Putin.\n")
    locked.chmod(0)
    # Root reads any folder: the listing runs without the capabilities that let it.
    drop = [
        "setpriv",
        "--bounding-set=-dac_override,-dac_read_search",
        "--inh-caps=-dac_override,-dac_read_search",
    ]
    code = (
        "import sys; from nkdiplomacy.text.articles import expand, InputError\n"
        "for i in expand([sys.argv[1]]): print(('E ' if isinstance(i, InputError) else 'F ') + str(i))"
    )
    try:
        cmd = [*(drop if os.geteuid() == 0 else []), sys.executable, "-c", code, str(tmp_path)]
        out = subprocess.run(cmd, capture_output=True, text=True, check=True).stdout.splitlines()
    finally:
        locked.chmod(0o755)
    assert out == [f"E {locked}: cannot read folder (Permission denied)", f"F {tmp_path / 'ok.txt'}"]


def test_symlinked_sub_folders_are_followed_and_link_loops_end(tmp_path):
    from nkdiplomacy.text.articles import expand

    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    (elsewhere / "x.txt").write_text("Kim met Xi.\n")
    top = tmp_path / "top"
    top.mkdir()
    (top / "outlet").symlink_to(elsewhere)
    (top / "up").symlink_to("..")
    (top / "self").symlink_to(".")
    assert [p.relative_to(top).as_posix() for p in expand([str(top)])] == ["outlet/x.txt"]


def test_deeply_nested_or_unclosed_tags_keep_the_rest_of_the_page(tmp_path):
    page = tmp_path / "deep.html"
    page.write_text(
        "<p>First line on North Korea.</p>" + "<font>" * 300 + "<p>Sanctions on North Korea last.</p>"
    )
    lines = [x.strip() for x in read_article(page).text.splitlines() if x.strip()]
    assert lines == ["First line on North Korea.", "Sanctions on North Korea last."]


def test_a_page_nested_past_the_parser_s_limit_is_one_error_naming_it(tmp_path):
    page = tmp_path / "deeper.html"
    page.write_text("<p>First.</p>" + "<div>" * 3000 + "<p>Last.</p>")
    with pytest.raises(
        InputError, match=f"^{page}: HTML nested deeper than 2048 tags, cannot be read whole$"
    ):
        read_article(page)


def test_a_page_declaring_utf7_is_read_as_utf8_as_browsers_do(tmp_path):
    page = tmp_path / "utf7.html"
    page.write_bytes(b'<meta charset="utf-7"><p>+ADw-b+AD4-North Korea+ADw-/b+AD4-</p>')
    assert "+ADw-b+AD4-North Korea" in read_article(page).text  # never decoded into markup
