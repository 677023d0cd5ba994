"""Step handlers with a fake Motia context (state quirk reproduced) and, where they call the engine,
a real engine server on 127.0.0.1."""
from __future__ import annotations

import asyncio
import json

import pytest

from conftest import FakeContext, load_step, run
from scoring import jobs
from scoring.settings import get_settings

WFD = {"item_type": "write_from_dictation", "response": {"text": "the cat sat on the mat"},
       "item": {"reference_text": "The cat sat on the mat."}}
AUDIO = {"item_type": "read_aloud", "response": {"audio_id": "aud_123"}, "item": {"reference_text": "Hello there."}}

score_async = load_step("steps/score_async_api_step.py")
batch = load_step("steps/batch_score_api_step.py")
get_job = load_step("steps/job_api_step.py")
nlp = load_step("steps/nlp_score_step.py")
transcribe = load_step("steps/transcribe_step.py")
aggregate = load_step("steps/aggregate_step.py")
sweeper = load_step("steps/job_sweeper_cron_step.py")
metrics = load_step("steps/metrics_api_step.py")
wf_stream = load_step("steps/workflow_stream_api_step.py")
get_workflow = load_step("steps/workflow_get_api_step.py")
get_assessment = load_step("steps/assessment_get_api_step.py")


def test_configs_are_valid_motia_configs():
    for mod in (score_async, batch, get_job):
        assert mod.config["type"] == "api" and mod.config["flows"] == ["pte-scoring"]
    assert nlp.config["subscribes"] == ["submission.received"] and "score.partial" in nlp.config["emits"]
    assert set(transcribe.config["emits"]) == {"score.partial", "transcript.ready", "webhook.deliver"}
    assert aggregate.config["subscribes"] == ["score.partial"]
    for mod in (nlp, transcribe, aggregate):
        q = mod.config["infrastructure"]["queue"]
        assert q["concurrency"] <= 2 and q["maxRetries"] >= 3


def test_accept_stores_the_submission_and_emits_a_reference(ctx):
    res = run(score_async.handler({"body": WFD, "headers": {}}, ctx))
    assert res["status"] == 202
    job_id = res["body"]["job_id"]
    assert ctx.emitted[0]["topic"] == "submission.received"
    assert ctx.emitted[0]["data"]["job_id"] == job_id and "response" not in json.dumps(ctx.emitted[0])
    assert run(jobs.get(ctx, jobs.SUBMISSIONS, job_id)) == WFD
    assert ctx.streams.scoreJob.items[(job_id, job_id)]["status"] == "queued"


def test_invalid_submission_is_422_and_nothing_is_enqueued(ctx):
    res = run(score_async.handler({"body": {"item_type": "write_from_dictation", "response": {}}}, ctx))
    assert res["status"] == 422 and res["body"]["errors"][0]["field"] == "item.reference_text"
    assert ctx.emitted == []


def test_batch_limits_and_per_index_errors(ctx, monkeypatch):
    monkeypatch.setenv("BATCH_MAX_ITEMS", "2")
    get_settings.cache_clear()
    try:
        res = run(batch.handler({"body": {"submissions": [WFD, WFD, WFD]}}, ctx))
        assert res["status"] == 413 and res["body"]["errors"][0]["field"] == "submissions"
        res = run(batch.handler({"body": {"submissions": [WFD, {"item_type": "x"}]}}, ctx))
    finally:
        get_settings.cache_clear()
    assert res["status"] == 202 and len(res["body"]["jobs"]) == 1
    assert res["body"]["rejected"][0]["index"] == 1
    assert res["body"]["rejected"][0]["errors"][0]["field"].startswith("submissions.1.")


def test_pipeline_text_submission_end_to_end_with_a_real_engine(ctx, engine_env):
    job_id = run(score_async.handler({"body": WFD}, ctx))["body"]["job_id"]
    event = ctx.emitted[0]["data"]
    run(transcribe.handler(event, ctx))  # skips: text
    run(nlp.handler(event, ctx))
    parts = run(jobs.partials(ctx, job_id))
    assert parts["speech"]["status"] == "skipped" and parts["nlp"]["status"] == "completed"
    partial_events = [e for e in ctx.emitted if e["topic"] == "score.partial"]
    assert partial_events == [{"topic": "score.partial", "data": {"job_id": job_id, "source": "nlp",
                                                                 "emitted_at": partial_events[0]["data"]["emitted_at"]}}]
    job = run(jobs.get(ctx, jobs.JOBS, job_id))
    if "ai" in job["expected"]:  # the AI step is deployed: it closes its partial (AI off here)
        run(jobs.put_partial(ctx, job_id, "ai", "skipped", reason="AI_MODE=off"))
    run(aggregate.handler(partial_events[0]["data"], ctx))
    view = run(get_job.handler({"pathParams": {"job_id": job_id}}, ctx))["body"]
    assert view["status"] == "completed" and view["result"]["score"] == 6
    assert view["result"]["ai"]["status"] == "skipped" or "ai" not in job["expected"]
    assert ctx.streams.scoreJob.items[(job_id, job_id)]["status"] == "completed"
    statuses = [item["status"] for g, i, item in ctx.streams.scoreJob.history if g == job_id]
    assert statuses[0] == "queued" and "running" in statuses and statuses[-1] == "completed"


def test_aggregator_waits_for_every_expected_source(ctx):
    job = run(jobs.create_job(ctx, WFD, ttl_s=60))
    job_id = job["job_id"]
    job["expected"] = ["nlp", "ai"]
    run(ctx.state.set(jobs.JOBS, job_id, job))
    run(jobs.put_partial(ctx, job_id, "nlp", "completed", result={"item_type": "write_from_dictation", "score": 3,
                                                                 "max_score": 6, "traits": {}}))
    run(aggregate.handler({"job_id": job_id, "source": "nlp"}, ctx))
    assert run(jobs.get(ctx, jobs.JOBS, job_id))["status"] == "queued"
    assert ctx.streams.scoreJob.items[(job_id, job_id)]["status"] == "running"
    run(jobs.put_partial(ctx, job_id, "ai", "failed", reason="provider timed out"))
    run(aggregate.handler({"job_id": job_id, "source": "ai"}, ctx))
    done = run(jobs.get(ctx, jobs.JOBS, job_id))
    assert done["status"] == "completed" and done["result"]["score"] == 3
    assert done["result"]["ai"] == {"status": "failed", "reason": "provider timed out"}
    assert run(ctx.state.get(jobs.ACTIVE, job_id)) == {"data": None}


def test_rejected_by_engine_fails_the_job_visibly(ctx, engine_env):
    job = run(jobs.create_job(ctx, {**WFD, "item": {"reference_text": "x", "prompt": "p" * 30_000}}, ttl_s=60))
    job["expected"] = ["nlp"]
    run(ctx.state.set(jobs.JOBS, job["job_id"], job))
    run(nlp.handler(jobs.received_event(job)["data"], ctx))
    run(aggregate.handler({"job_id": job["job_id"], "source": "nlp"}, ctx))
    done = run(jobs.get(ctx, jobs.JOBS, job["job_id"]))
    assert done["status"] == "failed" and "item.prompt" in done["error"]


def test_engine_down_raises_so_the_queue_retries(ctx, monkeypatch):
    monkeypatch.setenv("ENGINE_URL", "http://127.0.0.1:9")  # nothing listens on the discard port
    monkeypatch.setenv("ENGINE_WAIT_S", "0")
    get_settings.cache_clear()
    try:
        job = run(jobs.create_job(ctx, WFD, ttl_s=60))
        from scoring.engine_client import EngineUnavailable
        with pytest.raises(EngineUnavailable):
            run(nlp.handler(jobs.received_event(job)["data"], ctx))
    finally:
        get_settings.cache_clear()
    assert run(jobs.partials(ctx, job["job_id"]))["nlp"]["last_error"]
    assert any(o.get("kind") == "engine_failure" for o in ctx.state.groups[jobs.METRICS].values())


def test_audio_submission_skipped_by_nlp_with_reason(ctx):
    job = run(jobs.create_job(ctx, AUDIO, ttl_s=60))
    assert job["kind"] == "audio" and job["expected"][0] == "speech"
    run(nlp.handler(jobs.received_event(job)["data"], ctx))
    p = run(jobs.partials(ctx, job["job_id"]))["nlp"]
    assert p["status"] == "skipped" and "audio" in p["reason"]
    assert not [e for e in ctx.emitted if e["topic"] == "score.partial"]


def test_transcript_is_found_in_result_or_evidence():
    assert transcribe.find_transcript({"transcript": "hi"}) == "hi"
    assert transcribe.find_transcript({"traits": {"content": {"evidence": {"transcript": "yo"}}}}) == "yo"
    assert transcribe.find_transcript({"traits": {}}) is None


def test_sweeper_reemits_stuck_jobs_then_fails_them(ctx, monkeypatch):
    monkeypatch.setenv("JOB_DEADLINE_S", "5")
    monkeypatch.setenv("JOB_MAX_ATTEMPTS", "2")
    get_settings.cache_clear()
    try:
        job = run(jobs.create_job(ctx, WFD, ttl_s=60))
        job_id = job["job_id"]
        job["last_attempt_at"] -= 10
        run(ctx.state.set(jobs.JOBS, job_id, job))
        run(sweeper.handler(ctx))
        assert ctx.emitted[-1]["topic"] == "submission.received" and ctx.emitted[-1]["data"]["attempt"] == 2
        again = run(jobs.get(ctx, jobs.JOBS, job_id))
        assert again["attempts"] == 2
        again["last_attempt_at"] -= 10
        run(ctx.state.set(jobs.JOBS, job_id, again))
        run(sweeper.handler(ctx))
    finally:
        get_settings.cache_clear()
    failed = run(jobs.get(ctx, jobs.JOBS, job_id))
    assert failed["status"] == "failed" and "2 attempts" in failed["error"]
    assert ctx.streams.scoreJob.items[(job_id, job_id)]["status"] == "failed"


def test_sweeper_expires_jobs_past_their_ttl_by_hour_buckets(ctx):
    old = run(jobs.create_job(ctx, WFD, ttl_s=-2 * jobs.EXPIRY_BUCKET_S))
    run(jobs.put_partial(ctx, old["job_id"], "nlp", "completed"))
    fresh = run(jobs.create_job(ctx, WFD, ttl_s=86_400))
    run(ctx.state.set(jobs.WORKFLOWS, "wf_old", {"workflow_id": "wf_old"}))
    run(jobs.schedule_expiry(ctx, jobs.now() - 2 * jobs.EXPIRY_BUCKET_S, group=jobs.WORKFLOWS, key="wf_old"))
    run(sweeper.handler(ctx))
    for group in (jobs.JOBS, jobs.SUBMISSIONS, jobs.ACTIVE):
        assert run(ctx.state.get(group, old["job_id"])) == {"data": None}
    assert run(jobs.partials(ctx, old["job_id"])) == {}
    assert run(ctx.state.get(jobs.WORKFLOWS, "wf_old")) == {"data": None}
    assert run(jobs.get(ctx, jobs.JOBS, fresh["job_id"]))["job_id"] == fresh["job_id"]
    run(sweeper.handler(ctx))  # the next tick starts after the buckets already dropped
    assert run(jobs.get(ctx, jobs.JOBS, fresh["job_id"])) is not None


def test_metrics_render_counters_histograms_and_gauges(ctx):
    run(jobs.observe(ctx, "a", kind="accepted", item_type="write_essay", mode="score_async"))
    run(jobs.observe(ctx, "b", kind="step", step="NlpScorer", status="completed", seconds=0.3, engine_seconds=0.2))
    run(jobs.observe(ctx, "c", kind="engine_failure", step="NlpScorer"))
    run(jobs.create_job(ctx, WFD, ttl_s=60))
    res = run(metrics.handler({}, ctx))
    text = res["body"]
    assert res["headers"]["Content-Type"].startswith("text/plain")
    assert 'pte_submissions_total{item_type="write_essay",mode="score_async"} 1' in text
    assert 'pte_step_seconds_bucket{step="NlpScorer",le="0.25"} 0' in text
    assert 'pte_step_seconds_bucket{step="NlpScorer",le="0.5"} 1' in text
    assert 'pte_engine_failures_total{step="NlpScorer"} 1' in text
    assert "pte_queue_depth 1" in text


def test_metrics_fold_is_additive():
    obs = [{"kind": "step", "step": "S", "status": "completed", "seconds": s} for s in (0.01, 0.2, 3.0)]
    once = jobs.fold(jobs.empty_totals(), obs)
    twice = jobs.fold(jobs.fold(jobs.empty_totals(), obs[:1]), obs[1:])
    assert once == twice
    h = once["histograms"]['pte_step_seconds{step="S"}']
    assert h["count"] == 3 and h["buckets"][-1] == 3 and h["buckets"][0] == 1


def test_workflow_stream_info_says_no_sse(ctx):
    run(ctx.state.set(jobs.WORKFLOWS, "wf_x", {"workflow_id": "wf_x", "job_ids": ["job_1"]}))
    res = run(wf_stream.handler({"pathParams": {"workflow_id": "wf_x"}, "headers": {"host": "h:3000"}}, ctx))
    body = res["body"]
    assert body["websocket_url"] == "ws://h:3000/" and body["join_message"]["data"]["groupId"] == "wf_x"
    assert "Server-Sent Events" in body["sse"]
    assert run(wf_stream.handler({"pathParams": {"workflow_id": "wf_nope"}}, ctx))["status"] == 404


@pytest.mark.parametrize("step,param,id_", [
    (get_job, "job_id", "job_nope"), (get_job, "job_id", "wf_x"), (get_workflow, "workflow_id", "wf_nope"),
    (wf_stream, "workflow_id", "job_1"), (get_assessment, "assessment_id", "asm_nope"), (get_assessment, "assessment_id", "")])
def test_unknown_ids_are_404_naming_the_path_parameter(ctx, step, param, id_):
    run(ctx.state.set(jobs.WORKFLOWS, "wf_x", {"workflow_id": "wf_x", "job_ids": ["job_1"]}))
    run(ctx.state.set(jobs.JOBS, "job_1", {"job_id": "job_1"}))  # ids of another kind are not looked up
    res = run(step.handler({"pathParams": {param: id_}}, ctx))
    assert res["status"] == 404
    assert res["body"]["errors"] == [{"field": param, "message": f"no {param[:-3]} {id_!r} (unknown or expired)"}]


def test_known_assessment_is_returned(ctx):
    run(ctx.state.set(jobs.ASSESSMENTS, "asm_1", {"assessment_id": "asm_1", "overall": 60}))
    res = run(get_assessment.handler({"pathParams": {"assessment_id": "asm_1"}}, ctx))
    assert res == {"status": 200, "body": {"assessment_id": "asm_1", "overall": 60}}


def test_step_process_imports_stay_light():
    """Each step call is a new process: the modules the light steps import must not pull in the engine."""
    import subprocess
    import sys
    code = ("import sys, importlib.util;"
            "[importlib.util.spec_from_file_location('s', f).loader.exec_module(importlib.util.module_from_spec("
            "importlib.util.spec_from_file_location('s', f))) for f in sys.argv[1:]];"
            "heavy=[m for m in ('spacy','onnxruntime','numpy','scoring.engine','faster_whisper','starlette','httpx') if m in sys.modules];"
            "print(heavy)")
    files = [str(p) for p in sorted((jobs.ROOT / "steps").glob("*_step.py")) if p.name != "ai_score_step.py"]
    out = subprocess.run([sys.executable, "-c", code, *files], capture_output=True, text=True, cwd=jobs.ROOT, timeout=60)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "[]"


def test_engine_calling_steps_do_not_load_pydantic():
    """NlpScorer/Transcriber/Aggregator take the engine address from the job record, not from Settings."""
    import subprocess
    import sys
    code = ("import sys, scoring.jobs_steps, scoring.engine_client;"
            "print([m for m in ('pydantic', 'pydantic_settings', 'httpx') if m in sys.modules])")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=jobs.ROOT, timeout=60)
    assert out.stdout.strip() == "[]", out.stderr


def test_api_step_validating_in_the_engine_loads_no_pydantic(engine_env):
    """POST /score_async in a step process like Motia's: the engine validates, so neither pydantic nor
    Settings is imported (each is ~0.05-0.1 CPU-s on every request)."""
    import subprocess
    import sys
    code = ("import asyncio, sys, importlib.util; sys.path.insert(0, 'tests'); from conftest import FakeContext, load_step;"
            "s = load_step('steps/score_async_api_step.py'); body = " + repr(WFD) + ";"
            "r = asyncio.run(s.handler({'body': body}, FakeContext()));"
            "print(r['status'], [m for m in ('pydantic', 'pydantic_settings') if m in sys.modules])")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=jobs.ROOT, timeout=60)
    assert out.stdout.strip() == "202 []", out.stderr


def test_accepted_job_carries_engine_params(ctx, engine_env):
    job_id = run(score_async.handler({"body": WFD}, ctx))["body"]["job_id"]
    job = run(jobs.get(ctx, jobs.JOBS, job_id))
    assert job["engine"]["url"] == engine_env.url and job["engine"]["timeout_s"] > 0
    assert job["ai_plan"]["status"] in ("off", "skipped")  # decided by the engine at accept time: objective item
    assert "engine" not in run(get_job.handler({"pathParams": {"job_id": job_id}}, ctx))["body"]


def test_score_in_async_mode_enqueues_like_score_async(ctx, monkeypatch):
    score = load_step("steps/score_api_step.py")
    monkeypatch.setenv("SCORE_MODE", "async")
    get_settings.cache_clear()
    try:
        res = run(score.handler({"body": WFD}, ctx))
    finally:
        get_settings.cache_clear()
    assert res["status"] == 202 and res["body"]["job_id"].startswith("job_")
    assert ctx.emitted[0]["topic"] == "submission.received"


def test_score_sync_with_engine_down_is_503_not_500(ctx, monkeypatch):
    score = load_step("steps/score_api_step.py")
    monkeypatch.setenv("ENGINE_URL", "http://127.0.0.1:9")
    get_settings.cache_clear()
    try:
        res = run(score.handler({"body": WFD}, ctx))
    finally:
        get_settings.cache_clear()
    assert res["status"] == 503 and res["body"]["errors"][0]["field"] == "engine"


def test_audio_job_fails_visibly_when_the_engine_cannot_score_it(ctx, engine_env):
    """Transcriber -> engine 422 (e.g. no speech scorer / bad audio): the job fails at once with the
    engine's field errors, and transcript.ready still goes out so the AI step can close its partial."""
    bad_audio = {**AUDIO, "response": {"audio_id": "aud_123"}, "item": {}}
    job = run(jobs.create_job(ctx, bad_audio, ttl_s=60))
    job["expected"] = ["speech", "ai"]
    run(ctx.state.set(jobs.JOBS, job["job_id"], job))
    run(transcribe.handler(jobs.received_event(job)["data"], ctx))
    topics = [e["topic"] for e in ctx.emitted]
    assert "transcript.ready" in topics
    assert "score.partial" not in topics  # the failed local partial finished the job at once, inline
    ready = [e for e in ctx.emitted if e["topic"] == "transcript.ready"][0]["data"]
    assert ready["has_transcript"] is False
    done = run(jobs.get(ctx, jobs.JOBS, job["job_id"]))
    assert done["status"] == "failed" and "item.reference_text" in done["error"]
    run(aggregate.handler({"job_id": job["job_id"], "source": "speech"}, ctx))  # a late event changes nothing
    assert run(jobs.get(ctx, jobs.JOBS, job["job_id"])) == done


def test_last_local_partial_finishes_the_job_without_an_aggregator_call(ctx, engine_env):
    """No AI score to combine and the AI partial already in: NlpScorer finishes the job itself
    (scoring.aggregation, inline), so no score.partial and no Aggregator process."""
    job_id = run(score_async.handler({"body": WFD}, ctx))["body"]["job_id"]
    run(jobs.put_partial(ctx, job_id, "ai", "not_configured", reason="no AI provider configured"))
    run(nlp.handler(ctx.emitted[0]["data"], ctx))
    assert [e["topic"] for e in ctx.emitted] == ["submission.received"]
    view = run(get_job.handler({"pathParams": {"job_id": job_id}}, ctx))["body"]
    assert view["status"] == "completed" and view["result"]["score"] == 6
    assert view["result"]["ai"] == {"status": "not_configured", "reason": "no AI provider configured"}
    assert ctx.streams.scoreJob.items[(job_id, job_id)]["status"] == "completed"


def test_an_ai_score_to_combine_is_left_to_the_aggregator(ctx, engine_env):
    job_id = run(score_async.handler({"body": WFD}, ctx))["body"]["job_id"]
    run(jobs.put_partial(ctx, job_id, "ai", "completed", result={"status": "ok", "traits": {}}))
    run(nlp.handler(ctx.emitted[0]["data"], ctx))
    assert [e["topic"] for e in ctx.emitted] == ["submission.received", "score.partial"]
    assert run(jobs.get(ctx, jobs.JOBS, job_id))["status"] == "queued"
