"""Transcriber: audio submissions go to the engine's /score with their audio reference (the engine
transcribes and scores the spoken item); emits transcript.ready for the AI step. Skips text ones."""
import time

from scoring import jobs

config = {
    "type": "event",
    "name": "Transcriber",
    "description": "Engine /score for audio submissions (transcribe + speech scoring); emits the transcript",
    "subscribes": ["submission.received"],
    "emits": ["score.partial", "transcript.ready", "webhook.deliver"],
    "input": {"type": "object", "properties": {"job_id": {"type": "string"}, "kind": {"type": "string"},
                                               "item_type": {"type": "string"}, "attempt": {"type": "integer"}},
              "required": ["job_id"]},
    "flows": ["pte-scoring"],
    "infrastructure": {"handler": {"timeout": 300},
                       "queue": {"type": "standard", "maxRetries": 5, "visibilityTimeout": 330, "concurrency": 1}},
}


def find_transcript(result: dict):
    """The recognised text: result["transcript"], else the first trait evidence carrying one."""
    if isinstance(result.get("transcript"), str):
        return result["transcript"]
    for trait in (result.get("traits") or {}).values():
        ev = (trait or {}).get("evidence") or {}
        if isinstance(ev.get("transcript"), str):
            return ev["transcript"]
    return None


SKIP_REASON = "text submission: nothing to transcribe (scored by NlpScorer)"


async def handler(data, context):
    if data.get("kind") == "text":  # the common case stays cheap: no httpx/settings import for a skip
        await jobs.put_partial(context, data["job_id"], "speech", "skipped", reason=SKIP_REASON, attempt=data.get("attempt", 1))
        return
    from scoring.jobs_steps import score_partial

    partial = await score_partial(data, context, source="speech", step="Transcriber", handles="audio",
                                  skip_reason=SKIP_REASON)
    if not partial:
        return
    # emitted even when scoring failed (has_transcript false), so the AI step can close its partial
    transcript = find_transcript(partial["result"]) if partial.get("status") == "completed" else None
    job_id = data["job_id"]
    await context.state.set(jobs.TRANSCRIPTS, job_id, {"job_id": job_id, "transcript": transcript})
    event = {"job_id": job_id, "item_type": data.get("item_type"), "has_transcript": transcript is not None,
             "emitted_at": time.time()}
    if transcript is not None and len(transcript) < 16000:  # small enough to travel inline
        event["transcript"] = transcript
    await context.emit({"topic": "transcript.ready", "data": event})
