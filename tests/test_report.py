"""`predict --format html`: one self-contained page, checked as text and in a real headless browser
(Debian's chromium, through selenium): it loads offline, its filters and slider work, and page text
that tries to run script or break out of an attribute is shown as text, never run."""

from __future__ import annotations

import json
import re

import pytest
from conftest import RAW, run_cli

ARTICLES = [RAW / "003_254259dacc8f1105.txt", RAW / "000_dd709c047df80243.txt"]
HOSTILE = [
    "North Korea <script>window.pwned = 'script'</script> said Kim Jong Un met Putin in Moscow.",
    '<svg onload="window.pwned = \'svg\'"><circle r="9"/></svg> Pyongyang fired a missile.',
    '" onmouseover="window.pwned = \'attribute\'" data-x=" Kim Jong Un met Xi Jinping in Beijing.',
    "</p></details></article><img src=x onerror=\"window.pwned='img'\"> North Korea and Russia signed a treaty.",
    "<a href=\"javascript:window.pwned='link'\">click</a> \u202eevil\u202c Share this article",
]


@pytest.fixture
def report(tmp_path):
    hostile = tmp_path / '<img src=x onerror="window.pwned=1">.txt'
    hostile.write_text("\n".join(HOSTILE) + "\n", encoding="utf-8")
    out = tmp_path / "report.html"
    result = run_cli("predict", *map(str, ARTICLES), str(hostile), "--format", "html", "--output", str(out))
    assert result.returncode == 0, result.stderr.decode()
    jsonl = run_cli("predict", *map(str, ARTICLES), str(hostile), "--format", "jsonl")
    return out, [json.loads(line) for line in jsonl.stdout.decode().splitlines()]


def test_the_page_is_self_contained_with_a_strict_policy_and_escapes_page_text(report):
    page = report[0].read_text(encoding="utf-8")
    policy = re.search(r'http-equiv="Content-Security-Policy" content="([^"]+)"', page).group(1)
    assert "default-src 'none'" in policy and "script-src 'sha256-" in policy and "unsafe" not in policy
    assert page.count("<script>") == 1 and page.count("<style>") == 1  # its own, nothing from the page
    assert not re.search(r"(src|href)=\"?(https?:|//|javascript:)", page)  # loads nothing, links nowhere
    markup = page[: page.index("<script>")]  # every "<" in it is the report's own: page text is escaped
    assert "<svg" not in markup and "<img" not in markup and not re.search(r"<[^>]*\son[a-z]+=", markup)
    assert "&lt;script&gt;window.pwned" in page and "\\u202e" in page  # shown as text, bidi as an escape


@pytest.mark.slow  # a real browser
def test_the_page_loads_offline_and_its_filters_and_slider_work(report, browser):
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import Select, WebDriverWait

    path, rows = report
    browser.get(path.as_uri())
    WebDriverWait(browser, 20).until(
        lambda d: d.find_element(By.TAG_NAME, "body").get_attribute("data-ready")
    )
    body = browser.find_element(By.TAG_NAME, "body")
    assert browser.execute_script("return window.pwned === undefined")
    errors = [e["message"] for e in browser.get_log("browser") if e["level"] == "SEVERE"]
    assert not errors, errors  # no blocked script, no failed load: nothing tried to run or load
    pages = sorted({r["doc_id"] for r in rows})
    assert body.get_attribute("data-visible") == str(len(pages))
    shown = [p.text for p in browser.find_elements(By.CSS_SELECTOR, "#index tbody a")]
    assert sorted(shown) == pages
    # Every hostile line is on the page as the text it is.
    lines = [e.text for e in browser.find_elements(By.CSS_SELECTOR, ".seg .line")]
    assert (
        "North Korea <script>window.pwned = 'script'</script> said Kim Jong Un met Putin in Moscow." in lines
    )

    def on_topic(doc_id: str) -> int:
        row = next(
            r for r in browser.find_elements(By.CSS_SELECTOR, "#index tbody tr") if r.text.startswith(doc_id)
        )
        return int(row.find_elements(By.TAG_NAME, "td")[1].text)

    assert [on_topic(d) for d in pages] == [
        sum(r["relevant"] for r in rows if r["doc_id"] == d) for d in pages
    ]
    # A type: only pages with an on-topic passage of that type stay.
    Select(browser.find_element(By.ID, "filter-type")).select_by_value("meeting")
    meeting = {r["doc_id"] for r in rows if r["relevant"] and r["event_type"] == "meeting"}
    assert 0 < len(meeting) and body.get_attribute("data-visible") == str(len(meeting))
    Select(browser.find_element(By.ID, "filter-type")).select_by_value("")
    # A counterpart likewise.
    Select(browser.find_element(By.ID, "filter-counterpart")).select_by_value("JPN")
    japan = {r["doc_id"] for r in rows if r["relevant"] and "JPN" in r["counterparts"]}
    assert 0 < len(japan) < len(pages) and body.get_attribute("data-visible") == str(len(japan))
    Select(browser.find_element(By.ID, "filter-counterpart")).select_by_value("")
    # The slider moves the threshold: the counts follow the scores.
    browser.execute_script(
        "const s = document.getElementById('threshold'); s.value = '0.99';"
        "s.dispatchEvent(new Event('input'));"
    )
    strict = [sum(r["score"] >= 0.99 for r in rows if r["doc_id"] == d) for d in pages]
    assert [on_topic(d) for d in pages] == strict and sum(strict) < sum(r["relevant"] for r in rows)
    # Off-topic lines collapse.
    off = browser.find_elements(By.CSS_SELECTOR, ".seg.off")
    assert off and all(e.is_displayed() for e in off[:5])
    browser.find_element(By.ID, "hide-off").click()
    assert not any(e.is_displayed() for e in off[:5])
