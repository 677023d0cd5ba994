"""GET /job/{job_id}: queued | running | completed | failed, partials as they arrive, result, timings, error."""
from scoring import jobs

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
    job_id = (req.get("pathParams") or {}).get("job_id", "")
    job = await jobs.get(context, jobs.JOBS, job_id) if job_id.startswith("job_") else None
    if not job:
        return {"status": 404, "body": {"errors": [{"field": "job_id", "message": f"no job {job_id!r} (unknown or expired)"}]}}
    return {"status": 200, "body": jobs.public_job(job, await jobs.partials(context, job_id))}
