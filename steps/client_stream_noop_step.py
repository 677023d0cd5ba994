"""Workbench node (no code runs): the client receives queued/running/completed updates and the final
result on the `scoreJob` stream over WebSocket (see GET /workflow/{id}/stream)."""

config = {
    "type": "noop",
    "name": "ClientStream",
    "description": "Client subscribed to the scoreJob stream (WebSocket)",
    "virtualSubscribes": ["stream:scoreJob"],
    "virtualEmits": [],
    "flows": ["pte-scoring"],
}
