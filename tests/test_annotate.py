"""`nkdiplomacy annotate`: the labeling web app, driven in a real headless browser (Debian's chromium
and chromium-driver, through selenium), plus its refusals and one-line errors."""

from __future__ import annotations

import json
import os
import re
import signal
import socket
import subprocess
import sys
import urllib.error
import urllib.request
from pathlib import Path

import pytest
from conftest import RAW, REPO, local_env, run_cli

from nkdiplomacy.corpus.annotations import read_annotations
from nkdiplomacy.text.segment import segment

ARTICLE = RAW / "003_254259dacc8f1105.txt"


def make_todo(path: Path, seg_ids=(2, 3, 7, 11)) -> list[dict]:
    """A to-do file of four segments of a seed page, with guesses, as `suggest` writes it."""
    segs = segment(ARTICLE.read_text(encoding="utf-8"), ARTICLE.stem)
    guesses = [(True, "meeting"), (False, None), (True, "cooperation"), (True, "cooperation")]
    rows = []
    for rank, (s, (rel, typ)) in enumerate(zip(seg_ids, guesses), start=1):
        rows.append({
            "doc_id": ARTICLE.stem, "seg_id": s, "text": segs[s].text, "relevant": rel, "event_type": typ,
            "origin": "real", "outlet": "Test Outlet", "score": 0.6 if rel else 0.3, "event_scores": {},
            "utility": 1.0, "rank": rank, "file": str(ARTICLE),
        })  # fmt: skip
    path.write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
    return rows


class Server:
    """`nkdiplomacy annotate` in a subprocess on a free port."""

    def __init__(self, *args: str):
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "nkdiplomacy.cli", "annotate", *args, "--port", "0"],
            stderr=subprocess.PIPE, env=local_env(), cwd=REPO,
        )  # fmt: skip
        line = self.proc.stderr.readline().decode()
        match = re.search(r"http://127\.0\.0\.1:(\d+)/", line)
        assert match, line + self.proc.stderr.read().decode() if self.proc.poll() is not None else line
        self.port = int(match[1])
        self.url = f"http://127.0.0.1:{self.port}/"

    def kill(self) -> None:
        self.proc.send_signal(signal.SIGKILL)  # as a crash would: nothing is flushed on the way out
        self.proc.wait(timeout=10)


def wait_for(driver, condition, timeout=20):
    from selenium.webdriver.support.ui import WebDriverWait

    return WebDriverWait(driver, timeout).until(lambda d: condition(d))


def text_of(driver, element_id):
    from selenium.webdriver.common.by import By

    return driver.find_element(By.ID, element_id).text


def press(driver, key):
    from selenium.webdriver.common.action_chains import ActionChains

    ActionChains(driver).send_keys(key).perform()


def labels_in(path: Path) -> list[dict]:
    return (
        [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()] if path.exists() else []
    )


def open_page(driver, url):
    driver.get(url)
    wait_for(driver, lambda d: d.find_element("tag name", "body").get_attribute("data-ready") == "1")


def current_seg(driver) -> str:
    return driver.find_element("tag name", "body").get_attribute("data-current")


@pytest.mark.slow  # a real browser
def test_label_with_the_keyboard_undo_reload_and_resume_after_a_crash(tmp_path, browser):
    from selenium.webdriver.common.by import By
    from selenium.webdriver.common.keys import Keys

    todo, out = tmp_path / "todo.jsonl", tmp_path / "labels.jsonl"
    rows = make_todo(todo)
    server = Server(str(todo), "--output", str(out))
    try:
        open_page(browser, server.url)
        assert text_of(browser, "progress") == "0 of 4 labeled"
        # The segment in its page: every line of the page listed, the segment highlighted, the guess pre-filled.
        page = browser.find_elements(By.CSS_SELECTOR, "#page li")
        assert len(page) == 20
        highlighted = browser.find_element(By.CSS_SELECTOR, "#page li.current")
        assert highlighted.text == rows[0]["text"] and highlighted.get_attribute("data-seg") == "2"
        assert "meeting" in text_of(browser, "guess")
        assert (
            browser.find_element(By.CSS_SELECTOR, "#answers button.guess").get_attribute("data-answer")
            == "meeting"
        )
        # The schema's event types with their descriptions.
        types = browser.find_elements(By.CSS_SELECTOR, "#types tr")
        assert len(types) == 7 and "summits" in types[0].text

        if shot := os.environ.get("NKDIPLOMACY_SCREENSHOT"):
            browser.save_screenshot(shot)

        press(browser, "5")  # on-topic, tension (the fifth type): the guess corrected
        wait_for(browser, lambda d: text_of(d, "progress") == "1 of 4 labeled")
        assert [(r["seg_id"], r["event_type"]) for r in labels_in(out)] == [(2, "tension")]
        press(browser, "0")  # off-topic
        wait_for(browser, lambda d: text_of(d, "progress") == "2 of 4 labeled")
        assert len(labels_in(out)) == 2
        press(browser, "u")  # undo: the last line is taken back, the segment shown again
        wait_for(browser, lambda d: text_of(d, "progress") == "1 of 4 labeled")
        assert len(labels_in(out)) == 1 and current_seg(browser).endswith("\t3")
        press(browser, Keys.ENTER)  # accept the model's guess (off-topic)
        wait_for(browser, lambda d: text_of(d, "progress") == "2 of 4 labeled")
        press(browser, "s")  # skip segment 7: nothing written
        wait_for(browser, lambda d: "1 skipped" in text_of(d, "progress"))
        assert current_seg(browser).endswith("\t11") and len(labels_in(out)) == 2

        browser.refresh()  # a reload resumes where it was
        wait_for(browser, lambda d: d.find_element("tag name", "body").get_attribute("data-ready") == "1")
        assert text_of(browser, "progress") == "2 of 4 labeled (1 skipped)"
        assert current_seg(browser).endswith("\t11")
    finally:
        server.kill()

    labels = read_annotations(out)  # valid records of the guide's format
    assert [(r.seg_id, r.relevant, r.event_type, r.origin, r.outlet) for r in labels] == [
        (2, True, "tension", "real", "Test Outlet"),
        (3, False, None, "real", "Test Outlet"),
    ]
    assert labels[0].text == rows[0]["text"]

    server = Server(str(todo), "--output", str(out))  # restart after the kill: resumes
    try:
        open_page(browser, server.url)
        assert text_of(browser, "progress") == "2 of 4 labeled"
        assert current_seg(browser).endswith("\t7")  # the skipped segment comes back after a restart
        press(browser, "2")
        wait_for(browser, lambda d: text_of(d, "progress") == "3 of 4 labeled")
        press(browser, "7")
        wait_for(browser, lambda d: text_of(d, "progress") == "4 of 4 labeled")
        assert "All done" in text_of(browser, "guess")
    finally:
        server.kill()
    assert [(r.seg_id, r.event_type) for r in read_annotations(out)][2:] == [
        (7, "cooperation"),
        (11, "analysis"),
    ]


@pytest.mark.slow  # a real browser
def test_counterparts_are_typed_with_the_keyboard_accepted_from_the_guess_or_left_unlabeled(
    tmp_path, browser
):
    from selenium.webdriver.common.by import By
    from selenium.webdriver.common.keys import Keys

    todo, out = tmp_path / "todo.jsonl", tmp_path / "labels.jsonl"
    rows = make_todo(todo)
    rows[0]["counterparts"] = ["CHN"]  # the model's guesses for on-topic segments
    rows[3]["counterparts"] = ["USA"]
    todo.write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
    server = Server(str(todo), "--output", str(out))
    try:
        open_page(browser, server.url)
        assert "CHN" in text_of(browser, "counterparts-guess")
        press(browser, "c")  # to the field: the keys type codes now, they do not answer
        press(browser, "rus, chn 1")
        assert browser.find_element(By.ID, "counterparts").get_attribute("value") == "rus, chn 1"
        assert labels_in(out) == []
        press(browser, Keys.ENTER)  # back to the keys: nothing sent yet
        press(browser, "1")  # an unknown code ("1") is refused: not saved, the message says why
        wait_for(browser, lambda d: "unknown counterpart '1'" in text_of(d, "message"))
        assert labels_in(out) == []
        field = browser.find_element(By.ID, "counterparts")
        field.clear()
        press(browser, "c")
        press(browser, "rus chn")
        press(browser, Keys.ESCAPE)
        press(browser, "1")  # on-topic, meeting, with the typed codes (sorted, upper case)
        wait_for(browser, lambda d: text_of(d, "progress") == "1 of 4 labeled")
        assert (
            browser.find_element(By.ID, "counterparts").get_attribute("value") == ""
        )  # the next item: empty
        press(browser, "0")  # off-topic: no counterparts
        wait_for(browser, lambda d: text_of(d, "progress") == "2 of 4 labeled")
        press(browser, "2")  # on-topic, the field untouched: counterparts left unlabeled
        wait_for(browser, lambda d: text_of(d, "progress") == "3 of 4 labeled")
        press(browser, Keys.ENTER)  # the whole guess accepted: type and counterparts
        wait_for(browser, lambda d: text_of(d, "progress") == "4 of 4 labeled")
    finally:
        server.kill()
    labels = read_annotations(out)
    assert [(r.seg_id, r.relevant, r.counterparts) for r in labels] == [
        (2, True, ("CHN", "RUS")),
        (3, False, None),
        (7, True, None),
        (11, True, ("USA",)),
    ]


def _request(url, method="GET", headers=None, body=None):
    req = urllib.request.Request(url, method=method, headers=headers or {}, data=body)
    try:
        with urllib.request.urlopen(req, timeout=10) as resp:
            return resp.status, resp.read().decode()
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read().decode()


def test_requests_not_from_the_page_are_refused(tmp_path):
    todo, out = tmp_path / "todo.jsonl", tmp_path / "labels.jsonl"
    rows = make_todo(todo)
    server = Server(str(todo), "--output", str(out))
    try:
        status, html = _request(server.url)
        assert status == 200
        token = re.search(r'name="token" content="([^"]+)"', html)[1]
        origin = server.url.rstrip("/")
        answer = json.dumps(
            {"key": f"{rows[0]['doc_id']}\t2", "relevant": False, "event_type": None}
        ).encode()
        post = {"Content-Type": "application/json"}
        api = server.url + "api/answer"
        assert _request(server.url + "api/state")[0] == 403  # no token
        assert _request(server.url + "api/state", headers={"X-Token": "guess"})[0] == 403
        assert _request(api, "POST", {**post, "Origin": origin}, answer)[0] == 403  # no token
        assert (
            _request(api, "POST", {**post, "X-Token": token, "Origin": "http://evil.example"}, answer)[0]
            == 403
        )
        assert _request(api, "POST", {**post, "X-Token": token}, answer)[0] == 403  # no Origin
        host = {"Host": f"evil.example:{server.port}", "X-Token": token}
        assert _request(server.url + "api/state", headers=host)[0] == 403  # DNS rebinding
        assert not out.exists() or out.read_text() == ""
        # The page's own request passes; a second answer for the same segment is refused, not appended.
        assert _request(api, "POST", {**post, "X-Token": token, "Origin": origin}, answer)[0] == 200
        assert _request(api, "POST", {**post, "X-Token": token, "Origin": origin}, answer)[0] == 409
        assert len(labels_in(out)) == 1
        # Bound to the loopback interface only.
        assert server.proc.poll() is None
        listening = [
            line for line in Path("/proc/net/tcp").read_text().splitlines() if f":{server.port:04X} " in line
        ]
        assert listening and all(line.split()[1].startswith("0100007F:") for line in listening)
    finally:
        server.kill()


def _one_line_error(result, *parts):
    err = result.stderr.decode()
    assert result.returncode == 1, err
    assert "Traceback" not in err and len(err.strip().splitlines()) == 1, err
    assert err.startswith("nkdiplomacy: error: ") and all(p in err for p in parts), err


def test_a_damaged_last_line_is_reported_on_restart(tmp_path):
    todo, out = tmp_path / "todo.jsonl", tmp_path / "labels.jsonl"
    rows = make_todo(todo)
    good = {k: rows[0][k] for k in ("doc_id", "seg_id", "text", "relevant", "event_type", "origin")}
    out.write_text(json.dumps(good) + "\n" + json.dumps(good)[:40], encoding="utf-8")
    before = out.read_bytes()
    _one_line_error(
        run_cli("annotate", str(todo), "--output", str(out), "--port", "0"), f"{out}:2:", "damaged"
    )
    assert out.read_bytes() == before  # never truncated or rewritten


def test_malformed_todo_unwritable_output_and_port_in_use_are_one_line_errors(tmp_path):
    todo, out = tmp_path / "todo.jsonl", tmp_path / "labels.jsonl"
    make_todo(todo)
    bad = tmp_path / "bad.jsonl"
    bad.write_text('{"doc_id": "a", "seg_id": 0, "text": "x", "relevant": true, "event_type": "party"}\n')
    _one_line_error(run_cli("annotate", str(bad), "--output", str(out)), f"{bad}:1:", "party")
    bad.write_text("{not json\n")
    _one_line_error(run_cli("annotate", str(bad), "--output", str(out)), f"{bad}:1:", "malformed JSON")
    _one_line_error(run_cli("annotate", str(tmp_path / "nope.jsonl"), "--output", str(out)), "no such file")
    _one_line_error(
        run_cli("annotate", str(todo), "--output", str(tmp_path / "no" / "labels.jsonl")), "cannot write"
    )
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        _one_line_error(
            run_cli("annotate", str(todo), "--output", str(out), "--port", str(port)), f"port {port}"
        )
    assert not out.exists()  # a failed start leaves no empty labels file behind


@pytest.mark.slow  # a real browser
def test_articles_can_be_annotated_directly_and_the_cli_does_not_load_flask_for_help(tmp_path, browser):
    out = tmp_path / "labels.jsonl"
    server = Server(str(ARTICLE), "--output", str(out))
    try:
        open_page(browser, server.url)
        assert text_of(browser, "progress") == "0 of 20 labeled" and text_of(browser, "guess") == "no guess"
        press(browser, "0")
        wait_for(browser, lambda d: text_of(d, "progress") == "1 of 20 labeled")
    finally:
        server.kill()
    assert [(r.seg_id, r.relevant) for r in read_annotations(out)] == [(0, False)]
    code = (
        "import nkdiplomacy, nkdiplomacy.cli, sys; nkdiplomacy.cli.build_parser(); print(sorted(sys.modules))"
    )
    loaded = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert "flask" not in loaded and "werkzeug" not in loaded and "selenium" not in loaded


def test_an_answer_after_the_labels_file_was_replaced_is_refused_not_lost(tmp_path):
    todo, out = tmp_path / "todo.jsonl", tmp_path / "labels.jsonl"
    rows = make_todo(todo)
    server = Server(str(todo), "--output", str(out))
    try:
        html = _request(server.url)[1]
        token = re.search(r'name="token" content="([^"]+)"', html)[1]
        headers = {"Content-Type": "application/json", "X-Token": token, "Origin": server.url.rstrip("/")}

        def answer(seg_id):
            body = json.dumps(
                {"key": f"{rows[0]['doc_id']}\t{seg_id}", "relevant": False, "event_type": None}
            )
            return _request(server.url + "api/answer", "POST", headers, body.encode())

        assert answer(2)[0] == 200
        replacement = tmp_path / "new.jsonl"
        replacement.write_text(out.read_text())
        replacement.replace(out)  # another tool rewrote the file while the server ran
        status, body = answer(3)
        assert status == 409 and "was replaced or removed while the server ran" in body, body
        assert len(labels_in(out)) == 1  # nothing was written to the deleted file and called saved
    finally:
        server.kill()


def test_a_todo_record_cannot_make_the_page_show_another_file_or_hang_on_a_fifo(tmp_path):
    from nkdiplomacy.labeling.annotate.session import read_todo

    secret = tmp_path / "secret"
    secret.write_text("root:x:0:0:root:/root:/bin/bash\n")
    fifo = tmp_path / "pipe.txt"
    os.mkfifo(fifo)
    todo = tmp_path / "todo.jsonl"
    rows = [
        {
            "doc_id": "p",
            "seg_id": 0,
            "text": "root:x:0:0:root:/root:/bin/bash",
            "relevant": False,
            "file": str(secret),
        },
        {"doc_id": "q", "seg_id": 0, "text": "Kim met Xi.", "relevant": False, "file": str(fifo)},
    ]
    todo.write_text("".join(json.dumps({**r, "event_type": None, "origin": "real"}) + "\n" for r in rows))
    _, pages = read_todo(todo)  # returns at once: the FIFO is not opened
    assert pages == {"p": [(0, rows[0]["text"])], "q": [(0, "Kim met Xi.")]}  # only the records' own lines
