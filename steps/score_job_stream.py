"""Motia stream `scoreJob`: one item per job (group = job id, item id = job id) with its status,
partial scores as they arrive, and the final result; a workflow's jobs are mirrored into the group
named by the workflow id (item id = "wf-<job id>"). Clients join over WebSocket on the HTTP port."""

from streams.schemas import STREAM_NAME, json_schema

config = {
    "name": STREAM_NAME,
    "schema": json_schema(),
    "baseConfig": {"storageType": "default"},
}
