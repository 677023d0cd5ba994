"""GET /metrics: Prometheus text. Counters and histograms are folded from per-call observations kept in
Motia state (Redis): every step runs in a new process, so nothing can count in memory."""
from scoring import jobs

config = {
    "type": "api",
    "name": "Metrics",
    "description": "Prometheus metrics: submissions, jobs, queue depth, step latencies, failures",
    "path": "/metrics",
    "method": "GET",
    "emits": [],
    "flows": ["pte-scoring"],
}


async def handler(req, context):
    totals = jobs.unwrap(await context.state.get(jobs.METRIC_TOTALS, "all")) or jobs.empty_totals()
    live = [o for o in jobs.as_list(await context.state.get_group(jobs.METRICS)) if isinstance(o, dict)]
    merged = jobs.fold(totals, live)
    gauges: dict = {}
    active = jobs.as_list(await context.state.get_group(jobs.ACTIVE))
    gauges["pte_queue_depth"] = len(active)
    for entry in active:  # unfinished jobs by item type (the active index is small: only jobs in flight)
        job = await jobs.get(context, jobs.JOBS, (entry or {}).get("job_id", "")) if len(active) <= 500 else None
        if job:
            key = f'pte_jobs_in_flight{{item_type="{job.get("item_type")}"}}'
            gauges[key] = gauges.get(key, 0) + 1
    text = jobs.render(merged, gauges)
    from scoring import engine_client  # the engine's AI client counters (pte_ai_*), when it has AI routes

    try:
        text += await engine_client.call("GET", "/ai/metrics", timeout=2.0, wait_s=0, raw=True)
    except (engine_client.EngineUnavailable, engine_client.EngineRejected):
        text += "# engine AI metrics unavailable\n"
    return {"status": 200, "body": text,
            "headers": {"Content-Type": "text/plain; version=0.0.4; charset=utf-8"}}
