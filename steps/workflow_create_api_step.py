"""POST /workflow/create {"name"?, "submissions": [...]}: a practice test, i.e. a set of submissions
scored together under one workflow id. 201 with the workflow id and one job per submission."""
from scoring import jobs
from scoring.netguard import url_problem
from scoring.jobs_api import QueueFull, accept_many, bad, client_of, field_errors, idempotent, reply, submission_list
from scoring.settings import get_settings

config = {
    "type": "api",
    "name": "CreateWorkflow",
    "description": "Start a practice-test workflow (a set of submissions scored together)",
    "path": "/workflow/create",
    "method": "POST",
    "emits": ["submission.received"],
    "flows": ["pte-scoring"],
}


async def handler(req, context):
    return await idempotent(context, req, "workflow_create", lambda: create(req, context))


async def create(req, context):
    settings = get_settings()
    body = req.get("body")
    items, error = submission_list(body, "submissions", settings.batch_max_items)
    if error:
        return error
    name = body.get("name")
    if name is not None and (not isinstance(name, str) or len(name) > 200):
        return bad("name", "must be a string of at most 200 characters", 422)
    if body.get("webhook_url") is not None and url_problem(body["webhook_url"]):
        return bad("webhook_url", url_problem(body["webhook_url"]), 422)
    workflow_id = jobs.new_id("wf")
    try:
        accepted, rejected, checked = await accept_many(context, items, key="submissions", mode="workflow",
                                                        workflow_id=workflow_id, all_or_nothing=True,
                                                        client=client_of(req))
    except QueueFull as full:
        return full.reply
    if rejected:
        return field_errors(422, [e for r in rejected for e in r["errors"]])
    record = {"workflow_id": workflow_id, "name": name, "job_ids": [a["job_id"] for a in accepted],
              "created_at": jobs.now(), "assessment": None, "client": client_of(req),
              "webhook_url": body.get("webhook_url") or checked.get("webhook_url")}
    await context.state.set(jobs.WORKFLOWS, workflow_id, record)
    await jobs.schedule_expiry(context, jobs.now() + checked["job_ttl_s"], group=jobs.WORKFLOWS, key=workflow_id)
    return reply(201, {**record, "jobs": accepted, "status_url": f"/workflow/{workflow_id}",
                       "stream_url": f"/workflow/{workflow_id}/stream"}, {"Location": f"/workflow/{workflow_id}"})
