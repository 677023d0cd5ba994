"""Job bookkeeping for the Motia pipeline, over a duck-typed step context (`ctx.state`, `ctx.streams`).

Stdlib only: every Motia step is a new Python process, so what a step imports is paid on every call.
Nothing here imports motia; the context is passed in.

State layout (Motia state, i.e. Redis):
  pte:jobs/<job_id>             job record: status, item type, expected sources, timings, result, error
  pte:submissions/<job_id>      the submission itself (events carry the job id, never the body)
  pte:partials:<job_id>/<src>   one key per partial source (nlp | speech | ai): no lost update when
                                 partials are aggregated concurrently
  pte:active/<job_id>           index of unfinished jobs (what the sweeper scans)
  pte:transcripts/<job_id>      transcript of an audio submission (for the AI step)
  pte:metrics/<obs id>          one observation per step call (folded into pte:metrics_totals by the cron)
  pte:batches, pte:workflows, pte:assessments   records keyed by their ids
  pte:expiry:<hour>/<entry>     what to delete once that hour has passed (JOB_TTL_S): the sweeper drops
                                 whole past buckets, so expiry never scans every job
  pte:webhooks/<delivery id>    a webhook delivery's tries (steps/webhook_step.py)
  pte:audit/<entry id>          audit entries waiting for the PostgreSQL writer (scoring/audit.py; DATABASE_URL)

Jobs, workflows, batches and assessments carry `client`: the name of the API key that created them (None when
keys are off); scoring.jobs_api.lookup answers 404 to any other client.
"""
from __future__ import annotations

import asyncio
import secrets
import time
from pathlib import Path
from typing import Any, Iterable, Optional

from scoring import audit

JOBS = "pte:jobs"
SUBMISSIONS = "pte:submissions"
ACTIVE = "pte:active"
TRANSCRIPTS = "pte:transcripts"
METRICS = "pte:metrics"
METRIC_TOTALS = "pte:metrics_totals"
BATCHES = "pte:batches"
WORKFLOWS = "pte:workflows"
ASSESSMENTS = "pte:assessments"
STREAM = "scoreJob"  # Motia stream name (steps/score_job_stream.py)
ID_PREFIX = {JOBS: "job", WORKFLOWS: "wf", ASSESSMENTS: "asm"}  # new_id(prefix) of the records each group holds

TERMINAL = ("completed", "failed")
PARTIAL_DONE = ("completed", "skipped", "not_configured", "failed")
AUDIO_FIELDS = ("audio_path", "audio_id", "audio_url")
ROOT = Path(__file__).resolve().parents[1]

# Prometheus histogram buckets (seconds) for step and end-to-end latencies
EXPIRY_BUCKET_S = 3600

BUCKETS = (0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0)


def partials_group(job_id: str) -> str:
    return f"pte:partials:{job_id}"


def new_id(prefix: str) -> str:
    """Unguessable id (128 random bits), prefixed by what it names."""
    return f"{prefix}_{secrets.token_urlsafe(16)}"


def now() -> float:
    return time.time()


def unwrap(value: Any) -> Any:
    """Motia 0.17 `state.get` returns {"data": v} for dicts without a `data` key and {"data": None}
    when missing; this returns v (or None). Records stored here never have a top-level `data` key."""
    if isinstance(value, dict) and set(value) == {"data"}:
        return value["data"]
    return value


def as_list(value: Any) -> list:
    value = unwrap(value)
    return value if isinstance(value, list) else []


def submission_kind(submission: dict) -> str:
    """'audio' when the response carries a recording reference, else 'text' (text, timed words, answers)."""
    response = submission.get("response") or {}
    return "audio" if any(response.get(f) for f in AUDIO_FIELDS) else "text"


def local_source(kind: str) -> str:
    return "speech" if kind == "audio" else "nlp"


def ai_step_present() -> bool:
    """The AI step emits a partial for every submission (scored, skipped or not configured), so
    the aggregator waits for it only when it is deployed."""
    return (ROOT / "steps" / "ai_score_step.py").exists()


def expected_sources(kind: str) -> list[str]:
    return [local_source(kind)] + (["ai"] if ai_step_present() else [])


def new_job(job_id: str, submission: dict, *, ttl_s: int, batch_id: Optional[str] = None,
            workflow_id: Optional[str] = None, index: Optional[int] = None, engine: Optional[dict] = None,
            ai_plan: Optional[dict] = None, client: Optional[str] = None, webhook_url: Optional[str] = None) -> dict:
    kind = submission_kind(submission)
    t = now()
    return {"job_id": job_id, "status": "queued", "item_type": submission.get("item_type"), "kind": kind,
            "expected": expected_sources(kind), "attempts": 1, "created_at": t, "updated_at": t,
            "last_attempt_at": t, "expires_at": t + ttl_s, "batch_id": batch_id, "workflow_id": workflow_id,
            "index": index, "result": None, "error": None, "timings_ms": {},
            "engine": engine,  # engine_client.params(): steps call the engine without loading Settings
            "client": client,  # the API key (its name) that submitted it
            "webhook_url": webhook_url,  # told of the outcome (steps/webhook_step.py)
            "ai_plan": ai_plan}  # the AI partial when it was already decided at accept time (POST /accept)


async def get(ctx, group: str, key: str) -> Optional[dict]:
    return unwrap(await ctx.state.get(group, key))


async def create_job(ctx, submission: dict, *, ttl_s: int, batch_id=None, workflow_id=None, index=None,
                     engine: Optional[dict] = None, ai_plan: Optional[dict] = None, client: Optional[str] = None,
                     webhook_url: Optional[str] = None) -> dict:
    """Store the submission and its job record, index it as active, publish 'queued' on the stream."""
    job_id = new_id("job")
    job = new_job(job_id, submission, ttl_s=ttl_s, batch_id=batch_id, workflow_id=workflow_id, index=index,
                  engine=engine, ai_plan=ai_plan, client=client, webhook_url=webhook_url)
    await ctx.state.set(SUBMISSIONS, job_id, submission)
    await ctx.state.set(JOBS, job_id, job)
    await ctx.state.set(ACTIVE, job_id, {"job_id": job_id, "since": job["created_at"]})
    await schedule_expiry(ctx, job["expires_at"], job_id=job_id)
    await publish(ctx, job, {})
    return job


def expiry_group(bucket: int) -> str:
    return f"pte:expiry:{bucket}"


async def schedule_expiry(ctx, expires_at: float, *, job_id: Optional[str] = None, group: Optional[str] = None,
                          key: Optional[str] = None) -> None:
    """Delete a job (all its records) or one state record after `expires_at` (bucketed by the hour)."""
    bucket = int(expires_at // EXPIRY_BUCKET_S) + 1  # the first bucket that ends after expires_at
    entry = {"job_id": job_id} if job_id else {"group": group, "key": key}
    await ctx.state.set(expiry_group(bucket), job_id or f"{group}|{key}", entry)


async def expire_bucket(ctx, bucket: int) -> int:
    n = 0
    for entry in as_list(await ctx.state.get_group(expiry_group(bucket))):
        if not isinstance(entry, dict):
            continue
        if entry.get("job_id"):
            job_id = entry["job_id"]
            for group in (JOBS, SUBMISSIONS, TRANSCRIPTS, ACTIVE):
                await ctx.state.delete(group, job_id)
            await ctx.state.clear(partials_group(job_id))
        elif entry.get("group") and entry.get("key"):
            await ctx.state.delete(entry["group"], entry["key"])
        n += 1
    await ctx.state.clear(expiry_group(bucket))
    return n


def received_event(job: dict) -> dict:
    """The submission.received event: a reference, never the submission (64 KB command-line limit)."""
    return {"topic": "submission.received",
            "data": {"job_id": job["job_id"], "item_type": job["item_type"], "kind": job["kind"],
                     "attempt": job.get("attempts", 1), "emitted_at": now()}}


async def partials(ctx, job_id: str) -> dict[str, dict]:
    out: dict[str, dict] = {}
    for p in as_list(await ctx.state.get_group(partials_group(job_id))):
        if isinstance(p, dict) and p.get("source"):
            out[p["source"]] = p
    return out


async def put_partial(ctx, job_id: str, source: str, status: str, **fields: Any) -> dict:
    partial = {"job_id": job_id, "source": source, "status": status, "at": now(), **fields}
    await ctx.state.set(partials_group(job_id), source, partial)
    if status == "running":
        await audit.record(ctx, "job.running", job_id=job_id, source=source, attempt=fields.get("attempt"))
    else:
        summary = partial_summary(partial)
        summary.pop("traits", None)
        await audit.record(ctx, "ai.decision" if source == "ai" else "score.partial", job_id=job_id, source=source,
                           **summary)
    return partial


def partial_summary(p: dict) -> dict:
    """What clients see of a partial before the final result (scores, not the whole evidence)."""
    out = {k: p.get(k) for k in ("status", "reason", "error", "step_ms", "engine_ms", "attempt") if p.get(k) is not None}
    result = p.get("result")
    if isinstance(result, dict):
        out["score"] = result.get("score")
        out["max_score"] = result.get("max_score")
        out["traits"] = {k: (v or {}).get("score") for k, v in (result.get("traits") or {}).items()}
    return out


def derive_status(job: dict, parts: dict[str, dict]) -> str:
    if job.get("status") in TERMINAL:
        return job["status"]
    return "running" if parts else "queued"


def stream_item(job: dict, parts: dict[str, dict]) -> dict:
    item = {"job_id": job["job_id"], "status": derive_status(job, parts), "item_type": job.get("item_type"),
            "partials": {s: partial_summary(p) for s, p in parts.items()}, "updated_at": now()}
    if job.get("workflow_id"):
        item["workflow_id"] = job["workflow_id"]
    if job.get("status") == "completed":
        item["result"] = job.get("result")
        item["timings_ms"] = job.get("timings_ms")
    if job.get("error"):
        item["error"] = job["error"]
    return item


async def publish(ctx, job: dict, parts: dict[str, dict]) -> dict:
    """Push the job's current view to its stream group (and its workflow's group, if any)."""
    item = stream_item(job, parts)
    stream = getattr(ctx.streams, STREAM)
    await stream.set(job["job_id"], job["job_id"], item)
    if job.get("workflow_id"):
        # stream item ids must be globally unique, so the workflow group uses its own ids
        await stream.set(job["workflow_id"], f"wf-{job['job_id']}", item)
    return item


def public_job(job: dict, parts: dict[str, dict]) -> dict:
    view = {k: job.get(k) for k in ("job_id", "item_type", "kind", "attempts", "batch_id", "workflow_id",
                                   "index", "created_at", "updated_at", "expected")}
    view["status"] = derive_status(job, parts)
    view["partials"] = {s: partial_summary(p) for s, p in parts.items()}
    view["timings_ms"] = job.get("timings_ms") or {}
    if job.get("status") == "completed":
        view["result"] = job.get("result")
    if job.get("error"):
        view["error"] = job["error"]
    return {k: v for k, v in view.items() if v is not None}


def ready_to_finish(job: dict, parts: dict[str, dict]) -> bool:
    return all(parts.get(s, {}).get("status") in PARTIAL_DONE for s in job.get("expected") or [])


async def aggregator_needed(ctx, job: dict) -> bool:
    """Whether a step that has just stored a partial *without a score* (skipped, not configured) must
    emit score.partial. Only when every expected partial is now done: otherwise a source still working
    stores its partial later, sees this one, and its own event lets the aggregator finish. Saves one
    Aggregator process per text submission (Motia 0.17 starts a process per step call)."""
    return ready_to_finish(job, await partials(ctx, job["job_id"]))


def timings(job: dict, parts: dict[str, dict], finished_at: float) -> dict:
    out = {"total": round((finished_at - job["created_at"]) * 1000, 1)}
    for s, p in parts.items():
        for k in ("step_ms", "engine_ms", "queue_ms"):
            if p.get(k) is not None:
                out[f"{s}.{k[:-3]}"] = p[k]
    return out


async def finish(ctx, job: dict, parts: dict[str, dict], *, result: Optional[dict], error: Optional[str]) -> dict:
    t = now()
    job = {**job, "status": "failed" if error else "completed", "result": result, "error": error,
           "updated_at": t, "timings_ms": timings(job, parts, t)}
    await ctx.state.set(JOBS, job["job_id"], job)
    await ctx.state.delete(ACTIVE, job["job_id"])
    await observe(ctx, f"{job['job_id']}:final", kind="job", status=job["status"], item_type=job.get("item_type"),
                  seconds=job["timings_ms"]["total"] / 1000)
    await publish(ctx, job, parts)
    if error:
        await audit.record(ctx, "submission.failed", **audit.of_job(job), error=error)
    else:
        await audit.record(ctx, "submission.completed", **audit.of_job(job), item_type=job.get("item_type"),
                           score=(result or {}).get("score"), max_score=(result or {}).get("max_score"),
                           rule_version=(result or {}).get("rule_version"),
                           calibration_version=audit.calibration_version() if audit.enabled() else None)
    await notify(ctx, job)
    return job


WEBHOOK_TOPIC = "webhook.deliver"  # steps/webhook_step.py; every step that finishes jobs lists it in `emits`
WEBHOOKS = "pte:webhooks"  # one record per delivery ("submission:<job id>", "workflow:<workflow id>"): its tries
CLAIM_SETTLE_S = 0.3


async def notify(ctx, job: dict) -> None:
    """Ask the webhook step to tell the job's webhook (if any) of its outcome, and the workflow's webhook (if
    any) once this was the workflow's last unfinished job. Two last jobs finishing at once may both see the
    other finished: each writes its claim on the workflow's delivery, waits CLAIM_SETTLE_S, and only the one
    whose claim is still there (the last writer) asks for the delivery (state has no compare-and-set)."""
    if job.get("webhook_url"):
        await ctx.emit({"topic": WEBHOOK_TOPIC, "data": {"kind": "submission", "id": job["job_id"]}})
    wf = await get(ctx, WORKFLOWS, job["workflow_id"]) if job.get("workflow_id") else None
    if not wf or not wf.get("webhook_url"):
        return
    for other in wf.get("job_ids") or []:
        if other != job["job_id"] and ((await get(ctx, JOBS, other)) or {}).get("status") not in (*TERMINAL, None):
            return
    key, claim = f"workflow:{wf['workflow_id']}", new_id("claim")
    if (await get(ctx, WEBHOOKS, key)) is not None:
        return  # already claimed (a duplicate event for a job that finished long ago)
    await ctx.state.set(WEBHOOKS, key, {"delivery_id": key, "attempts": 0, "claim": claim})
    await asyncio.sleep(CLAIM_SETTLE_S)
    if ((await get(ctx, WEBHOOKS, key)) or {}).get("claim") == claim:
        await ctx.emit({"topic": WEBHOOK_TOPIC, "data": {"kind": "workflow", "id": wf["workflow_id"], "claim": claim}})


async def delete_job(ctx, job_id: str) -> Optional[dict]:
    """Remove a job's submission, transcript, partials, record and stream items (data retention). Returns the
    submission (its audio reference is for the caller to delete from the audio store), or None."""
    job = await get(ctx, JOBS, job_id)
    submission = await get(ctx, SUBMISSIONS, job_id)
    for group in (SUBMISSIONS, TRANSCRIPTS, ACTIVE, JOBS):
        await ctx.state.delete(group, job_id)
    await ctx.state.clear(partials_group(job_id))
    stream = getattr(ctx.streams, STREAM)
    await stream.delete(job_id, job_id)
    if job and job.get("workflow_id"):
        await stream.delete(job["workflow_id"], f"wf-{job_id}")
    return submission


# ---- metrics: one observation per step call; Prometheus text rendered from totals + live observations

async def observe(ctx, key: str, **obs: Any) -> None:
    await ctx.state.set(METRICS, key, {"key": key, "t": now(), **obs})


def empty_totals() -> dict:
    return {"counters": {}, "histograms": {}}


def _label_key(name: str, labels: dict) -> str:
    inner = ",".join(f'{k}="{str(v).replace(chr(34), "")}"' for k, v in sorted(labels.items()) if v is not None)
    return f"{name}{{{inner}}}" if inner else name


def fold(totals: dict, observations: Iterable[dict]) -> dict:
    """Add observations to counters and histograms (pure; used by /metrics and by the cron's compaction)."""
    counters = dict(totals.get("counters") or {})
    hists = {k: dict(v) for k, v in (totals.get("histograms") or {}).items()}

    def inc(name, labels, by=1):
        key = _label_key(name, labels)
        counters[key] = counters.get(key, 0) + by

    def hist(name, labels, seconds):
        key = _label_key(name, labels)
        h = hists.setdefault(key, {"count": 0, "sum": 0.0, "buckets": [0] * len(BUCKETS)})
        h = hists[key] = {"count": h["count"] + 1, "sum": h["sum"] + seconds,
                          "buckets": [b + (1 if seconds <= le else 0) for b, le in zip(h["buckets"], BUCKETS)]}

    for o in observations:
        kind = o.get("kind")
        if kind == "accepted":
            inc("pte_submissions_total", {"item_type": o.get("item_type"), "mode": o.get("mode")})
        elif kind == "job":
            inc("pte_jobs_finished_total", {"item_type": o.get("item_type"), "status": o.get("status")})
            if o.get("seconds") is not None:
                hist("pte_job_seconds", {"item_type": o.get("item_type")}, float(o["seconds"]))
        elif kind == "step":
            inc("pte_step_calls_total", {"step": o.get("step"), "status": o.get("status")})
            if o.get("seconds") is not None:
                hist("pte_step_seconds", {"step": o.get("step")}, float(o["seconds"]))
            if o.get("engine_seconds") is not None:
                hist("pte_engine_seconds", {"step": o.get("step")}, float(o["engine_seconds"]))
        elif kind == "step_timeout":  # recorded by the app (config/step-timeouts.ts) when it kills a stuck call
            inc("pte_step_timeouts_total", {"step": o.get("step")})
        elif kind == "engine_failure":
            inc("pte_engine_failures_total", {"step": o.get("step")})
        elif kind == "ai_failure":
            inc("pte_ai_failures_total", {"reason": o.get("reason")})
        elif kind == "rejected":
            inc("pte_requests_rejected_total", {"endpoint": o.get("endpoint"), "status": o.get("status")})
    return {"counters": counters, "histograms": hists}


def render(totals: dict, gauges: dict[str, float]) -> str:
    """Prometheus text exposition format 0.0.4."""
    lines: list[str] = []
    typed: set[str] = set()

    def head(name, kind):
        if name not in typed:
            typed.add(name)
            lines.append(f"# TYPE {name} {kind}")

    for key in sorted(totals.get("counters") or {}):
        head(key.split("{")[0], "counter")
        lines.append(f"{key} {totals['counters'][key]}")
    for key in sorted(totals.get("histograms") or {}):
        name, _, labels = key.partition("{")
        labels = labels.rstrip("}")
        head(name, "histogram")
        h = totals["histograms"][key]
        sep = "," if labels else ""
        for le, n in zip(BUCKETS, h["buckets"]):
            lines.append(f'{name}_bucket{{{labels}{sep}le="{le}"}} {n}')
        lines.append(f'{name}_bucket{{{labels}{sep}le="+Inf"}} {h["count"]}')
        suffix = f"{{{labels}}}" if labels else ""
        lines.append(f"{name}_sum{suffix} {round(h['sum'], 6)}")
        lines.append(f"{name}_count{suffix} {h['count']}")
    for key in sorted(gauges):
        head(key.split("{")[0], "gauge")
        lines.append(f"{key} {gauges[key]}")
    return "\n".join(lines) + "\n"



def version() -> str:
    """The installed package version (pyproject.toml), '0.0.0+checkout' when not pip-installed."""
    try:
        from importlib.metadata import version as _v
        return _v("pte-scoring")
    except Exception:
        return "0.0.0+checkout"
