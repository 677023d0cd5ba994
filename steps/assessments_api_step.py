"""POST /assessments {"job_ids": [...]} or {"items": [ScoreResult | {item_type, score, max_score}]}:
skill and overall estimate (scoring/skills.py, run in the engine). 201 with its id; 409 while a job
is unfinished; 404 for an unknown job; 422 naming the field."""
from scoring import engine_client, jobs
from scoring.jobs_api import bad, client_of, field_errors, not_found, owned, reply

config = {
    "type": "api",
    "name": "CreateAssessment",
    "description": "Skill/overall estimate from job ids or item results",
    "path": "/assessments",
    "method": "POST",
    "emits": [],
    "flows": ["pte-scoring"],
}

MAX_ITEMS = 200
ASSESSMENT_TTL_S = 30 * 86400  # an assessment summarises jobs that expire after JOB_TTL_S: kept longer


async def results_of(context, job_ids, client, field="job_ids"):
    """(results, None) or (None, error reply); another API key's job is unknown here."""
    results = []
    for i, job_id in enumerate(job_ids):
        job = await jobs.get(context, jobs.JOBS, job_id) if isinstance(job_id, str) and job_id.startswith("job_") else None
        if not owned(job, client):
            return None, not_found(f"{field}.{i}", "job", job_id)
        if job.get("status") != "completed":
            status = jobs.derive_status(job, await jobs.partials(context, job_id))
            return None, reply(409, {"errors": [{"field": f"{field}.{i}", "message": f"job is {status}, not completed"}]})
        results.append(job["result"])
    return results, None


async def assess(context, items: list, source: dict, client) -> dict:
    try:
        estimate = await engine_client.assess(items)
    except engine_client.EngineRejected as e:
        return field_errors(422, e.errors)
    except engine_client.EngineUnavailable as e:
        return reply(503, {"errors": [{"field": "engine", "message": str(e)}]}, {"Retry-After": "2"})
    assessment_id = jobs.new_id("asm")
    record = {"assessment_id": assessment_id, "created_at": jobs.now(), **source, "estimate": estimate, "client": client}
    await context.state.set(jobs.ASSESSMENTS, assessment_id, record)
    await jobs.schedule_expiry(context, record["created_at"] + ASSESSMENT_TTL_S, group=jobs.ASSESSMENTS, key=assessment_id)
    return reply(201, record, {"Location": f"/assessments/{assessment_id}"})


async def handler(req, context):
    body = req.get("body")
    if not isinstance(body, dict):
        return bad("body", "must be a JSON object")
    if "job_ids" in body:
        ids = body["job_ids"]
        if not isinstance(ids, list) or not ids or not all(isinstance(x, str) for x in ids):
            return bad("job_ids", "must be a non-empty list of job ids", 422)
        if len(ids) > MAX_ITEMS:
            return bad("job_ids", f"at most {MAX_ITEMS} job ids", 413)
        results, error = await results_of(context, ids, client_of(req))
        if error:
            return error
        return await assess(context, results, {"job_ids": ids}, client_of(req))
    if "items" in body:
        items = body["items"]
        if not isinstance(items, list) or not items:
            return bad("items", "must be a non-empty list of item results", 422)
        if len(items) > MAX_ITEMS:
            return bad("items", f"at most {MAX_ITEMS} item results", 413)
        return await assess(context, items, {"items": len(items)}, client_of(req))
    return bad("job_ids", "give job_ids (completed jobs) or items (item results)", 422)
