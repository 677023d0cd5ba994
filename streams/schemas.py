"""Schema of the `scoreJob` stream item: one per job (group = item id = job id); a workflow's jobs are
mirrored into the group named by the workflow id (item id = "wf-<job id>").

The step file `steps/score_job_stream.py` registers the stream with this schema (Motia only discovers
stream files under `steps/`); clients can validate what they receive with `ScoreJobItem`."""
from __future__ import annotations

from typing import Any, Literal, Optional

from pydantic import BaseModel, ConfigDict

STREAM_NAME = "scoreJob"
JobStatus = Literal["queued", "running", "completed", "failed"]
TERMINAL: tuple[str, ...] = ("completed", "failed")


class ScoreJobItem(BaseModel):
    model_config = ConfigDict(extra="allow")

    job_id: str
    status: JobStatus
    item_type: Optional[str] = None
    workflow_id: Optional[str] = None
    partials: dict[str, Any] = {}  # source (nlp | speech | ai) -> partial as it arrives
    result: Optional[dict[str, Any]] = None  # the final ScoreResult once completed
    timings_ms: dict[str, Any] = {}
    error: Optional[str] = None
    updated_at: Optional[float] = None


def json_schema() -> dict[str, Any]:
    """The schema in the form Motia's stream config takes (every object schema lists `properties`)."""
    return {
        "type": "object",
        "properties": {
            "job_id": {"type": "string"},
            "status": {"type": "string", "enum": list(JobStatus.__args__)},
            "item_type": {"type": "string"},
            "workflow_id": {"type": "string"},
            "partials": {"type": "object", "properties": {}},
            "result": {"type": "object", "properties": {}},
            "timings_ms": {"type": "object", "properties": {}},
            "error": {"type": "string"},
            "updated_at": {"type": "number"},
        },
        "required": ["job_id", "status"],
    }
