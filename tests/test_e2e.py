"""End to end against a real `motia dev` (steps in Python processes, in-process Redis, BullMQ queue) with
its supervised engine. Objective and write-from-dictation items: scored by the engine, no cloud."""
from __future__ import annotations

import asyncio
import json
import os
import shutil
import signal
import subprocess
import time

import httpx
import pytest
from streams import client as stream_client

pytestmark = pytest.mark.e2e

WFD = {"item_type": "write_from_dictation", "response": {"text": "the students must submit their essays by friday"},
       "item": {"reference_text": "The students must submit their assignments by Friday."}}
MCQ = {"item_type": "multiple_choice_single_reading", "response": {"answer": "B"},
       "item": {"answer_key": "B", "options": ["A", "B", "C", "D"]}}


def client(app) -> httpx.Client:
    return httpx.Client(base_url=app.url, timeout=30)


def wait_job(c: httpx.Client, job_id: str, timeout: float = 90) -> dict:
    t0 = time.time()
    while time.time() - t0 < timeout:
        r = c.get(f"/job/{job_id}")
        assert r.status_code == 200, r.text
        if r.json()["status"] in ("completed", "failed"):
            return r.json()
        time.sleep(0.3)
    raise TimeoutError(f"job {job_id} not finished: {r.json()}")


async def watch(ws_url: str, group: str, item_id: str | None, until, timeout: float = 90) -> list[dict]:
    """Join a stream group with the project's client helper; collect item data until `until(data)` holds."""
    seen = []
    async for d in stream_client.watch(ws_url, group, item_id, timeout):
        seen.append(d)
        if until(d, seen):
            return seen
    raise TimeoutError(f"stream {group}: condition not met; saw {seen[-3:]}")


def test_health_reports_app_engine_and_redis(motia_app):
    with client(motia_app) as c:
        r = c.get("/health")
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["status"] == "ok" and body["redis"]["status"] == "ok"
    assert body["engine"]["status"] == "ok" and "write_from_dictation" in body["engine"]["scorers"]
    assert body["version"] and body["rule_version"]


def test_score_sync_returns_the_full_result(motia_app):
    with client(motia_app) as c:
        r = c.post("/score", json=WFD)
    assert r.status_code == 200, r.text
    res = r.json()
    assert res["item_type"] == "write_from_dictation" and res["max_score"] == 8
    assert 0 < res["score"] < 8  # two words differ from the reference
    assert res["traits"]["content"]["evidence"]


def test_score_async_streams_updates_until_completed(motia_app):
    with client(motia_app) as c:
        r = c.post("/score_async", json=WFD)
        assert r.status_code == 202, r.text
        job_id = r.json()["job_id"]
        assert job_id.startswith("job_") and len(job_id) > 20  # 128 random bits
        seen = asyncio.run(watch(motia_app.ws_url, job_id, job_id, lambda d, s: d.get("status") == "completed"))
        final = seen[-1]
        assert final["job_id"] == job_id and final["result"]["score"] > 0
        # the job does not wait for the Transcriber's 'skipped' (a text job expects no speech partial),
        # so that partial may be stored just after completion: give it a moment
        deadline = time.time() + 30
        while "speech" not in (job := c.get(f"/job/{job_id}").json())["partials"] and time.time() < deadline:
            time.sleep(0.1)
    assert job["status"] == "completed" and job["result"]["score"] == final["result"]["score"]
    assert job["partials"]["nlp"]["status"] == "completed"
    assert job["partials"]["speech"]["status"] == "skipped" and "nothing to transcribe" in job["partials"]["speech"]["reason"]
    assert job["timings_ms"]["total"] > 0 and "nlp.step" in job["timings_ms"]


def test_stream_client_helpers_follow_a_job(motia_app):
    """streams/client.py (Python) and streams/client.mjs (Motia's official Node client) both see completion."""
    from conftest import ROOT
    from streams.schemas import ScoreJobItem

    with client(motia_app) as c:
        job_id = c.post("/score_async", json=WFD).json()["job_id"]
        node = subprocess.run(["node", "streams/client.mjs", motia_app.ws_url, job_id], cwd=ROOT,
                              capture_output=True, text=True, timeout=60)
        job_id2 = c.post("/score_async", json=WFD).json()["job_id"]

    async def follow_all() -> list[dict]:
        return [item async for item in stream_client.follow(motia_app.ws_url, job_id2, timeout=60)]

    assert node.returncode == 0, node.stdout + node.stderr
    assert json.loads(node.stdout.strip().splitlines()[-1])["status"] == "completed"
    items = [ScoreJobItem.model_validate(i) for i in asyncio.run(follow_all())]
    assert items[-1].status == "completed" and items[-1].result["item_type"] == "write_from_dictation"


def test_bad_requests_name_the_field(motia_app):
    with client(motia_app) as c:
        r = c.post("/score_async", content=b"{not json", headers={"content-type": "application/json"})
        assert r.status_code == 400 and r.json()["errors"][0]["field"] == "body"
        r = c.post("/score_async", json={**WFD, "item_type": "poem"})
        assert r.status_code == 422 and r.json()["errors"][0]["field"] == "item_type"
        r = c.post("/score_async", json={**WFD, "item": {}})
        assert r.status_code == 422 and r.json()["errors"][0]["field"] == "item.reference_text"
        r = c.post("/score", json={**WFD, "response": {"text": 5}})
        assert r.status_code == 422 and r.json()["errors"][0]["field"] == "response.text"
        r = c.post("/batch_score", json={"submissions": "x"})
        assert r.status_code == 422 and r.json()["errors"][0]["field"] == "submissions"
        r = c.post("/assessments", json={"job_ids": [7]})
        assert r.status_code == 422 and r.json()["errors"][0]["field"] == "job_ids"


def test_oversized_body_is_413(motia_app):
    big = {**WFD, "response": {"text": "word " * 20_000}}  # 100 KB: above MAX_BODY_BYTES (60,000 in the tests' app)
    with client(motia_app) as c:
        r = c.post("/score_async", json=big)
        assert r.status_code == 413 and r.json()["errors"][0]["field"] == "body"
        r = c.post("/batch_score", json={"submissions": [WFD] * 500})
        assert r.status_code == 413


def test_unknown_ids_are_404(motia_app):
    with client(motia_app) as c:
        for path in ("/job/job_doesnotexist", "/job/whatever", "/assessments/asm_nope", "/workflow/wf_nope",
                     "/workflow/wf_nope/stream"):
            assert c.get(path).status_code == 404, path


def test_emit_is_closed(motia_app):
    with client(motia_app) as c:
        r = c.post("/emit", json={"topic": "submission.received", "data": {"job_id": "job_forged"}})
    assert r.status_code == 404


def test_admin_routes_answer_loopback_clients_in_dev(motia_app):
    """Dev keeps the Workbench's admin API for the developer's own machine (production: 404, see
    test_e2e_hardening.py); any browser origin may call the API in dev, without credentials."""
    with client(motia_app) as c:
        assert c.get("/__motia/bullmq/queues").status_code == 200
        r = c.get("/health", headers={"Origin": "http://localhost:5173"})
    assert r.headers["access-control-allow-origin"] == "*"
    assert "access-control-allow-credentials" not in r.headers


def test_batch_reports_bad_items_by_index_and_scores_the_rest(motia_app):
    bad = {"item_type": "write_from_dictation", "response": {"text": "x"}}
    with client(motia_app) as c:
        r = c.post("/batch_score", json={"submissions": [WFD, bad, MCQ]})
        assert r.status_code == 202, r.text
        body = r.json()
        assert [j["index"] for j in body["jobs"]] == [0, 2]
        assert body["rejected"] == [{"index": 1, "errors": [{"field": "submissions.1.item.reference_text",
                                                              "message": "required for write_from_dictation"}]}]
        done = [wait_job(c, j["job_id"]) for j in body["jobs"]]
    assert [d["status"] for d in done] == ["completed", "completed"]
    assert done[1]["result"]["score"] == 1


def test_assessment_from_jobs(motia_app):
    with client(motia_app) as c:
        ids = [c.post("/score_async", json=s).json()["job_id"] for s in (WFD, MCQ)]
        for j in ids:
            wait_job(c, j)
        r = c.post("/assessments", json={"job_ids": ids})
        assert r.status_code == 201, r.text
        aid = r.json()["assessment_id"]
        got = c.get(f"/assessments/{aid}")
        assert got.status_code == 200
        est = got.json()["estimate"]
        assert est["label"] == "estimate" and 10 <= est["overall"]["gse"] <= 90
        assert c.post("/assessments", json={"job_ids": ["job_unknown"]}).status_code == 404


def test_workflow_scores_a_set_and_assesses_it(motia_app):
    with client(motia_app) as c:
        r = c.post("/workflow/create", json={"name": "practice 1", "submissions": [WFD, MCQ]})
        assert r.status_code == 201, r.text
        wid = r.json()["workflow_id"]
        info = c.get(f"/workflow/{wid}/stream").json()
        assert info["stream"] == "scoreJob" and info["group_id"] == wid and "SSE" in info["sse"] or "Server-Sent" in info["sse"]
        assert info["join_message"]["data"]["groupId"] == wid
        n_jobs = len(r.json()["job_ids"])
        asyncio.run(watch(motia_app.ws_url, wid, None,
                          lambda d, seen: len({x["job_id"] for x in seen if x.get("status") == "completed"}) == n_jobs))
        t0 = time.time()
        while True:
            wf = c.get(f"/workflow/{wid}").json()
            if wf["status"] == "completed" and wf["assessment"]:
                break
            assert time.time() - t0 < 60, wf
            time.sleep(0.3)
    assert wf["counts"] == {"completed": 2} and wf["assessment"]["overall"]["gse"] >= 10


def test_metrics_are_prometheus_text(motia_app):
    with client(motia_app) as c:
        wait_job(c, c.post("/score_async", json=MCQ).json()["job_id"])
        r = c.get("/metrics")
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/plain")
    text = r.text
    assert 'pte_submissions_total{item_type="multiple_choice_single_reading",mode="score_async"}' in text
    assert "# TYPE pte_step_seconds histogram" in text and 'pte_step_seconds_bucket{step="NlpScorer",le="+Inf"}' in text
    assert "pte_queue_depth" in text


def test_audio_upload_is_streamed_to_the_engine(motia_app):
    with client(motia_app) as c:
        ext = c.get("/health").json()["engine"]["extensions"]
        r = c.post("/audio", content=b"RIFF" + os.urandom(2000), headers={"content-type": "audio/wav"})
        if ext.get("scoring.speech.http") == "mounted":
            assert r.status_code in (415, 422) and r.json()["errors"][0]["field"] == "body", r.text  # not audio
        else:  # the proxy reached the engine, which has no /audio route yet
            assert r.status_code == 404
        r = c.post("/audio", content=b"0" * 2_100_000, headers={"content-type": "audio/wav"})
        assert r.status_code == 413


@pytest.mark.skipif(not shutil.which("flite"), reason="needs flite (scripts/apt-packages.txt)")
def test_spoken_item_through_upload_transcriber_and_stream(motia_app, tmp_path):
    """POST /audio (raw body streamed to the engine) -> audio_id -> /score_async read_aloud -> Transcriber
    (engine transcribes and scores) -> transcript.ready -> completed on the stream."""
    text = "The students collected samples from the river every morning for three weeks."
    wav = tmp_path / "read.wav"
    subprocess.run(["flite", "-voice", "slt", "-t", text, "-o", str(wav)], check=True, capture_output=True)
    with client(motia_app) as c:
        if c.get("/health").json()["engine"]["extensions"].get("scoring.speech.http") != "mounted":
            pytest.skip("speech routes not in the engine yet")
        up = c.post("/audio", content=wav.read_bytes(), headers={"content-type": "audio/wav"})
        assert up.status_code == 201, up.text
        sub = {"item_type": "read_aloud", "response": {"audio_id": up.json()["audio_id"]}, "item": {"reference_text": text}}
        job_id = c.post("/score_async", json=sub).json()["job_id"]
        seen = asyncio.run(watch(motia_app.ws_url, job_id, job_id,
                                 lambda d, s: d.get("status") in ("completed", "failed"), timeout=150))
        job = c.get(f"/job/{job_id}").json()
    assert seen[-1]["status"] == "completed", job.get("error")
    assert job["partials"]["speech"]["status"] == "completed"
    assert job["partials"]["nlp"]["status"] == "skipped" and "audio" in job["partials"]["nlp"]["reason"]
    assert job["result"]["item_type"] == "read_aloud" and job["result"]["traits"]["content"]["score"] is not None


def test_step_failure_is_retried_when_the_engine_is_down(motia_app):
    """Kill the engine, submit at once: NlpScorer fails (engine unreachable), the queue retries it,
    the supervisor restarts the engine and the job completes."""
    with client(motia_app) as c:
        before = c.get("/metrics").text
        pid = motia_app.engine_pid()
        os.kill(pid, signal.SIGKILL)
        job_id = c.post("/score_async", json=WFD).json()["job_id"]
        job = wait_job(c, job_id, timeout=120)
        after = c.get("/metrics").text
    assert job["status"] == "completed", job
    assert motia_app.engine_pid() != pid

    def failures(text):
        return sum(float(line.rsplit(" ", 1)[1]) for line in text.splitlines()
                   if line.startswith('pte_engine_failures_total{step="NlpScorer"}'))
    assert failures(after) > failures(before)


def test_engine_killed_mid_job_loses_nothing(motia_app):
    essay = {"item_type": "write_essay", "item": {"prompt": "Some people think technology makes life easier. Discuss."},
             "response": {"text": ("Technology has changed the way we live and work. " * 12).strip()}}
    with client(motia_app) as c:
        ids = [c.post("/score_async", json=s).json()["job_id"] for s in (essay, WFD, MCQ, WFD)]
        time.sleep(0.5)
        os.kill(motia_app.engine_pid(), signal.SIGKILL)
        jobs = [wait_job(c, j, timeout=150) for j in ids]
    assert [j["status"] for j in jobs] == ["completed"] * 4, [j.get("error") for j in jobs]


def test_every_step_file_is_registered(motia_app):
    """Motia drops a step whose config it rejects with a log line only: check each one registered."""
    from conftest import ROOT

    import re

    log = re.sub(r"\x1b\[[0-9;]*m", "", motia_app.log.read_text())  # colours are forced on when CI=true
    files = sorted(p.relative_to(ROOT).as_posix() for p in (ROOT / "steps").glob("*.py"))
    missing = [f for f in files if f"{f} registered" not in log]
    assert not missing, missing
