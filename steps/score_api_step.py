"""POST /score: score one submission now through the warm engine (SCORE_MODE=sync, the default): local
and AI scoring run concurrently in the engine and are combined (POST /ai/hybrid_score), or plain /score
when the engine has no AI routes. SCORE_MODE=async: enqueue it like /score_async."""
import time

from scoring import audit, engine_client, jobs
from scoring.jobs_api import accept_one, bad, client_of, field_errors, idempotent, reply
from scoring.settings import get_settings

config = {
    "type": "api",
    "name": "ScoreSync",
    "description": "Score a submission synchronously (or enqueue it when SCORE_MODE=async)",
    "path": "/score",
    "method": "POST",
    "emits": ["submission.received"],
    "flows": ["pte-scoring"],
}


async def handler(req, context):
    settings = get_settings()
    body = req.get("body")
    if settings.score_mode == "async":
        return await idempotent(context, req, "score", lambda: accept_one(context, body, mode="score", client=client_of(req)))
    if not isinstance(body, dict):
        return bad("body", "must be a JSON object", 422)
    t0 = time.perf_counter()
    try:
        result = await engine_client.hybrid_score(body, timeout=settings.score_sync_timeout_s, wait_s=5.0)
    except engine_client.EngineRejected as e:
        await jobs.observe(context, jobs.new_id("rej"), kind="rejected", endpoint="score", status=e.status)
        return field_errors(e.status if e.status in (413, 422) else 422, e.errors)
    except engine_client.EngineUnavailable as e:
        await jobs.observe(context, jobs.new_id("obs"), kind="engine_failure", step="ScoreSync")
        return reply(503, {"errors": [{"field": "engine", "message": str(e)}]}, {"Retry-After": "2"})
    seconds = time.perf_counter() - t0
    await jobs.observe(context, jobs.new_id("obs"), kind="step", step="ScoreSync", status="completed", seconds=seconds,
                       engine_seconds=(result.get("timings_ms") or {}).get("engine", 0) / 1000)
    await jobs.observe(context, jobs.new_id("obs"), kind="accepted", item_type=result.get("item_type"), mode="sync")
    ai = result.get("ai") if isinstance(result.get("ai"), dict) else {}
    await audit.record(context, "submission.scored", client=client_of(req), mode="sync", item_type=result.get("item_type"),
                       score=result.get("score"), max_score=result.get("max_score"),
                       rule_version=result.get("rule_version"), calibration_version=audit.calibration_version(),
                       ai_status=ai.get("status"), ai_reason=ai.get("reason"))
    return reply(200, result)
