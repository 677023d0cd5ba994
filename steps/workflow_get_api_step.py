"""GET /workflow/{workflow_id}: the status of every job; once all completed, the assessment."""
from scoring import jobs
from scoring.jobs_api import lookup

config = {
    "type": "api",
    "name": "GetWorkflow",
    "description": "Status of a practice-test workflow and its assessment",
    "path": "/workflow/:workflow_id",
    "method": "GET",
    "emits": [],
    "flows": ["pte-scoring"],
}


async def handler(req, context):
    wf, missing = await lookup(context, req, "workflow_id", jobs.WORKFLOWS)
    if missing:
        return missing
    wid = wf["workflow_id"]
    views, results = [], []
    for job_id in wf["job_ids"]:
        job = await jobs.get(context, jobs.JOBS, job_id)
        if not job:
            views.append({"job_id": job_id, "status": "expired"})
            continue
        parts = await jobs.partials(context, job_id)
        view = {k: v for k, v in jobs.public_job(job, parts).items() if k != "result"}
        if job.get("status") == "completed":
            view["score"] = job["result"].get("score")
            view["max_score"] = job["result"].get("max_score")
            results.append(job["result"])
        views.append(view)
    statuses = [v["status"] for v in views]
    done = all(s in ("completed", "failed", "expired") for s in statuses)
    status = "completed" if done else ("running" if any(s != "queued" for s in statuses) else "queued")
    if done and wf.get("assessment") is None and results:
        from scoring import engine_client
        try:
            wf = {**wf, "assessment": await engine_client.assess(results)}
            await context.state.set(jobs.WORKFLOWS, wid, wf)
        except (engine_client.EngineUnavailable, engine_client.EngineRejected) as e:
            context.logger.warn("workflow assessment not available yet", {"workflow_id": wid, "error": str(e)})
    counts = {s: statuses.count(s) for s in sorted(set(statuses))}
    return {"status": 200, "body": {"workflow_id": wid, "name": wf.get("name"), "status": status, "counts": counts,
                                    "jobs": views, "assessment": wf.get("assessment")}}
