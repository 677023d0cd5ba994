"""NlpScorer: scores text, timed-word and objective submissions with the warm engine; skips audio ones."""
from scoring import jobs

config = {
    "type": "event",
    "name": "NlpScorer",
    "description": "Engine /score for text, timed-word and objective submissions (skips audio)",
    "subscribes": ["submission.received"],
    "emits": ["score.partial", "webhook.deliver"],
    "input": {"type": "object", "properties": {"job_id": {"type": "string"}, "kind": {"type": "string"},
                                               "item_type": {"type": "string"}, "attempt": {"type": "integer"}},
              "required": ["job_id"]},
    "flows": ["pte-scoring"],
    # 2 cores: two engine calls at a time; engine restarts are covered by retries (2 s apart) and the sweeper
    "infrastructure": {"handler": {"timeout": 90},
                       "queue": {"type": "standard", "maxRetries": 5, "visibilityTimeout": 120, "concurrency": 2}},
}


SKIP_REASON = "audio submission: scored by the Transcriber step (source 'speech')"


async def handler(data, context):
    if data.get("kind") == "audio":  # cheap skip: no httpx/settings import
        await jobs.put_partial(context, data["job_id"], "nlp", "skipped", reason=SKIP_REASON, attempt=data.get("attempt", 1))
        return
    from scoring.jobs_steps import score_partial

    await score_partial(data, context, source="nlp", step="NlpScorer", handles="text", skip_reason=SKIP_REASON)
