"""GET /job/{job_id}: queued | running | completed | failed, partials as they arrive, result, timings, error."""
from scoring import jobs
from scoring.jobs_api import lookup, state_or_503

config = {
    "type": "api",
    "name": "GetJob",
    "description": "Status, partial scores and final result of a job",
    "path": "/job/:job_id",
    "method": "GET",
    "emits": [],
    "flows": ["pte-scoring"],
}


async def handler(req, context):
    return await state_or_503(lambda: get_job(req, context))


async def get_job(req, context):
    job, missing = await lookup(context, req, "job_id", jobs.JOBS)
    if missing:
        return missing
    return {"status": 200, "body": jobs.public_job(job, await jobs.partials(context, job["job_id"]))}
