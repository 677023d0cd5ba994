"""JobSweeper (every 10 s): re-emits jobs stuck past JOB_DEADLINE_S (up to JOB_MAX_ATTEMPTS), then fails
them visibly; deletes jobs past their TTL (JOB_TTL_S, 24 h); folds old metric observations into totals."""
from scoring import engine_client, jobs
from scoring.settings import get_settings

config = {
    "type": "cron",
    "name": "JobSweeper",
    "description": "Retry or fail stuck jobs, expire old ones, compact metrics",
    "cron": "*/10 * * * * *",
    "emits": ["submission.received", "webhook.deliver"],
    "flows": ["pte-scoring"],
}

METRICS_FOLD_AFTER_S = 60


async def handler(context):
    s = get_settings()
    t = jobs.now()
    retried, failed = [], []
    for entry in jobs.as_list(await context.state.get_group(jobs.ACTIVE)):
        job_id = (entry or {}).get("job_id")
        job = await jobs.get(context, jobs.JOBS, job_id) if job_id else None
        if not job or job.get("status") in jobs.TERMINAL:
            if job_id:
                await context.state.delete(jobs.ACTIVE, job_id)
            continue
        if t - job.get("last_attempt_at", job["created_at"]) < s.job_deadline_s:
            continue
        parts = await jobs.partials(context, job_id)
        if job.get("attempts", 1) < s.job_max_attempts:
            job = {**job, "attempts": job.get("attempts", 1) + 1, "last_attempt_at": t, "updated_at": t,
                   "engine": engine_client.params(s)}
            await context.state.set(jobs.JOBS, job_id, job)
            await context.emit(jobs.received_event(job))
            retried.append(job_id)
        else:
            await jobs.finish(context, job, parts, result=None,
                              error=f"no result within {s.job_deadline_s} s after {job.get('attempts', 1)} attempts")
            failed.append(job_id)
    if retried or failed:
        context.logger.warn("stuck jobs", {"retried": retried, "failed": failed})
    await fold_metrics(context, t)
    await expire(context, t)


async def fold_metrics(context, t: float) -> None:
    """Move observations older than a minute into the totals record (the cron runs once per tick)."""
    old = [o for o in jobs.as_list(await context.state.get_group(jobs.METRICS))
           if isinstance(o, dict) and t - o.get("t", t) > METRICS_FOLD_AFTER_S]
    if not old:
        return
    totals = jobs.unwrap(await context.state.get(jobs.METRIC_TOTALS, "all")) or jobs.empty_totals()
    await context.state.set(jobs.METRIC_TOTALS, "all", jobs.fold(totals, old))
    for o in old:
        if o.get("key"):
            await context.state.delete(jobs.METRICS, o["key"])


async def expire(context, t: float) -> None:
    """Drop every expiry bucket whose hour has fully passed (records older than JOB_TTL_S)."""
    current = int(t // jobs.EXPIRY_BUCKET_S)  # buckets <= current have ended
    mark = jobs.unwrap(await context.state.get("pte:sweeper", "expiry")) or {}
    start = mark.get("next_bucket", current - 24 * 7)  # first run: look back a week
    if start > current:
        return
    for bucket in range(start, current + 1):
        n = await jobs.expire_bucket(context, bucket)
        if n:
            context.logger.info("expired records", {"bucket": bucket, "n": n})
    await context.state.set("pte:sweeper", "expiry", {"next_bucket": current + 1, "at": t})
