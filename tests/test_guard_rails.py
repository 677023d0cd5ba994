"""Issue 18 with a fake Motia context: records remember the API key that created them, another key gets 404,
DELETE removes a job's data (and its audio from the engine's store), audit entries wait in state when
DATABASE_URL is set and not at all otherwise."""
from __future__ import annotations

import pytest

from conftest import load_step, run
from scoring import audit, jobs
from scoring.settings import get_settings

WFD = {"item_type": "write_from_dictation", "response": {"text": "the cat sat on the mat"},
       "item": {"reference_text": "The cat sat on the mat."}}

score_async = load_step("steps/score_async_api_step.py")
get_job = load_step("steps/job_api_step.py")
delete_job = load_step("steps/job_delete_api_step.py")
delete_workflow = load_step("steps/workflow_delete_api_step.py")
create_workflow = load_step("steps/workflow_create_api_step.py")
get_workflow = load_step("steps/workflow_get_api_step.py")
nlp = load_step("steps/nlp_score_step.py")
ai = load_step("steps/ai_score_step.py")
aggregate = load_step("steps/aggregate_step.py")
webhook = load_step("steps/webhook_step.py")
SUBSCRIBERS = {"submission.received": [nlp, ai], "score.partial": [aggregate]}


def pump(ctx) -> list[dict]:
    """Deliver emitted events to the steps that subscribe to them, as the queue would, until none is left;
    returns the webhook.deliver events (not run here)."""
    webhooks_due, seen = [], 0
    while seen < len(ctx.emitted):
        event = ctx.emitted[seen]
        seen += 1
        if event["topic"] == "webhook.deliver":
            webhooks_due.append(event["data"])
        for step in SUBSCRIBERS.get(event["topic"], []):
            run(step.handler(event["data"], ctx))
    return webhooks_due


def as_client(name, **req):
    return {"headers": {"x-pte-client": name} if name else {}, **req}


def submit(ctx, client):
    res = run(score_async.handler(as_client(client, body=WFD), ctx))
    assert res["status"] == 202, res
    return res["body"]["job_id"]


def test_a_job_is_seen_only_by_the_key_that_submitted_it(ctx):
    job_id = submit(ctx, "web")
    assert run(jobs.get(ctx, jobs.JOBS, job_id))["client"] == "web"
    assert run(get_job.handler(as_client("web", pathParams={"job_id": job_id}), ctx))["status"] == 200
    for other in ("ios", None):
        res = run(get_job.handler(as_client(other, pathParams={"job_id": job_id}), ctx))
        assert res["status"] == 404 and res["body"]["errors"][0]["field"] == "job_id"
        assert run(delete_job.handler(as_client(other, pathParams={"job_id": job_id}), ctx))["status"] == 404
    assert run(jobs.get(ctx, jobs.JOBS, job_id)) is not None


def test_delete_removes_the_submission_results_and_stream_items(ctx, engine_env):
    job_id = submit(ctx, None)
    pump(ctx)
    assert run(jobs.get(ctx, jobs.JOBS, job_id))["status"] == "completed"
    res = run(delete_job.handler(as_client(None, pathParams={"job_id": job_id}), ctx))
    assert res["status"] == 204
    for group in (jobs.JOBS, jobs.SUBMISSIONS, jobs.ACTIVE, jobs.TRANSCRIPTS):
        assert run(jobs.get(ctx, group, job_id)) is None
    assert jobs.partials_group(job_id) not in ctx.state.groups
    assert (job_id, job_id) not in ctx.streams.scoreJob.items
    assert run(get_job.handler(as_client(None, pathParams={"job_id": job_id}), ctx))["status"] == 404
    assert run(delete_job.handler(as_client(None, pathParams={"job_id": job_id}), ctx))["status"] == 404


def tone_wav(seconds: float = 1.0, rate: int = 16000) -> bytes:
    import io
    import math
    import struct
    import wave
    buf = io.BytesIO()
    with wave.open(buf, "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(rate)
        w.writeframes(b"".join(struct.pack("<h", int(8000 * math.sin(2 * math.pi * 440 * i / rate)))
                               for i in range(int(seconds * rate))))
    return buf.getvalue()


def test_deleting_a_job_deletes_its_uploaded_audio(ctx, engine_env):
    import httpx
    from conftest import ROOT
    up = httpx.post(engine_env.url + "/audio", content=tone_wav(), headers={"content-type": "audio/wav"}, timeout=30)
    assert up.status_code == 201, up.text
    audio_id = up.json()["audio_id"]
    stored = lambda: list((ROOT / ".data" / "audio").glob(f"{audio_id}.*"))  # noqa: E731 (the engine's AUDIO_DIR)
    assert stored()
    submission = {"item_type": "read_aloud", "response": {"audio_id": audio_id}, "item": {"reference_text": "Hi."}}
    job = run(jobs.create_job(ctx, submission, ttl_s=60, client="web"))
    assert run(delete_job.handler(as_client("web", pathParams={"job_id": job["job_id"]}), ctx))["status"] == 204
    assert not stored()
    assert run(jobs.get(ctx, jobs.SUBMISSIONS, job["job_id"])) is None


def test_a_workflow_is_deleted_with_its_jobs(ctx, engine_env):
    res = run(create_workflow.handler(as_client("web", body={"submissions": [WFD, WFD]}), ctx))
    assert res["status"] == 201, res
    wid, job_ids = res["body"]["workflow_id"], res["body"]["job_ids"]
    assert run(get_workflow.handler(as_client("ios", pathParams={"workflow_id": wid}), ctx))["status"] == 404
    assert run(delete_workflow.handler(as_client("ios", pathParams={"workflow_id": wid}), ctx))["status"] == 404
    assert run(delete_workflow.handler(as_client("web", pathParams={"workflow_id": wid}), ctx))["status"] == 204
    assert run(jobs.get(ctx, jobs.WORKFLOWS, wid)) is None
    assert all(run(jobs.get(ctx, jobs.JOBS, j)) is None and run(jobs.get(ctx, jobs.SUBMISSIONS, j)) is None
               for j in job_ids)


def test_no_audit_entries_without_database_url(ctx, engine_env, monkeypatch):
    monkeypatch.delenv("DATABASE_URL", raising=False)
    submit(ctx, "web")
    pump(ctx)
    assert audit.QUEUE not in ctx.state.groups


def test_a_jobs_life_is_queued_for_the_audit_log(ctx, engine_env, monkeypatch):
    monkeypatch.setenv("DATABASE_URL", "postgresql://unused")
    job_id = submit(ctx, "web")
    pump(ctx)
    run(delete_job.handler(as_client("web", pathParams={"job_id": job_id}), ctx))
    entries = sorted(ctx.state.groups[audit.QUEUE].values(), key=lambda e: e["id"])
    events = [e["event"] for e in entries]
    assert events[0] == "submission.accepted" and entries[0]["client"] == "web"
    assert "job.running" in events and "score.partial" in events
    done = next(e for e in entries if e["event"] == "submission.completed")
    assert done["client"] == "web" and done["data"]["rule_version"] and done["data"]["calibration_version"]
    assert isinstance(done["data"]["score"], (int, float))
    assert events[-1] == "job.deleted" and entries[-1]["client"] == "web"
    assert "the cat sat" not in str(entries)  # the learner's response never enters the audit log


# ---------------------------------------------------------------- webhooks (a real receiver on 127.0.0.1)

class Receiver:
    """An HTTP server on 127.0.0.1 that records every POST and answers the next status of `answers`
    (then 204)."""

    def __init__(self, answers=()):
        import http.server
        import threading
        self.calls: list[dict] = []
        self.answers = list(answers)
        outer = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_POST(self):
                raw = self.rfile.read(int(self.headers.get("content-length") or 0))
                outer.calls.append({"path": self.path, "headers": dict(self.headers), "raw": raw})
                status = outer.answers.pop(0) if outer.answers else 204
                if status in (301, 302, 307, 308):
                    self.send_response(status)
                    self.send_header("Location", outer.redirect_to)
                    self.end_headers()
                    return
                self.send_response(status)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *a):
                pass

        self.redirect_to = ""
        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self):
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def receiver():
    r = Receiver()
    yield r
    r.close()


@pytest.fixture
def webhook_env(engine_env, monkeypatch):
    monkeypatch.setenv("WEBHOOK_SECRET", "s3cret-for-tests")
    monkeypatch.setenv("WEBHOOK_ALLOW_PRIVATE", "true")
    monkeypatch.setenv("DATABASE_URL", "postgresql://unused")  # audit entries queued (not written) in state
    monkeypatch.setattr(webhooks_mod, "backoff_s", lambda attempt: 0.0)  # the wait itself: see test_backoff
    get_settings.cache_clear()
    yield
    get_settings.cache_clear()


from scoring import webhooks as webhooks_mod  # noqa: E402


def audit_events(ctx, prefix="webhook."):
    return [e for e in sorted(ctx.state.groups.get(audit.QUEUE, {}).values(), key=lambda e: e["id"])
            if e["event"].startswith(prefix)]


def test_a_completed_job_is_posted_signed_and_retried_after_a_500(ctx, webhook_env, receiver):
    receiver.answers = [500]
    res = run(score_async.handler(as_client("web", body={**WFD, "webhook_url": receiver.url + "/hook"}), ctx))
    job_id = res["body"]["job_id"]
    due = pump(ctx)
    assert due == [{"kind": "submission", "id": job_id}]
    with pytest.raises(RuntimeError):  # the first try got a 500: the queue retries the event
        run(webhook.handler(due[0], ctx))
    run(webhook.handler(due[0], ctx))  # the queue's retry: 204
    run(webhook.handler(due[0], ctx))  # a duplicate event after delivery sends nothing
    assert len(receiver.calls) == 2
    call = receiver.calls[-1]
    assert webhooks_mod.verify(call["raw"], call["headers"]["X-PTE-Signature"], "s3cret-for-tests")
    assert not webhooks_mod.verify(call["raw"], call["headers"]["X-PTE-Signature"], "another secret")
    import json
    body = json.loads(call["raw"])
    assert body["event"] == "submission.completed" and body["job_id"] == job_id and body["result"]["score"] >= 0
    assert [(e["event"], e["data"]["attempt"], e["data"].get("status")) for e in audit_events(ctx)] == [
        ("webhook.attempt_failed", 1, 500), ("webhook.delivered", 2, 204)]


def test_a_workflow_is_posted_once_its_last_job_finished(ctx, webhook_env, receiver):
    res = run(create_workflow.handler(as_client("web", body={"submissions": [WFD, WFD],
                                                             "webhook_url": receiver.url + "/wf"}), ctx))
    assert res["status"] == 201, res
    due = pump(ctx)
    assert [(d["kind"], d["id"]) for d in due] == [("workflow", res["body"]["workflow_id"])]
    run(webhook.handler(due[0], ctx))
    import json
    body = json.loads(receiver.calls[0]["raw"])
    assert body["event"] == "workflow.completed" and body["counts"] == {"completed": 2}


def test_two_last_jobs_finishing_together_send_one_workflow_webhook(ctx, webhook_env):
    wid = "wf_race"
    ids = [run(jobs.create_job(ctx, WFD, ttl_s=60, workflow_id=wid))["job_id"] for _ in range(2)]
    run(ctx.state.set(jobs.WORKFLOWS, wid, {"workflow_id": wid, "job_ids": ids, "webhook_url": "http://x.example/"}))

    async def both():
        import asyncio
        await asyncio.gather(*(jobs.finish(ctx, run_job, {}, result=None, error="x")
                               for run_job in [await jobs.get(ctx, jobs.JOBS, i) for i in ids]))
    run(both())
    assert [e["data"]["kind"] for e in ctx.emitted if e["topic"] == "webhook.deliver"] == ["workflow"]


@pytest.mark.parametrize("url", ["http://127.0.0.1:9/x", "http://169.254.169.254/latest/meta-data", "http://[::1]/x",
                                 "http://10.0.0.1/x", "http://localhost/x"])
def test_webhooks_to_internal_addresses_are_refused_without_retry(ctx, webhook_env, monkeypatch, url):
    monkeypatch.setenv("WEBHOOK_ALLOW_PRIVATE", "false")
    get_settings.cache_clear()
    job = run(jobs.create_job(ctx, WFD, ttl_s=60, webhook_url=url))
    run(jobs.finish(ctx, job, {}, result=None, error="test"))
    run(webhook.handler({"kind": "submission", "id": job["job_id"]}, ctx))  # refused: no exception, no retry
    [entry] = audit_events(ctx)
    assert entry["event"] == "webhook.refused" and "WEBHOOK_ALLOW_PRIVATE" in entry["data"]["error"]


def test_a_redirect_to_an_internal_address_is_refused(receiver, monkeypatch):
    """The receiver (allowed: WEBHOOK_ALLOW_PRIVATE) redirects to the metadata address; with the address check
    on for that hop only (as for a public receiver), the redirect is refused, not followed."""
    from scoring import netguard
    receiver.answers = [307]
    receiver.redirect_to = "http://169.254.169.254/latest/meta-data"
    real = netguard.check_host

    def check(host, port, allow_private, setting="X"):
        return real(host, port, allow_private=host == "127.0.0.1", setting=setting)
    monkeypatch.setattr(webhooks_mod, "check_url", lambda url, allow, setting: (
        netguard.urlsplit(url), check(netguard.urlsplit(url).hostname, netguard.urlsplit(url).port or 80, allow, setting)))
    out = webhooks_mod.post(receiver.url + "/r", b"{}", "k", allow_private=False, timeout_s=5)
    assert out.refused and not out.ok and "169.254.169.254" in out.error and len(receiver.calls) == 1


def test_backoff():
    assert [webhooks_mod.backoff_s(n) for n in range(1, 8)] == [0, 1, 2, 4, 8, 16, 20]


def test_the_last_try_gives_up(ctx, webhook_env, receiver, monkeypatch):
    monkeypatch.setenv("WEBHOOK_MAX_ATTEMPTS", "2")
    get_settings.cache_clear()
    receiver.answers = [500, 503]
    job = run(jobs.create_job(ctx, WFD, ttl_s=60, webhook_url=receiver.url))
    run(jobs.finish(ctx, job, {}, result=None, error="engine rejected it"))
    with pytest.raises(RuntimeError):
        run(webhook.handler({"kind": "submission", "id": job["job_id"]}, ctx))
    run(webhook.handler({"kind": "submission", "id": job["job_id"]}, ctx))  # second and last try: no raise
    assert [e["event"] for e in audit_events(ctx)] == ["webhook.attempt_failed", "webhook.gave_up"]
    import json
    assert json.loads(receiver.calls[0]["raw"])["event"] == "submission.failed"


def test_a_synchronous_score_is_in_the_audit_log(ctx, engine_env, monkeypatch):
    monkeypatch.setenv("DATABASE_URL", "postgresql://unused")
    score = load_step("steps/score_api_step.py")
    res = run(score.handler(as_client("web", body=WFD), ctx))
    assert res["status"] == 200, res
    [entry] = ctx.state.groups[audit.QUEUE].values()
    assert entry["event"] == "submission.scored" and entry["client"] == "web" and entry["data"]["mode"] == "sync"
    assert entry["data"]["score"] == res["body"]["score"] and entry["data"]["rule_version"]
