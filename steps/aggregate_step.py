"""Aggregator: on each score.partial, merge the job's partials; once every expected source has
answered, combine local and AI scores (scoring.ai.hybrid.combine, run in the engine), store the final
result (24 h) and push it on the job's stream. Light imports: the engine client loads only when needed."""
import time

from scoring import jobs

config = {
    "type": "event",
    "name": "Aggregator",
    "description": "Merge partial scores into the final result; stream it",
    "subscribes": ["score.partial"],
    "emits": [],
    "virtualEmits": [{"topic": "stream:scoreJob", "label": "final result on the scoreJob stream"}],
    "input": {"type": "object", "properties": {"job_id": {"type": "string"}, "source": {"type": "string"}},
              "required": ["job_id", "source"]},
    "flows": ["pte-scoring"],
    "infrastructure": {"handler": {"timeout": 60},
                       "queue": {"type": "standard", "maxRetries": 5, "visibilityTimeout": 90, "concurrency": 2}},
}


async def handler(data, context):
    t0 = time.time()
    job_id = data.get("job_id") or data.get("submission_id") or ""
    if isinstance(data.get("partial"), dict):  # a producer that sends its partial inline: store it
        await context.state.set(jobs.partials_group(job_id), data["source"],
                                {"job_id": job_id, "source": data["source"], "at": t0, **data["partial"]})
    job = await jobs.get(context, jobs.JOBS, job_id)
    if not job or job.get("status") in jobs.TERMINAL:
        return
    parts = await jobs.partials(context, job_id)
    local = parts.get(jobs.local_source(job.get("kind", "text"))) or {}
    if local.get("status") == "failed":  # no result can come of it: fail now, whatever the AI says
        await jobs.finish(context, job, parts, result=None, error=local.get("error") or "local scoring failed")
        return
    if not jobs.ready_to_finish(job, parts):
        await jobs.publish(context, job, parts)
        return
    ai = parts.get("ai")
    if local.get("status") != "completed":
        error = local.get("error") or local.get("reason") or f"local scoring {local.get('status')}"
        await jobs.finish(context, job, parts, result=None, error=error)
        return
    result = local["result"]
    if ai and ai.get("status") == "completed" and isinstance(ai.get("result"), dict):
        from scoring import engine_client  # only here: httpx + settings cost ~0.1 s of process start
        result = await engine_client.combine(result, ai["result"], engine=job.get("engine"))  # engine down -> raises -> event retried
    elif ai:
        result = {**result, "ai": {"status": ai.get("status"), "reason": ai.get("reason")}}
    job = await jobs.finish(context, job, parts, result=result, error=None)
    await jobs.observe(context, f"{job_id}:Aggregator", kind="step", step="Aggregator", status="completed",
                       seconds=time.time() - t0)
    context.logger.info("job completed", {"job_id": job_id, "score": result.get("score"),
                                          "total_ms": job["timings_ms"].get("total")})
