"""The practice page (/practice) in Debian's Chromium (Playwright's Python library pointed at /usr/bin/chromium;
no browser is downloaded), against the real `motia dev` app and engine: every item type chosen, answered with
the page's own controls, scored, and its result and evidence shown; a recording from a fake microphone (a
espeak-ng-synthesised WAV); the score report; bad input; and no request to any other host. Screenshots go to
bench/out/practice/ (gitignored)."""
from __future__ import annotations

import json
import os
import re
import shutil
import signal
import subprocess
from pathlib import Path
from urllib.parse import urlsplit

import httpx
import pytest

from conftest import ROOT, wait_http

pytestmark = [pytest.mark.e2e,
              pytest.mark.skipif(not Path("/usr/bin/chromium").exists(), reason="needs Debian's chromium (scripts/apt-packages.txt)")]
playwright_api = pytest.importorskip("playwright.sync_api")
expect = playwright_api.expect

CHROMIUM = "/usr/bin/chromium"
FLAGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
         "--disable-sync", "--no-first-run", "--use-fake-device-for-media-stream"]
SHOTS = ROOT / "bench" / "out" / "practice"
SAMPLES = [json.loads(line) for line in (ROOT / "examples" / "batch.jsonl").read_text().splitlines() if line.strip()]
BY_TYPE = {s["item_type"]: s for s in SAMPLES}
CATALOGUE = json.loads((ROOT / "scoring" / "data" / "catalogue.json").read_text())
RS_TEXT = BY_TYPE["repeat_sentence"]["item"]["reference_text"]
PHONE = {"width": 390, "height": 844}


@pytest.fixture(scope="module")
def speech_wav(tmp_path_factory) -> Path:
    """The repeat-sentence item spoken by espeak-ng, with silence around it (Chromium loops the fake capture file)."""
    if not (shutil.which("espeak-ng") and shutil.which("sox")):
        pytest.skip("needs espeak-ng and sox (scripts/apt-packages.txt)")
    d = tmp_path_factory.mktemp("voice")
    raw, wav = d / "raw.wav", d / "rs.wav"
    subprocess.run(["espeak-ng", "-w", str(raw), RS_TEXT], check=True, capture_output=True)
    subprocess.run(["sox", str(raw), "-r", "48000", str(wav), "pad", "0.4", "2.0"], check=True, capture_output=True)
    return wav


@pytest.fixture(scope="module")
def browser(speech_wav):
    with playwright_api.sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=FLAGS + [
            "--use-fake-ui-for-media-stream", f"--use-file-for-fake-audio-capture={speech_wav}"])
        yield b
        b.close()


class Visit:
    """A phone-sized page on the app that records every request and aborts any to another host."""

    def __init__(self, browser, app):
        self.app = app
        self.context = browser.new_context(viewport=PHONE)
        self.urls: list[str] = []
        self.offhost: list[str] = []
        own = urlsplit(app.url).netloc

        def route(r):
            if urlsplit(r.request.url).netloc == own:
                r.continue_()
            else:
                self.offhost.append(r.request.url)
                r.abort()

        self.context.route("**/*", route)
        self.page = self.context.new_page()
        self.page.on("request", lambda r: self.urls.append(r.url))
        self.page.on("websocket", lambda ws: self.urls.append(ws.url))
        self.errors: list[str] = []
        self.page.on("pageerror", lambda e: self.errors.append(str(e)))

    def open(self, item_type: str | None = None):
        self.page.goto(self.app.url + "/practice")
        expect(self.page.get_by_label("Item type").locator("option")).to_have_count(len(CATALOGUE["items"]))
        if item_type:
            self.page.get_by_label("Item type").select_option(item_type)
        return self.page

    def check_own_host_only(self):
        own = {urlsplit(self.app.url).netloc}
        assert not self.offhost, self.offhost
        hosts = {urlsplit(u.removeprefix("blob:")).netloc for u in self.urls if not u.startswith("data:")}
        assert hosts <= own, self.urls  # blob: URLs (the recording played back) name their origin
        assert not self.errors, self.errors

    def shot(self, name: str):
        SHOTS.mkdir(parents=True, exist_ok=True)
        self.page.screenshot(path=str(SHOTS / f"{name}.png"), full_page=True)


@pytest.fixture
def visit(browser, motia_app):
    v = Visit(browser, motia_app)
    yield v
    v.check_own_host_only()
    v.context.close()


def official(app, sub: dict) -> dict:
    """What the API gives the same submission (POST /score), to compare the page's total with."""
    r = httpx.post(app.url + "/score", json=sub, timeout=60)
    assert r.status_code == 200, r.text
    return r.json()


def answer_with_controls(page, sub: dict) -> None:
    """Answer as a learner would, with the page's own controls (keyboard for re-ordering and highlighting)."""
    code, item, resp = sub["item_type"], sub["item"], sub["response"]
    mode = CATALOGUE["items"][code]["mode"]
    if mode == "spoken":
        page.get_by_role("button", name="Use the sample answer").click()  # a timed transcript (no recording)
    elif "text" in resp:
        page.get_by_label("Answer", exact=True).fill(resp["text"])
    elif "passage_parts" in item:
        for i, value in enumerate(resp["answer"]):
            blank = page.get_by_label(f"Blank {i + 1}", exact=True)
            if blank.evaluate("e => e.tagName") == "SELECT":
                blank.select_option(value)
            else:
                blank.fill(value)
    elif code == "reorder_paragraphs":
        for pos, pid in enumerate(resp["answer"]):
            ids = page.locator(".order li").evaluate_all("els => els.map(e => e.dataset.id)")
            for _ in range(ids.index(pid) - pos):
                page.locator(f'.order li[data-id="{pid}"] button.up').focus()
                page.keyboard.press("Enter")
    elif code == "highlight_incorrect_words":
        for i in resp["answer"]:
            page.locator(f'.words button[data-index="{i}"]').focus()
            page.keyboard.press("Space")
    else:
        chosen = resp["answer"] if isinstance(resp["answer"], list) else [resp["answer"]]
        for i in chosen:
            page.get_by_label(item["options"][i], exact=True).check()


def score_and_wait(page, timeout: float = 60_000):
    page.get_by_role("button", name="Score", exact=True).click()
    expect(page.locator("#result")).to_be_visible(timeout=timeout)


EVIDENCE = {  # what each sample's marked answer must show (the samples carry these mistakes on purpose)
    "write_from_dictation": [(".evidence .missing", "their"), (".evidence .misspelled", "assignmants → assignments"),
                             (".evidence .extra", "there"), (".evidence .ok", "students")],
    "write_essay": [("mark.err", "expects"), (".sugg", "expect")],
    "summarize_spoken_text": [("mark.err", "there"), (".sugg", "their")],
    "listening_fill_blanks": [(".evidence li.misspelled", "presure")],
    "reading_writing_fill_blanks": [(".evidence li.missing", "risen")],
    "reorder_paragraphs": [(".evidence li.missing", "p1 then p3")],
    "highlight_incorrect_words": [(".evidence .ok", "slowly"), (".evidence .missing", "the"), (".evidence .misspelled", "every")],
    "multiple_choice_multiple_listening": [(".evidence li.missing", "A cafe"), (".evidence li.ok", "Modern photography")],
    "read_aloud": [(".evidence .filler", "um"), (".evidence .pause", "pause")],
    "repeat_sentence": [(".evidence .filler", "um")],
}


@pytest.mark.parametrize("item_type", list(CATALOGUE["items"]))
def test_each_item_type_answered_scored_and_explained(visit, motia_app, item_type):
    sub = BY_TYPE[item_type]
    page = visit.open(item_type)
    answer_with_controls(page, sub)
    score_and_wait(page)
    want = official(motia_app, sub)
    expect(page.locator("#total")).to_have_text(re.compile(rf"^{want['score']:g} / {want['max_score']:g}\b"))
    traits = page.locator("#traits li")
    expect(traits).to_have_count(len(want["traits"]))
    for i, (name, t) in enumerate(want["traits"].items()):
        meter = traits.nth(i).get_by_role("meter")
        expect(meter).to_have_attribute("aria-valuemax", str(t["max"]))
        expect(traits.nth(i)).to_contain_text(CATALOGUE["traits"][name]["label"])
        expect(traits.nth(i).locator(".trait-feedback")).to_have_text(t["feedback"])
    expect(page.locator("#evidence")).not_to_be_empty()
    for selector, text in EVIDENCE.get(item_type, []):
        expect(page.locator(selector).filter(has_text=text).first).to_be_visible()
    expect(page.get_by_role("status")).to_contain_text("Scored in")
    assert not page.locator("body").inner_text().count("Traceback")
    assert any(u.startswith("ws://") for u in visit.urls)  # progress came over the stream's WebSocket
    if CATALOGUE["items"][item_type]["mode"] == "objective":  # fast jobs: the stream alone, no GET /job polling
        assert not any("/job/" in u for u in visit.urls), visit.urls
    visit.shot(item_type)


def test_gate_is_explained(visit):
    page = visit.open("summarize_written_text")
    page.get_by_label("Answer", exact=True).fill("Trees cool cities. They also save energy and help health in summer.")
    score_and_wait(page)
    expect(page.locator("#total")).to_have_text(re.compile(r"^0 / 9"))
    expect(page.locator("#gate")).to_be_visible()
    expect(page.locator("#gate")).to_contain_text("Gate applied")
    expect(page.locator("#gate")).to_contain_text("Form")


def test_recording_from_the_microphone_is_scored_with_pronunciation(visit):
    page = visit.open("repeat_sentence")
    page.get_by_role("button", name="Record", exact=True).click()
    expect(page.get_by_role("status")).to_contain_text("Recording")
    page.wait_for_timeout(4800)  # the sentence (about 3.7 s) after 0.4 s of silence
    page.get_by_role("button", name="Stop", exact=True).click()
    expect(page.locator("#audio-state")).to_contain_text("Recording ready", timeout=30_000)
    score_and_wait(page, timeout=90_000)
    pron = page.locator("#traits li").filter(has_text="Pronunciation")
    expect(pron.get_by_role("meter")).not_to_have_attribute("aria-valuetext", re.compile("not scored"))
    words = page.locator("#evidence .w.clear, #evidence .w.unclear")
    expect(words.first).to_be_visible()
    assert words.count() >= 8
    assert any(u.endswith("/audio") for u in visit.urls)
    visit.shot("repeat_sentence-recorded")


def test_score_report_from_scored_items(visit, motia_app):
    page = visit.open()
    for code in ("write_from_dictation", "multiple_choice_single_reading", "reading_fill_blanks"):
        page.get_by_label("Item type").select_option(code)
        answer_with_controls(page, BY_TYPE[code])
        score_and_wait(page)
    expect(page.locator("#scored-count")).to_have_text("3")
    page.get_by_role("button", name="Make a score report").click()
    expect(page.get_by_role("status")).to_have_text("The score report is ready below.", timeout=30_000)
    img = page.locator("#report img")
    assert img.evaluate("e => e.complete && e.naturalWidth") > 300
    expect(img).to_have_attribute("alt", re.compile(r"overall \d+"))
    png = httpx.get(motia_app.url + page.locator("#report-png").get_attribute("href"), timeout=30)
    assert png.status_code == 200 and png.content.startswith(b"\x89PNG") and png.headers["content-type"] == "image/png"
    visit.shot("score-report")


# ---------------------------------------------------------------- bad input: said in words, the answer kept

def status_text(page) -> str:
    return page.get_by_role("status").inner_text()


def test_empty_answer_is_refused_in_words(visit):
    page = visit.open("write_from_dictation")
    page.get_by_role("button", name="Score", exact=True).click()
    expect(page.get_by_role("status")).to_contain_text("The Answer box is empty")
    assert not any(u.endswith("/score_async") for u in visit.urls)  # nothing was sent


def test_huge_paste_is_refused_and_kept(visit):
    page = visit.open("write_essay")
    huge = "Universities matter. " * 1500  # 31,500 characters, over the engine's 20,000
    page.get_by_label("Answer", exact=True).fill(huge)
    page.get_by_role("button", name="Score", exact=True).click()
    expect(page.get_by_role("status")).to_contain_text("the limit is 20,000")
    assert page.get_by_label("Answer", exact=True).input_value() == huge


def test_answer_over_the_body_limit_gets_the_servers_words(visit):
    """19,998 characters of three-byte text pass the page's character check, not the server's body limit
    (MAX_BODY_BYTES, 60,000 bytes in the tests' app)."""
    page = visit.open("write_essay")
    text = "—€" * 9_999
    page.get_by_label("Answer", exact=True).fill(text)
    page.get_by_role("button", name="Score", exact=True).click()
    expect(page.get_by_role("status")).to_contain_text("too large", timeout=20_000)
    assert page.get_by_label("Answer", exact=True).input_value() == text
    assert "Traceback" not in status_text(page) and "stack" not in status_text(page).lower()


def test_wrong_audio_file_type_is_refused_in_words(visit, tmp_path):
    page = visit.open("read_aloud")
    bogus = tmp_path / "answer.wav"
    bogus.write_text("this is a text file, not a recording\n" * 20)
    page.locator("#audio-file").set_input_files(str(bogus))
    expect(page.get_by_role("status")).to_contain_text("The recording was not accepted", timeout=20_000)
    expect(page.locator("#audio-state")).to_have_text("No recording yet.")
    page.get_by_role("button", name="Score", exact=True).click()
    expect(page.get_by_role("status")).to_contain_text("There is no recording yet")


def test_microphone_refused_by_the_browser(browser, motia_app):
    """Another Chromium that denies permission prompts: the page says so and offers the upload."""
    pw_browser = browser.browser_type.launch(executable_path=CHROMIUM, args=FLAGS + ["--deny-permission-prompts"])
    try:
        v = Visit(pw_browser, motia_app)
        page = v.open("repeat_sentence")
        page.get_by_role("button", name="Record", exact=True).click()
        expect(page.get_by_role("status")).to_contain_text("Recording did not start", timeout=20_000)
        expect(page.get_by_role("status")).to_contain_text("upload a recording instead")
        expect(page.get_by_role("button", name="Record", exact=True)).to_be_visible()
        v.check_own_host_only()
    finally:
        pw_browser.close()


def test_engine_down_is_said_in_words(visit, motia_app, speech_wav):
    page = visit.open("repeat_sentence")
    os.kill(motia_app.engine_pid(), signal.SIGKILL)
    try:
        page.locator("#audio-file").set_input_files(str(speech_wav))
        expect(page.get_by_role("status")).to_contain_text("scoring engine is not available", timeout=20_000)
        assert "Traceback" not in status_text(page)
    finally:  # the supervisor restarts it; the other tests need it
        wait_http(motia_app.engine_url + "/health", 120, ok=lambda r: r.status_code == 200 and r.json()["status"] == "ok")


def test_page_and_report_routes(motia_app):
    page = httpx.get(motia_app.url + "/practice", timeout=10)
    assert page.status_code == 200 and "text/html" in page.headers["content-type"]
    assert "default-src 'self'" in page.headers["content-security-policy"]
    assert not re.search(r"(src|href)=\"(https?:)?//", page.text)  # nothing from another host
    samples = httpx.get(motia_app.url + "/practice/samples.jsonl", timeout=10).text
    assert samples == (ROOT / "examples" / "batch.jsonl").read_text()
    missing = httpx.get(motia_app.url + "/assessments/asm_nope/report.svg", timeout=30)
    assert missing.status_code == 404 and missing.json()["errors"][0]["field"] == "assessment_id"
