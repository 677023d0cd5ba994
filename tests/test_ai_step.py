"""The AI step, called like Motia calls it, against a real engine (uvicorn with the AI routes) and
the fake provider: it always closes the job's "ai" partial with a status and a reason."""
import asyncio

import pytest
from starlette.applications import Starlette

from fakes.ai_samples import DESCRIBE_IMAGE, MCQ, SWT, fake_settings, settings
from fakes.ai_servers import FakeAiServer
from fakes.asgi_server import serve
from conftest import FakeContext as Context, load_step
from scoring import jobs
from scoring.ai import http as ai_http
from scoring.ai.service import AiService
from scoring.settings import get_settings

step = load_step("steps/ai_score_step.py")


@pytest.fixture(scope="module")
def provider():
    with FakeAiServer() as s:
        yield s


@pytest.fixture(scope="module")
def engine():
    with serve(Starlette(routes=ai_http.routes)) as url:
        yield url
    ai_http.set_service(None)


@pytest.fixture
def env(engine, provider, monkeypatch):
    monkeypatch.setenv("ENGINE_URL", engine)
    get_settings.cache_clear()
    provider.reset()
    ai_http.set_service(AiService(fake_settings(provider)))
    yield
    get_settings.cache_clear()


def job(ctx, submission):
    j = asyncio.run(jobs.create_job(ctx, submission, ttl_s=60))
    return j["job_id"]


def ai_partial(ctx, job_id):
    return asyncio.run(jobs.partials(ctx, job_id)).get("ai")


def test_config():
    assert step.config["subscribes"] == ["submission.received", "transcript.ready"]
    assert step.config["emits"] == ["score.partial"]


def test_written_submission_gets_a_completed_ai_partial(env, provider):
    ctx = Context()
    jid = job(ctx, SWT)
    asyncio.run(step.handler({"job_id": jid, "kind": "text"}, ctx))
    p = ai_partial(ctx, jid)
    assert p["status"] == "completed" and p["result"]["status"] == "ok" and set(p["result"]["traits"]) == {"content", "grammar", "vocabulary"}
    assert ctx.emitted == [{"topic": "score.partial", "data": {"job_id": jid, "source": "ai", "status": "completed"}}]
    assert provider.calls() == 1
    asyncio.run(step.handler({"job_id": jid}, ctx))  # a duplicate delivery changes nothing
    assert len(ctx.emitted) == 1 and provider.calls() == 1


def test_objective_item_is_skipped_with_reason(env, provider):
    ctx = Context()
    jid = job(ctx, MCQ)
    asyncio.run(step.handler({"job_id": jid}, ctx))
    p = ai_partial(ctx, jid)
    assert p["status"] == "skipped" and "objective item" in p["reason"] and provider.calls() == 0


def test_spoken_item_waits_for_its_transcript(env, provider):
    ctx = Context()
    jid = job(ctx, {**DESCRIBE_IMAGE, "response": {"audio_id": "a-1"}})
    asyncio.run(step.handler({"job_id": jid, "kind": "audio"}, ctx))  # submission.received
    assert ai_partial(ctx, jid) is None and ctx.emitted == []
    asyncio.run(ctx.state.set(jobs.TRANSCRIPTS, jid, {"text": "June is the wettest month and September the driest"}))
    asyncio.run(step.handler({"job_id": jid}, ctx))  # transcript.ready
    p = ai_partial(ctx, jid)
    assert p["status"] == "completed" and list(p["result"]["traits"]) == ["content"]
    assert "June is the wettest" in provider.requests[0]["body"]["messages"][1]["content"]


def test_spoken_item_without_transcript_after_speech_finished_is_closed(env, provider):
    ctx = Context()
    jid = job(ctx, {**DESCRIBE_IMAGE, "response": {"audio_id": "a-1"}})
    asyncio.run(jobs.put_partial(ctx, jid, "speech", "failed", error="ASR failed"))
    asyncio.run(step.handler({"job_id": jid}, ctx))
    p = ai_partial(ctx, jid)
    assert p["status"] == "skipped" and "no response text or transcript" in p["reason"]


def test_provider_failure_closes_the_partial_as_failed_and_is_observed(env, provider):
    provider.mode = "error"
    ctx = Context()
    jid = job(ctx, SWT)
    asyncio.run(step.handler({"job_id": jid}, ctx))
    p = ai_partial(ctx, jid)
    assert p["status"] == "failed" and "http_5xx" in p["reason"]
    obs = ctx.state.groups[jobs.METRICS]
    assert obs[f"{jid}:ai:failure"]["reason"] == "http_5xx" and obs[f"{jid}:ai"]["status"] == "failed"


def test_policy_off_is_recorded_as_skipped(env, provider):
    ai_http.set_service(AiService(fake_settings(provider, ai_share_responses=False)))
    ctx = Context()
    jid = job(ctx, SWT)
    asyncio.run(step.handler({"job_id": jid}, ctx))
    p = ai_partial(ctx, jid)
    assert p["status"] == "skipped" and "disabled by policy" in p["reason"] and provider.calls() == 0


def test_not_configured(env, provider):
    ai_http.set_service(AiService(settings()))
    ctx = Context()
    jid = job(ctx, SWT)
    asyncio.run(step.handler({"job_id": jid}, ctx))
    assert ai_partial(ctx, jid)["status"] == "not_configured"


def test_engine_down_closes_the_partial(monkeypatch, provider):
    s = FakeAiServer().start()
    s.stop()  # a port nobody listens on
    monkeypatch.setenv("ENGINE_URL", s.url)
    get_settings.cache_clear()
    monkeypatch.setattr(step.engine_client, "call", _no_wait(step.engine_client.call))
    ctx = Context()
    jid = job(ctx, SWT)
    asyncio.run(step.handler({"job_id": jid}, ctx))
    get_settings.cache_clear()
    p = ai_partial(ctx, jid)
    assert p["status"] == "failed" and "engine unavailable" in p["reason"]


def _no_wait(call):
    async def wrapped(method, path, **kw):
        return await call(method, path, **{**kw, "wait_s": 0.1})
    return wrapped


def test_plan_decided_at_accept_time_needs_no_engine_call(monkeypatch):
    """No provider configured: POST /accept decided the AI partial already; the step records it without
    calling the engine, and tells the aggregator only when no other partial is still coming."""
    from scoring.models import Submission

    async def no_engine(*a, **kw):
        raise AssertionError("the engine must not be called")

    monkeypatch.setattr(step.engine_client, "call", no_engine)
    plan = AiService(settings()).plan(Submission.parse(SWT))
    assert plan["status"] == "not_configured" and "VERCEL_AI_GATEWAY_KEY" in plan["reason"]
    ctx = Context()
    first = asyncio.run(jobs.create_job(ctx, SWT, ttl_s=60, ai_plan=plan))["job_id"]
    asyncio.run(step.handler({"job_id": first}, ctx))
    assert ai_partial(ctx, first)["status"] == "not_configured"
    assert ctx.emitted == []  # the local scorer is still working: its own score.partial finishes the job
    asyncio.run(jobs.put_partial(ctx, first, "nlp", "completed", result={"score": 1}))
    asyncio.run(step.handler({"job_id": first}, ctx))  # a redelivery once all is done: the aggregator hears of it
    assert [e["data"]["status"] for e in ctx.emitted] == ["not_configured"]

    ctx = Context()
    last = asyncio.run(jobs.create_job(ctx, SWT, ttl_s=60, ai_plan=plan))["job_id"]
    asyncio.run(jobs.put_partial(ctx, last, "nlp", "completed", result={"score": 1}))
    asyncio.run(step.handler({"job_id": last}, ctx))  # the last partial: it must wake the aggregator
    assert ctx.emitted == [{"topic": "score.partial", "data": {"job_id": last, "source": "ai", "status": "not_configured"}}]
