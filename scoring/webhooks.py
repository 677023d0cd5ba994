"""Signed webhooks: the body POSTed when a submission completes or fails, or a workflow completes, its signature,
and one delivery try. Each try is one HTTP request to an address checked against SSRF (scoring.netguard: the
host resolved once, the connection pinned to the checked address, every redirect re-checked); the caller
(steps/webhook_step.py) retries through the event queue with backoff and records every try in the audit log.

Receivers verify `X-PTE-Signature: sha256=<hex HMAC-SHA256 of the raw body, keyed with WEBHOOK_SECRET>`
(`verify` below is the reference) and should ignore a `delivery_id` they have seen (a try whose answer was lost
is sent again)."""
from __future__ import annotations

import hashlib
import hmac
import json
from dataclasses import dataclass
from typing import Optional
from urllib.parse import urljoin, urlsplit

from scoring import jobs
from scoring.netguard import FetchRefused, check_url, pinned

MAX_REDIRECTS = 3
SIGNATURE_HEADER = "X-PTE-Signature"


def sign(raw: bytes, secret: str) -> str:
    return "sha256=" + hmac.new(secret.encode(), raw, hashlib.sha256).hexdigest()


def verify(raw: bytes, signature: str, secret: str) -> bool:
    return hmac.compare_digest(sign(raw, secret), signature or "")


def submission_body(job: dict, delivery_id: str) -> dict:
    body = {"event": f"submission.{job['status']}", "delivery_id": delivery_id, "job_id": job["job_id"],
            "item_type": job.get("item_type"), "status": job["status"], "workflow_id": job.get("workflow_id"),
            "batch_id": job.get("batch_id"), "created_at": job.get("created_at"), "finished_at": job.get("updated_at")}
    if job["status"] == "completed":
        body["result"] = job.get("result")
    else:
        body["error"] = job.get("error")
    return {k: v for k, v in body.items() if v is not None}


async def workflow_body(ctx, wf: dict, delivery_id: str) -> dict:
    views = []
    for job_id in wf.get("job_ids") or []:
        job = await jobs.get(ctx, jobs.JOBS, job_id)
        if not job:
            views.append({"job_id": job_id, "status": "expired"})
            continue
        view = {"job_id": job_id, "item_type": job.get("item_type"), "status": job.get("status")}
        if job.get("status") == "completed":
            view.update(score=job["result"].get("score"), max_score=job["result"].get("max_score"))
        elif job.get("error"):
            view["error"] = job["error"]
        views.append(view)
    counts = {s: sum(1 for v in views if v["status"] == s) for s in sorted({v["status"] for v in views})}
    return {"event": "workflow.completed", "delivery_id": delivery_id, "workflow_id": wf["workflow_id"],
            "name": wf.get("name"), "counts": counts, "jobs": views}


def encode(body: dict) -> bytes:
    return json.dumps(body, separators=(",", ":"), sort_keys=True).encode()


@dataclass
class Outcome:
    ok: bool
    status: Optional[int] = None
    error: Optional[str] = None
    refused: bool = False  # the URL (or a redirect) points somewhere it may not: no retry
    url: Optional[str] = None  # where the last request went (after redirects)


def post(url: str, raw: bytes, secret: str, *, allow_private: bool, timeout_s: float) -> Outcome:
    """One delivery try: 2xx is delivered; a redirect is followed (the same POST, re-checked) up to 3 times."""
    import httpx
    headers = {"Content-Type": "application/json", SIGNATURE_HEADER: sign(raw, secret), "User-Agent": "pte-scoring"}
    try:
        with httpx.Client(timeout=timeout_s, follow_redirects=False) as client:
            for _ in range(MAX_REDIRECTS + 1):
                parts, address = check_url(url, allow_private, "WEBHOOK_ALLOW_PRIVATE")
                target, host, extensions = pinned(parts, address)
                r = client.post(target, content=raw, headers={**headers, **host}, extensions=extensions)
                if r.status_code in (301, 302, 303, 307, 308) and "location" in r.headers:
                    url = urljoin(url, r.headers["location"])
                    continue
                return Outcome(200 <= r.status_code < 300, r.status_code, None if r.is_success else
                               f"HTTP {r.status_code}", url=url)
            return Outcome(False, error=f"more than {MAX_REDIRECTS} redirects", refused=True, url=url)
    except FetchRefused as e:
        return Outcome(False, error=str(e), refused=True, url=url)
    except httpx.HTTPError as e:
        return Outcome(False, error=f"{type(e).__name__}: {e}", url=url)


def redacted(url: Optional[str]) -> Optional[str]:
    """The URL without credentials, query or fragment (they may carry tokens): what the audit log keeps."""
    if not url:
        return url
    parts = urlsplit(url)
    host = parts.hostname or ""
    host = f"[{host}]" if ":" in host else host
    return f"{parts.scheme}://{host}{':' + str(parts.port) if parts.port else ''}{parts.path}"


def backoff_s(attempt: int) -> float:
    """Wait before try `attempt` (1-based): none, then 1, 2, 4, 8, 16 s (at most 20)."""
    return 0.0 if attempt <= 1 else float(min(2 ** (attempt - 2), 20))
