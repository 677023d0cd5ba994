"""POST /batch_score {"submissions": [...]}: 202 with one job id per accepted submission; a bad
submission is reported by its index and does not sink the others. At most BATCH_MAX_ITEMS
submissions and MAX_BODY_BYTES per request (60 KB with the stock step runner, which hands the body to this
step on the command line)."""
from scoring import jobs
from scoring.jobs_api import QueueFull, accept_many, client_of, field_errors, idempotent, reply, submission_list
from scoring.settings import get_settings

config = {
    "type": "api",
    "name": "BatchScore",
    "description": "Enqueue a list of submissions (202 + one job id each)",
    "path": "/batch_score",
    "method": "POST",
    "emits": ["submission.received"],
    "flows": ["pte-scoring"],
}


async def handler(req, context):
    return await idempotent(context, req, "batch_score", lambda: accept(req, context))


async def accept(req, context):
    settings = get_settings()
    items, error = submission_list(req.get("body"), "submissions", settings.batch_max_items)
    if error:
        return error
    batch_id = jobs.new_id("batch")
    try:
        accepted, rejected, checked = await accept_many(context, items, key="submissions", mode="batch",
                                                        batch_id=batch_id, client=client_of(req))
    except QueueFull as full:
        return full.reply
    if not accepted:
        return field_errors(422, [e for r in rejected for e in r["errors"]])
    await context.state.set(jobs.BATCHES, batch_id, {"batch_id": batch_id, "job_ids": [a["job_id"] for a in accepted],
                                                     "rejected": rejected, "created_at": jobs.now(),
                                                     "client": client_of(req)})
    await jobs.schedule_expiry(context, jobs.now() + checked["job_ttl_s"], group=jobs.BATCHES, key=batch_id)
    return reply(202, {"batch_id": batch_id, "accepted": len(accepted), "rejected": rejected, "jobs": accepted})
