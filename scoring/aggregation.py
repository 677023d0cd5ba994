"""The aggregation rule: merge a job's partials into its final result, in one place.

Run by the Aggregator step on every `score.partial`, and inline by the local scoring step (NlpScorer,
Transcriber) right after it stores its partial: when that partial is the last one the job waits for
and there is no AI score to combine, the job is finished there, which saves starting an Aggregator
process (Motia 0.17 starts a new Python process for every step call). Whenever an AI score must be
combined, or other partials are still coming, the step emits `score.partial` and the Aggregator step
does it. Stdlib only; the engine client is imported only to combine an AI score.
"""
from __future__ import annotations

from typing import Literal

from scoring import jobs

Outcome = Literal["finished", "waiting", "ignored", "needs_combine"]


async def aggregate(ctx, job_id: str, *, inline: bool = False) -> Outcome:
    """Finish the job when every expected partial is in. `inline`: never call the engine (answer
    'needs_combine' instead) and leave publishing a waiting job's partials to the Aggregator."""
    job = await jobs.get(ctx, jobs.JOBS, job_id)
    if not job or job.get("status") in jobs.TERMINAL:
        return "ignored"
    parts = await jobs.partials(ctx, job_id)
    local = parts.get(jobs.local_source(job.get("kind", "text"))) or {}
    if local.get("status") == "failed":  # no result can come of it: fail now, whatever the AI says
        await jobs.finish(ctx, job, parts, result=None, error=local.get("error") or "local scoring failed")
        return "finished"
    if not jobs.ready_to_finish(job, parts):
        if not inline:
            await jobs.publish(ctx, job, parts)
        return "waiting"
    if local.get("status") != "completed":
        error = local.get("error") or local.get("reason") or f"local scoring {local.get('status')}"
        await jobs.finish(ctx, job, parts, result=None, error=error)
        return "finished"
    result = local["result"]
    ai = parts.get("ai")
    if ai and ai.get("status") == "completed" and isinstance(ai.get("result"), dict):
        if inline:
            return "needs_combine"
        from scoring import engine_client  # only here: the engine combines local and AI scores
        result = await engine_client.combine(result, ai["result"], engine=job.get("engine"))  # engine down -> raises -> retried
    elif ai:
        result = {**result, "ai": {"status": ai.get("status"), "reason": ai.get("reason")}}
    job = await jobs.finish(ctx, job, parts, result=result, error=None)
    ctx.logger.info("job completed", {"job_id": job_id, "score": result.get("score"),
                                      "total_ms": job["timings_ms"].get("total")})
    return "finished"
