"""The body of the engine-calling event steps (NlpScorer, Transcriber): one place for the shared flow
(skip check, running marker, engine call, partial, metrics, then finish or emit). Stdlib only."""
from __future__ import annotations

import time
from typing import Optional

from scoring import aggregation, engine_client, jobs


async def score_partial(data: dict, ctx, *, source: str, step: str, handles: str, skip_reason: str) -> Optional[dict]:
    """Score the job's submission with the engine when its kind is `handles`, else store a 'skipped'
    partial saying why (no event: the aggregator does not wait for a skipped source).
    Engine down -> raise (the queue retries the event); engine rejects -> a 'failed' partial.
    Then finish the job here when this was the last partial and no AI score needs combining
    (scoring.aggregation), else emit score.partial for the Aggregator."""
    t0 = time.time()
    job_id = data.get("job_id", "")
    attempt = data.get("attempt", 1)
    job = await jobs.get(ctx, jobs.JOBS, job_id)
    if not job or job.get("status") in jobs.TERMINAL:
        ctx.logger.info(f"{step}: job finished or expired, event ignored", {"job_id": job_id})
        return None
    if job.get("kind") != handles:
        await jobs.put_partial(ctx, job_id, source, "skipped", reason=skip_reason, attempt=attempt)
        ctx.logger.info(f"{step}: skipped", {"job_id": job_id, "reason": skip_reason})
        return None
    queue_ms = round((t0 - float(data.get("emitted_at") or job.get("last_attempt_at") or t0)) * 1000, 1)
    await jobs.put_partial(ctx, job_id, source, "running", attempt=attempt)
    await jobs.publish(ctx, job, await jobs.partials(ctx, job_id))
    submission = await jobs.get(ctx, jobs.SUBMISSIONS, job_id)
    extra: dict = {}
    try:
        result = await engine_client.score(submission, engine=job.get("engine"))
        status = "completed"
    except engine_client.EngineUnavailable as e:
        await jobs.observe(ctx, jobs.new_id("obs"), kind="engine_failure", step=step)
        await jobs.put_partial(ctx, job_id, source, "running", attempt=attempt, last_error=str(e))
        ctx.logger.error(f"{step}: engine unavailable, the event will be retried", {"job_id": job_id, "error": str(e)})
        raise
    except engine_client.EngineRejected as e:
        result, status = None, "failed"
        extra = {"error": "; ".join(f"{x.get('field')}: {x.get('message')}" for x in e.errors), "errors": e.errors}
    step_s = time.time() - t0
    engine_ms = ((result or {}).get("timings_ms") or {}).get("engine")
    partial = await jobs.put_partial(ctx, job_id, source, status, attempt=attempt, result=result,
                                     step_ms=round(step_s * 1000, 1), engine_ms=engine_ms, queue_ms=queue_ms, **extra)
    await jobs.observe(ctx, f"{job_id}:{step}:{attempt}", kind="step", step=step, status=status, seconds=step_s,
                       engine_seconds=(engine_ms or 0) / 1000)
    # the last partial with no AI score to combine: finish here (one Aggregator process fewer per job)
    if await aggregation.aggregate(ctx, job_id, inline=True) != "finished":
        await ctx.emit({"topic": "score.partial", "data": {"job_id": job_id, "source": source, "emitted_at": time.time()}})
    return partial
