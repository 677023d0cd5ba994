"""Follow a scoring job (or a workflow) live over Motia's stream WebSocket, from Python.

    async for item in follow("ws://localhost:3000", job_id):
        print(item["status"])          # queued -> running (partials) -> completed (result)

Command line: `python -m streams.client ws://localhost:3000 JOB_ID [--group WORKFLOW_ID]`.
Protocol: send {"type":"join","data":{streamName, groupId, id?, subscriptionId: <uuid>}}; the server
answers a `sync` event with the current item(s), then `create`/`update`/`delete` events."""
from __future__ import annotations

import argparse
import asyncio
import json
import time
import uuid
from typing import Any, AsyncIterator, Optional

import websockets

from streams.schemas import STREAM_NAME, TERMINAL


def join_message(group_id: str, item_id: Optional[str] = None) -> dict[str, Any]:
    data = {"streamName": STREAM_NAME, "groupId": group_id, "subscriptionId": str(uuid.uuid4())}
    if item_id:
        data["id"] = item_id
    return {"type": "join", "data": data}


def items_of(message: dict[str, Any]) -> list[dict[str, Any]]:
    """The stream items a server message carries (a `sync` of a group carries a list)."""
    data = (message.get("event") or {}).get("data")
    return [d for d in (data if isinstance(data, list) else [data]) if isinstance(d, dict)]


async def watch(ws_url: str, group_id: str, item_id: Optional[str] = None,
                timeout: float = 120.0) -> AsyncIterator[dict[str, Any]]:
    """Yield every item update of a stream group (or one item) until `timeout` seconds pass."""
    deadline = time.monotonic() + timeout
    async with websockets.connect(ws_url) as ws:
        await ws.send(json.dumps(join_message(group_id, item_id)))
        while (left := deadline - time.monotonic()) > 0:
            try:
                raw = await asyncio.wait_for(ws.recv(), left)
            except asyncio.TimeoutError:
                break
            for item in items_of(json.loads(raw)):
                yield item
    raise TimeoutError(f"stream {STREAM_NAME}/{group_id}: no more updates within {timeout}s")


async def follow(ws_url: str, job_id: str, timeout: float = 120.0) -> AsyncIterator[dict[str, Any]]:
    """Yield a job's updates and stop after the one that completes or fails it."""
    async for item in watch(ws_url, job_id, job_id, timeout):
        yield item
        if item.get("status") in TERMINAL:
            return


async def _main(args: argparse.Namespace) -> int:
    stream = watch(args.url, args.group, None, args.timeout) if args.group else follow(args.url, args.job_id, args.timeout)
    async for item in stream:
        print(json.dumps(item), flush=True)
    return 0


def main() -> int:
    p = argparse.ArgumentParser(description="Follow a scoring job on the scoreJob stream")
    p.add_argument("url", help="WebSocket URL of the app, e.g. ws://localhost:3000")
    p.add_argument("job_id", nargs="?", help="job id (from POST /score_async)")
    p.add_argument("--group", help="follow a whole group instead (a workflow id)")
    p.add_argument("--timeout", type=float, default=120.0)
    args = p.parse_args()
    if not (args.job_id or args.group):
        p.error("give a job id or --group")
    return asyncio.run(_main(args))


if __name__ == "__main__":
    raise SystemExit(main())
