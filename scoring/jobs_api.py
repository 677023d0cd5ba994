"""Request handling shared by the API steps that accept submissions (score, score_async, batch, workflow).

Validation uses the engine's own boundary model (`scoring.models.Submission`), so a bad submission is
rejected at once, naming each field by its dotted path; the models themselves are never loaded here."""
from __future__ import annotations

from typing import Any, Optional

from scoring import engine_client, jobs
from scoring.models import InvalidSubmission, Submission, refuse_local_paths


def reply(status: int, body: Any, headers: Optional[dict] = None) -> dict:
    out = {"status": status, "body": body}
    if headers:
        out["headers"] = headers
    return out


def field_errors(status: int, errors: list[dict]) -> dict:
    return reply(status, {"errors": errors})


def bad(field: str, message: str, status: int = 400) -> dict:
    return field_errors(status, [{"field": field, "message": message}])


def not_found(what: str, id_: str) -> dict:
    return reply(404, {"errors": [{"field": what, "message": f"no {what} {id_!r} (unknown or expired)"}]})


def validate(data: Any, prefix: str = "") -> tuple[Optional[dict], list[dict]]:
    """(the submission, []) or (None, [{"field", "message"}]) with fields under `prefix`."""
    try:
        refuse_local_paths(data)
        Submission.parse(data)
    except InvalidSubmission as exc:
        return None, [{"field": f"{prefix}{e.field}" if e.field != "body" or not prefix else prefix.rstrip("."),
                       "message": e.message} for e in exc.errors]
    return data, []  # stored as sent (the engine parses it again); validated, so it is a dict


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


async def accept_many(ctx, items: list, *, key: str, settings, mode: str, batch_id: Optional[str] = None,
                      workflow_id: Optional[str] = None) -> tuple[list[dict], list[dict]]:
    """Validate each submission; store and enqueue the good ones. Returns (accepted, rejected by index)."""
    accepted, rejected = [], []
    for i, raw in enumerate(items):
        sub, errors = validate(raw, prefix=f"{key}.{i}.")
        if errors:
            rejected.append({"index": i, "errors": errors})
            continue
        job = await jobs.create_job(ctx, sub, ttl_s=settings.job_ttl_s, batch_id=batch_id, workflow_id=workflow_id,
                                    index=i, engine=engine_client.params(settings))
        await ctx.emit(jobs.received_event(job))
        await jobs.observe(ctx, f"{job['job_id']}:accepted", kind="accepted", item_type=job["item_type"], mode=mode)
        accepted.append({"index": i, "job_id": job["job_id"], "status": "queued", "item_type": job["item_type"]})
    return accepted, rejected


async def accept_one(ctx, body: Any, *, settings, mode: str) -> dict:
    """POST /score_async (and /score in async mode): 202 {job_id, status, links} or 4xx naming fields."""
    sub, errors = validate(body)
    if errors:
        await jobs.observe(ctx, jobs.new_id("rej"), kind="rejected", endpoint=mode, status=422)
        return field_errors(422, errors)
    job = await jobs.create_job(ctx, sub, ttl_s=settings.job_ttl_s, engine=engine_client.params(settings))
    await ctx.emit(jobs.received_event(job))
    await jobs.observe(ctx, f"{job['job_id']}:accepted", kind="accepted", item_type=job["item_type"], mode=mode)
    return reply(202, {"job_id": job["job_id"], "status": "queued", "item_type": job["item_type"],
                       "job_url": f"/job/{job['job_id']}",
                       "stream": {"name": jobs.STREAM, "group_id": job["job_id"], "id": job["job_id"]}},
                 {"Location": f"/job/{job['job_id']}"})
