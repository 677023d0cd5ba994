"""Aggregator: on each score.partial, merge the job's partials (scoring.aggregation); once every
expected source has answered, combine local and AI scores (scoring.ai.hybrid.combine, run in the
engine), store the final result (24 h) and push it on the job's stream. Light imports: the engine
client loads only when needed."""
import time

from scoring import aggregation, jobs

config = {
    "type": "event",
    "name": "Aggregator",
    "description": "Merge partial scores into the final result; stream it",
    "subscribes": ["score.partial"],
    "emits": ["webhook.deliver"],
    "virtualEmits": [{"topic": "stream:scoreJob", "label": "final result on the scoreJob stream"}],
    "input": {"type": "object", "properties": {"job_id": {"type": "string"}, "source": {"type": "string"}},
              "required": ["job_id", "source"]},
    "flows": ["pte-scoring"],
    "infrastructure": {"handler": {"timeout": 60},
                       "queue": {"type": "standard", "maxRetries": 5, "visibilityTimeout": 90, "concurrency": 2}},
}


async def handler(data, context):
    t0 = time.time()
    job_id = data.get("job_id") or data.get("submission_id") or ""
    if isinstance(data.get("partial"), dict):  # a producer that sends its partial inline: store it
        await context.state.set(jobs.partials_group(job_id), data["source"],
                                {"job_id": job_id, "source": data["source"], "at": t0, **data["partial"]})
    if await aggregation.aggregate(context, job_id) == "finished":
        await jobs.observe(context, f"{job_id}:Aggregator", kind="step", step="Aggregator", status="completed",
                           seconds=time.time() - t0)
