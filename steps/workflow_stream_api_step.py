"""GET /workflow/{workflow_id}/stream: how to subscribe to a workflow's live updates.

A Motia step answers once with a JSON body: it cannot hold a response open, so Server-Sent Events are
impossible here. Updates travel on the Motia stream `scoreJob` over WebSocket on the same port."""
import uuid

from scoring import jobs
from scoring.jobs_api import lookup

config = {
    "type": "api",
    "name": "WorkflowStreamInfo",
    "description": "Stream name, group id, WebSocket URL and join message for a workflow",
    "path": "/workflow/:workflow_id/stream",
    "method": "GET",
    "emits": [],
    "flows": ["pte-scoring"],
}


async def handler(req, context):
    wf, missing = await lookup(context, req, "workflow_id", jobs.WORKFLOWS)
    if missing:
        return missing
    wid = wf["workflow_id"]
    headers = req.get("headers") or {}
    host = headers.get("x-forwarded-host") or headers.get("host") or "localhost:3000"
    scheme = "wss" if headers.get("x-forwarded-proto") == "https" else "ws"
    join = {"type": "join", "data": {"streamName": jobs.STREAM, "groupId": wid, "subscriptionId": str(uuid.uuid4())}}
    return {"status": 200, "body": {
        "stream": jobs.STREAM, "group_id": wid, "websocket_url": f"{scheme}://{host}/", "join_message": join,
        "item_ids": [f"wf-{j}" for j in wf["job_ids"]],
        "per_job": {"group_id": "<job_id>", "id": "<job_id>"},
        "events": "the server answers 'sync' (current items), then 'create'/'update' per job change",
        "sse": "not available: a Motia step returns one JSON response and cannot stream (no Server-Sent Events); "
               "use the WebSocket stream, or poll GET /workflow/{id}",
        "clients": ["@motiadev/stream-client-browser", "@motiadev/stream-client-node", "@motiadev/stream-client-react"],
    }}
