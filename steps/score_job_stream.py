"""Motia stream `scoreJob`: one item per job (group = job id, item id = job id) with its status,
partial scores as they arrive, and the final result; a workflow's jobs are mirrored into the group
named by the workflow id (item id = "wf-<job id>"). Clients join over WebSocket on the HTTP port."""

config = {
    "name": "scoreJob",
    "schema": {
        "type": "object",
        "properties": {
            "job_id": {"type": "string"},
            "status": {"type": "string", "enum": ["queued", "running", "completed", "failed"]},
            "item_type": {"type": "string"},
            "workflow_id": {"type": "string"},
            "partials": {"type": "object", "properties": {}},
            "result": {"type": "object", "properties": {}},
            "timings_ms": {"type": "object", "properties": {}},
            "error": {"type": "string"},
            "updated_at": {"type": "number"},
        },
        "required": ["job_id", "status"],
    },
    "baseConfig": {"storageType": "default"},
}
