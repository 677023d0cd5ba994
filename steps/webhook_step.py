"""WebhookDelivery: on webhook.deliver (emitted when a job with a webhook finishes, and when a workflow with one
has its last job finished) POSTs the signed outcome (scoring/webhooks.py). A failed try raises, so the event
queue retries it; the tries so far live in state (jobs.WEBHOOKS), the wait before each grows
(1, 2, 4, 8, 16 s) and the tries stop at WEBHOOK_MAX_ATTEMPTS. Every try is in the audit log. A URL that points
to a private, loopback or link-local address (also after a redirect) is refused, not retried."""
import asyncio

from scoring import audit, jobs, webhooks
from scoring.settings import get_settings

config = {
    "type": "event",
    "name": "WebhookDelivery",
    "description": "POST the signed result to the submission's or workflow's webhook, retried with backoff",
    "subscribes": ["webhook.deliver"],
    "emits": [],
    "input": {"type": "object", "properties": {"kind": {"type": "string"}, "id": {"type": "string"}},
              "required": ["kind", "id"]},
    "flows": ["pte-scoring"],
    # tries are counted in state; the queue's retries (at most 8) carry them, WEBHOOK_MAX_ATTEMPTS stops sooner
    "infrastructure": {"handler": {"timeout": 60},
                       "queue": {"type": "standard", "maxRetries": 8, "visibilityTimeout": 90, "concurrency": 2}},
}

async def handler(data, context):
    s = get_settings()
    kind, id_ = data.get("kind"), data.get("id", "")
    delivery_id = f"{kind}:{id_}"
    record = await jobs.get(context, jobs.WEBHOOKS, delivery_id) or {"delivery_id": delivery_id, "attempts": 0}
    if record.get("done") or record.get("claim") != data.get("claim"):
        return  # delivered or given up, or another event's claim won (jobs.notify)
    group = jobs.JOBS if kind == "submission" else jobs.WORKFLOWS
    subject = await jobs.get(context, group, id_)
    if not subject or not subject.get("webhook_url"):
        return  # deleted or expired meanwhile: nothing to tell
    where = {"job_id": id_} if kind == "submission" else {"workflow_id": id_}
    where["client"] = subject.get("client")
    if not s.webhook_secret:
        await audit.record(context, "webhook.failed", **where, error="WEBHOOK_SECRET is not set: not sent unsigned")
        context.logger.error("webhook not sent: WEBHOOK_SECRET is not set", where)
        return
    attempt = record["attempts"] + 1
    await asyncio.sleep(webhooks.backoff_s(attempt))
    body = (webhooks.submission_body(subject, delivery_id) if kind == "submission"
            else await webhooks.workflow_body(context, subject, delivery_id))
    raw = webhooks.encode(body)
    out = await asyncio.to_thread(webhooks.post, subject["webhook_url"], raw, s.webhook_secret,
                                  allow_private=s.webhook_allow_private, timeout_s=s.webhook_timeout_s)
    done = out.ok or out.refused or attempt >= s.webhook_max_attempts
    await context.state.set(jobs.WEBHOOKS, delivery_id, {**record, "attempts": attempt, "done": done, "at": jobs.now()})
    await jobs.schedule_expiry(context, jobs.now() + s.job_ttl_s, group=jobs.WEBHOOKS, key=delivery_id)
    event = ("webhook.delivered" if out.ok else "webhook.refused" if out.refused
             else "webhook.gave_up" if done else "webhook.attempt_failed")
    await audit.record(context, event, **where, event_sent=body["event"], attempt=attempt, status=out.status,
                       error=out.error, url=webhooks.redacted(out.url))
    context.logger.info(event, {**where, "attempt": attempt, "status": out.status, "error": out.error})
    if not done:
        raise RuntimeError(f"webhook try {attempt} failed ({out.error}); the queue retries it")
