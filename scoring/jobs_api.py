"""Request handling shared by the API steps that accept submissions (score, score_async, batch, workflow).

Submissions are validated by the warm engine (`POST /accept`: the engine's own boundary model,
`scoring.models.Submission`, already loaded there), so the API step process imports neither pydantic
nor Settings (~0.1 CPU-s per request saved; each step call is a new process). When the engine does not
answer at once, the same validation runs here (slower, never weaker): a submission is never refused
because the engine is restarting. Either way a bad submission is rejected naming each field by its
dotted path."""
from __future__ import annotations

from typing import Any, Awaitable, Callable, Optional

from scoring import audit, engine_client, jobs

CLIENT_HEADER = "x-pte-client"  # set by the app's access hook (config/access.ts) to the API key's name
QUEUE_RETRY_AFTER_S = 5
IDEMPOTENCY_TTL_S = 86400  # a repeated Idempotency-Key is recognised for a day


def reply(status: int, body: Any, headers: Optional[dict] = None) -> dict:
    out = {"status": status, "body": body}
    if headers:
        out["headers"] = headers
    return out


def field_errors(status: int, errors: list[dict]) -> dict:
    return reply(status, {"errors": errors})


def bad(field: str, message: str, status: int = 400) -> dict:
    return field_errors(status, [{"field": field, "message": message}])


def not_found(field: str, noun: str, id_: str) -> dict:
    return reply(404, {"errors": [{"field": field, "message": f"no {noun} {id_!r} (unknown or expired)"}]})


def client_of(req: dict) -> Optional[str]:
    """The name of the API key the request came with (None when API keys are off). Only the app's access
    hook sets this header: it removes any copy the client sent."""
    value = (req.get("headers") or {}).get(CLIENT_HEADER)
    return value if isinstance(value, str) and value else None


def owned(record: Optional[dict], client: Optional[str]) -> bool:
    """Whether `client` may see `record`: only the key that created it (or anyone, both without keys)."""
    return bool(record) and record.get("client") == client


async def lookup(ctx, req: dict, param: str, group: str) -> tuple[Optional[dict], Optional[dict]]:
    """The record named by the path parameter `param` (`job_id`, `workflow_id`, `assessment_id`) in the
    state group, or a 404 naming the parameter. Ids carry their kind's prefix (`job_`, `wf_`, `asm_`),
    so an id of another kind is not looked up; a record another API key created is a 404 as well."""
    id_ = (req.get("pathParams") or {}).get(param, "")
    prefix = jobs.ID_PREFIX[group]
    record = await jobs.get(ctx, group, id_) if id_.startswith(prefix + "_") else None
    if owned(record, client_of(req)):
        return record, None
    return None, not_found(param, param.removesuffix("_id"), id_)


async def delete_jobs(ctx, job_ids: list[str]) -> Optional[dict]:
    """Remove each job's submission, results and stream items, and its uploaded audio from the engine's store.
    The audio goes first: with the engine away nothing is deleted and the answer is a 503 to retry."""
    for job_id in job_ids:
        submission = await jobs.get(ctx, jobs.SUBMISSIONS, job_id) or {}
        audio_id = (submission.get("response") or {}).get("audio_id")
        if isinstance(audio_id, str) and audio_id:
            try:
                await engine_client.call("DELETE", f"/audio/{audio_id}", timeout=10, wait_s=2)
            except engine_client.EngineRejected:
                pass  # malformed: nothing stored under it
            except engine_client.EngineUnavailable as e:
                return reply(503, {"errors": [{"field": "engine", "message": f"audio store unavailable: {e}"}]},
                             {"Retry-After": "2"})
    for job_id in job_ids:
        await jobs.delete_job(ctx, job_id)
    return None


async def delete_record(ctx, req: dict, param: str, group: str) -> dict:
    """DELETE /job/{id}, /workflow/{id} (with its jobs), /assessments/{id}: 204, or 404 for an unknown id or
    another key's record. The audit log keeps that it was deleted, by which key, never what it held."""
    record, missing = await lookup(ctx, req, param, group)
    if missing:
        return missing
    id_ = record[param]
    job_ids = [id_] if group == jobs.JOBS else list(record.get("job_ids") or []) if group == jobs.WORKFLOWS else []
    failed = await delete_jobs(ctx, job_ids)
    if failed:
        return failed
    if group != jobs.JOBS:
        await ctx.state.delete(group, id_)
    await audit.record(ctx, f"{param.removesuffix('_id')}.deleted", client=client_of(req),
                       **{param: id_}, **({"job_ids": job_ids} if group == jobs.WORKFLOWS else {}))
    return reply(204, None)


def parse(data: Any) -> tuple[Any, list[dict]]:
    """(the Submission, []) or (None, [{"field", "message"}]) with fields relative to the submission.
    Used by the engine's POST /accept, and here when the engine does not answer (loads pydantic)."""
    from scoring.models import InvalidSubmission, Submission, refuse_local_paths
    try:
        refuse_local_paths(data)
        return Submission.parse(data), []
    except InvalidSubmission as exc:
        return None, [{"field": e.field, "message": e.message} for e in exc.errors]


def validate(data: Any) -> list[dict]:
    """[] when `data` is a valid submission, else its field errors (see parse)."""
    return parse(data)[1]


def prefixed(errors: list[dict], prefix: str) -> list[dict]:
    """Field paths under `prefix` ("submissions.3."); an error on the whole body names the prefix itself."""
    if not prefix:
        return errors
    return [{**e, "field": prefix.rstrip(".") if e["field"] == "body" else f"{prefix}{e['field']}"} for e in errors]


async def check(items: list) -> dict:
    """{"results": [{"errors": [...]} | {"ai_plan": partial | None}] per item, "job_ttl_s", "engine"}:
    from the warm engine's POST /accept, or computed here when the engine does not answer at once."""
    url = engine_client.env_url()
    try:
        out = await engine_client.call("POST", "/accept", json={"submissions": items}, wait_s=0, timeout=10,
                                       engine={"url": url})
        return {**out, "engine": {**out["engine"], "url": url}}  # the address this app reaches it at
    except (engine_client.EngineUnavailable, engine_client.EngineRejected):
        pass  # down, restarting, or an older engine without /accept
    from scoring.settings import get_settings
    settings = get_settings()
    results = [validate(raw) for raw in items]
    return {"results": [{"errors": errors} if errors else {"ai_plan": None} for errors in results],
            "job_ttl_s": settings.job_ttl_s, "max_queue_depth": settings.max_queue_depth,
            "webhook_url": settings.webhook_url, "engine": engine_client.params(settings)}


async def queue_full(ctx, checked: dict, adding: int) -> Optional[dict]:
    """503 with Retry-After when `adding` more jobs would take the unfinished ones past MAX_QUEUE_DEPTH
    (back-pressure: a client told to come back later instead of a wait that grows without bound)."""
    limit = checked.get("max_queue_depth") or 0
    if limit <= 0:
        return None
    depth = len(jobs.as_list(await ctx.state.get_group(jobs.ACTIVE)))
    if depth + adding <= limit:
        return None
    return reply(503, {"errors": [{"field": "queue", "message": f"{depth} submissions are waiting to be scored "
                                   f"(MAX_QUEUE_DEPTH {limit}); retry after a few seconds"}]},
                 {"Retry-After": str(QUEUE_RETRY_AFTER_S)})


def submission_list(body: Any, key: str, max_items: int) -> tuple[Optional[list], Optional[dict]]:
    """The list under body[key], or a 4xx reply naming the field."""
    if not isinstance(body, dict):
        return None, bad("body", "must be a JSON object")
    items = body.get(key)
    if not isinstance(items, list) or not items:
        return None, bad(key, "must be a non-empty list of submissions", 422)
    if len(items) > max_items:
        return None, bad(key, f"at most {max_items} submissions per request (BATCH_MAX_ITEMS); got {len(items)}", 413)
    return items, None


async def accept_many(ctx, items: list, *, key: str, mode: str, batch_id: Optional[str] = None,
                      workflow_id: Optional[str] = None, all_or_nothing: bool = False, client: Optional[str] = None) -> tuple[list[dict], list[dict], dict]:
    """Validate each submission; store and enqueue the good ones (none when `all_or_nothing` and any is bad).
    Returns (accepted, rejected by index, the job settings used)."""
    checked = await check(items)
    rejected = [{"index": i, "errors": prefixed(r["errors"], f"{key}.{i}.")}
                for i, r in enumerate(checked["results"]) if r.get("errors")]
    accepted: list[dict] = []
    if rejected and all_or_nothing:
        return accepted, rejected, checked
    full = await queue_full(ctx, checked, len(items) - len(rejected))
    if full:
        raise QueueFull(full)
    for i, (raw, r) in enumerate(zip(items, checked["results"])):
        if r.get("errors"):
            continue
        job = await enqueue(ctx, raw, checked, r.get("ai_plan"), mode=mode, batch_id=batch_id,
                            workflow_id=workflow_id, index=i, client=client)
        accepted.append({"index": i, "job_id": job["job_id"], "status": "queued", "item_type": job["item_type"]})
    return accepted, rejected, checked


async def enqueue(ctx, submission: dict, checked: dict, ai_plan: Optional[dict], *, mode: str, **where: Any) -> dict:
    job = await jobs.create_job(ctx, submission, ttl_s=checked["job_ttl_s"], engine=checked["engine"],
                                ai_plan=ai_plan, webhook_url=submission.get("webhook_url") or checked.get("webhook_url"),
                                **where)
    await audit.record(ctx, "submission.accepted", **audit.of_job(job), item_type=job["item_type"], mode=mode,
                       batch_id=job.get("batch_id"))
    await ctx.emit(jobs.received_event(job))
    await jobs.observe(ctx, f"{job['job_id']}:accepted", kind="accepted", item_type=job["item_type"], mode=mode)
    return job


async def accept_one(ctx, body: Any, *, mode: str, client: Optional[str] = None) -> dict:
    """POST /score_async (and /score in async mode): 202 {job_id, status, links} or 4xx naming fields."""
    if not isinstance(body, dict):
        return bad("body", "must be a JSON object", 422)
    checked = await check([body])
    errors = checked["results"][0].get("errors")
    if errors:
        await jobs.observe(ctx, jobs.new_id("rej"), kind="rejected", endpoint=mode, status=422)
        return field_errors(422, errors)
    full = await queue_full(ctx, checked, 1)
    if full:
        await jobs.observe(ctx, jobs.new_id("rej"), kind="rejected", endpoint=mode, status=503)
        return full
    job = await enqueue(ctx, body, checked, checked["results"][0].get("ai_plan"), mode=mode, client=client)
    return reply(202, {"job_id": job["job_id"], "status": "queued", "item_type": job["item_type"],
                       "job_url": f"/job/{job['job_id']}",
                       "stream": {"name": jobs.STREAM, "group_id": job["job_id"], "id": job["job_id"]}},
                 {"Location": f"/job/{job['job_id']}"})


class QueueFull(Exception):
    """Raised by accept_many when the batch would exceed MAX_QUEUE_DEPTH; carries the 503 reply."""

    def __init__(self, reply_: dict):
        super().__init__("queue full")
        self.reply = reply_


# ---------------------------------------------------------------- Idempotency-Key

IDEMPOTENCY = "pte:idempotency"
IDEMPOTENCY_KEY_MAX = 200


def _digest(value: Any) -> str:
    import hashlib
    import json
    return hashlib.sha256(json.dumps(value, sort_keys=True, separators=(",", ":")).encode()).hexdigest()


STATE_CONNECTION_ERRORS = ("Socket closed", "SocketClosedUnexpectedly", "ClientClosed", "ClientOffline",
                           "ECONNRESET", "ECONNREFUSED", "Connection is closed")


async def state_or_503(work: Callable[[], Awaitable[dict]]) -> dict:
    """`work()`'s reply, or a 503 with Retry-After when a state call was cut by a Redis connection reset
    (commands in flight fail; the app reconnects and the client's retry succeeds)."""
    try:
        return await work()
    except Exception as exc:
        if not any(s in str(exc) for s in STATE_CONNECTION_ERRORS):
            raise
        return reply(503, {"errors": [{"field": "state", "message": "the state store connection was reset; retry"}]},
                     {"Retry-After": "1"})


async def idempotent(ctx, req: dict, scope: str, accept: Callable[[], Awaitable[dict]]) -> dict:
    """Run `accept` once per `Idempotency-Key` header (per endpoint `scope`): a repeat with the same body
    gets the first reply again (header `Idempotent-Replayed: true`) and creates nothing; the same key with
    another body is a 422. Only accepted requests (2xx) are remembered, for IDEMPOTENCY_TTL_S.
    Without the header, `accept` runs as usual."""
    return await state_or_503(lambda: _idempotent(ctx, req, scope, accept))


async def _idempotent(ctx, req: dict, scope: str, accept: Callable[[], Awaitable[dict]]) -> dict:
    key = (req.get("headers") or {}).get("idempotency-key")
    if key is None:
        return await accept()
    if not isinstance(key, str) or not (0 < len(key) <= IDEMPOTENCY_KEY_MAX) or not key.isprintable():
        return bad("Idempotency-Key", f"must be 1-{IDEMPOTENCY_KEY_MAX} printable characters (a UUID is fine)")
    record_key = f"{scope}:{_digest(key)}"
    fingerprint = _digest(req.get("body"))
    first = await jobs.get(ctx, IDEMPOTENCY, record_key)
    if first:
        if first.get("fingerprint") != fingerprint:
            return bad("Idempotency-Key", "already used for a request with another body", 422)
        answer = first["reply"]
        return {**answer, "headers": {**(answer.get("headers") or {}), "Idempotent-Replayed": "true"}}
    answer = await accept()
    if 200 <= answer.get("status", 500) < 300:
        t = jobs.now()
        await ctx.state.set(IDEMPOTENCY, record_key, {"fingerprint": fingerprint, "reply": answer, "created_at": t})
        await jobs.schedule_expiry(ctx, t + IDEMPOTENCY_TTL_S, group=IDEMPOTENCY, key=record_key)
    return answer
