"""AI rater step: asks the engine's POST /ai/score (which holds the providers, breaker and cache) for
an AI partial and records it as the job's "ai" partial, then emits score.partial. When the partial was
decided at accept time (job["ai_plan"]: no provider configured, or policy), it records that without
calling the engine; a partial without a score emits only when it is the last one the job waits for.

Always closes its partial (completed, skipped, not_configured or failed, with the reason), so the
aggregator never waits on an AI that cannot answer; the local score then stands. Spoken submissions
are judged once their transcript exists: on submission.received the engine answers "pending" and the
step waits for transcript.ready. Imports stay light (stdlib engine client; the engine address and AI
deadline travel in the job record, so Settings is not loaded): each call is a new process."""
import time

from scoring import engine_client, jobs

config = {
    "type": "event",
    "name": "AiScorer",
    "description": "AI rater partial (Vercel AI Gateway / Google GenAI via the engine), safe to fail",
    "subscribes": ["submission.received", "transcript.ready"],
    "emits": ["score.partial"],
    "input": {"type": "object", "properties": {"job_id": {"type": "string"}}, "required": ["job_id"]},
    "flows": ["pte-scoring"],
    "infrastructure": {"handler": {"timeout": 100},
                       "queue": {"type": "standard", "maxRetries": 2, "visibilityTimeout": 130, "concurrency": 2}},
}

STEP_STATUS = {"ok": "completed", "failed": "failed", "not_configured": "not_configured"}  # anything else: skipped


def transcript_text(record) -> "str | None":
    """The transcript's words from whatever the speech step stored (a string, {text}, {transcript}, {words})."""
    if isinstance(record, str):
        return record or None
    if not isinstance(record, dict):
        return None
    for key in ("text", "transcript"):
        if isinstance(record.get(key), str) and record[key].strip():
            return record[key]
    words = record.get("words")
    if isinstance(words, list):
        text = " ".join(w.get("word", "") if isinstance(w, dict) else str(w) for w in words).strip()
        return text or None
    return None


async def handler(data, context):
    t0 = time.perf_counter()
    job_id = (data or {}).get("job_id")
    job = await jobs.get(context, jobs.JOBS, job_id) if job_id else None
    if job is None or job.get("status") in jobs.TERMINAL:
        context.logger.info("ai: no open job", {"job_id": job_id})
        return
    parts = await jobs.partials(context, job_id)
    if parts.get("ai", {}).get("status") in jobs.PARTIAL_DONE:  # already recorded (a duplicate or a retry):
        if jobs.ready_to_finish(job, parts):  # make sure the aggregator hears of it (idempotent there)
            await emit_partial(context, job_id, parts["ai"]["status"])
        return
    plan = job.get("ai_plan")
    if plan:  # decided when the submission was accepted (policy, or no provider): nothing to ask
        return await record(context, job, STEP_STATUS.get(plan.get("status"), "skipped"), t0,
                            reason=plan.get("reason"), result=plan)
    submission = await jobs.get(context, jobs.SUBMISSIONS, job_id)
    if submission is None:
        return await record(context, job, "failed", t0, reason="submission not found in state")
    transcript = None
    waiting = False
    if job.get("kind") == "audio":
        transcript = transcript_text(await jobs.get(context, jobs.TRANSCRIPTS, job_id))
        speech_done = parts.get("speech", {}).get("status") in jobs.PARTIAL_DONE
        waiting = transcript is None and not speech_done
    body = {"submission": submission, "submission_id": job_id, "transcript": transcript, "await_transcript": waiting}
    e0 = time.perf_counter()
    try:
        engine = job.get("engine") or engine_client.params()
        ai = await engine_client.call("POST", "/ai/score", json=body, timeout=ai_deadline_s(engine) + 10, engine=engine)
    except engine_client.EngineRejected as e:
        return await record(context, job, "failed", t0, reason=f"engine rejected the AI request: {e.errors}")
    except engine_client.EngineUnavailable as e:
        await jobs.observe(context, f"{job_id}:ai:engine", kind="engine_failure", step="AiScorer")
        return await record(context, job, "failed", t0, reason=f"engine unavailable: {e}")
    engine_ms = round((time.perf_counter() - e0) * 1000, 1)
    if ai.get("status") == "pending":
        context.logger.info("ai: waiting for the transcript", {"job_id": job_id})
        return
    status = STEP_STATUS.get(ai.get("status"), "skipped")
    if status == "failed":
        await jobs.observe(context, f"{job_id}:ai:failure", kind="ai_failure", reason=_failure_kind(ai))
    await record(context, job, status, t0, reason=ai.get("reason"), result=ai, engine_ms=engine_ms)


def ai_deadline_s(engine: dict) -> float:
    """The engine's AI client gives up after this long (engine_client.params computes it from Settings)."""
    return float(engine.get("ai_deadline_s") or engine_client.params()["ai_deadline_s"])


def _failure_kind(ai: dict) -> str:
    kinds = [a.get("outcome") for a in ai.get("attempts") or [] if a.get("outcome") != "ok"]
    return kinds[-1] if kinds else "unknown"


async def record(context, job: dict, status: str, t0: float, **fields) -> None:
    """Store the AI partial, then tell the aggregator: always for a score or a failure; for a partial
    without a score (skipped, not configured) only when it is the last one the job waits for."""
    job_id = job["job_id"]
    step_ms = round((time.perf_counter() - t0) * 1000, 1)
    fields = {k: v for k, v in fields.items() if v is not None}
    await jobs.put_partial(context, job_id, "ai", status, step_ms=step_ms, **fields)
    await jobs.observe(context, f"{job_id}:ai", kind="step", step="AiScorer", status=status, seconds=step_ms / 1000,
                       engine_seconds=(fields["engine_ms"] / 1000) if "engine_ms" in fields else None)
    context.logger.info("ai partial", {"job_id": job_id, "status": status, "reason": fields.get("reason")})
    if status in ("completed", "failed") or await jobs.aggregator_needed(context, job):
        await emit_partial(context, job_id, status)


async def emit_partial(context, job_id: str, status: str) -> None:
    await context.emit({"topic": "score.partial", "data": {"job_id": job_id, "source": "ai", "status": status}})
