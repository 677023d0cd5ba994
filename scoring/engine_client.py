"""Tiny HTTP client for the warm engine (`scoring/server.py`), used by Motia steps.

Light on purpose: httpx + Settings only (every step call is a new Python process). Connection
failures are retried for a short while (the engine may be restarting); past that the caller gets
`EngineUnavailable`, the step raises, and Motia's queue retries the event."""
from __future__ import annotations

import asyncio
import time
from typing import Any, Optional

import httpx

from scoring.settings import get_settings


class EngineUnavailable(RuntimeError):
    """The engine could not be reached or failed (5xx): retry later."""


class EngineRejected(ValueError):
    """The engine rejected the request (4xx): retrying will not help."""

    def __init__(self, status: int, body: Any):
        self.status = status
        self.body = body
        super().__init__(f"engine answered {status}: {body}")

    @property
    def errors(self) -> list[dict]:
        if isinstance(self.body, dict) and isinstance(self.body.get("errors"), list):
            return self.body["errors"]
        return [{"field": "body", "message": str(self.body)}]


def base_url() -> str:
    return get_settings().engine_base_url


async def call(method: str, path: str, *, json: Any = None, timeout: Optional[float] = None,
               wait_s: Optional[float] = None) -> dict:
    """One request to the engine. Connection errors and 503 are retried for up to `wait_s` (default ENGINE_WAIT_S) seconds."""
    settings = get_settings()
    timeout = timeout or settings.engine_timeout_s
    deadline = time.monotonic() + (settings.engine_wait_s if wait_s is None else wait_s)
    delay = 0.2
    async with httpx.AsyncClient(base_url=settings.engine_base_url, timeout=timeout) as client:
        while True:
            try:
                r = await client.request(method, path, json=json)
            except (httpx.ConnectError, httpx.RemoteProtocolError, httpx.ReadError) as e:
                failure: str = f"engine unreachable at {settings.engine_base_url}: {type(e).__name__}"
            except httpx.TimeoutException:
                raise EngineUnavailable(f"engine timed out after {timeout}s on {path}") from None
            else:
                if r.status_code < 400:
                    return r.json()
                body = _body(r)
                if r.status_code == 503:
                    failure = f"engine not ready: {body}"
                elif r.status_code >= 500:
                    raise EngineUnavailable(f"engine error {r.status_code} on {path}: {body}")
                else:
                    raise EngineRejected(r.status_code, body)
            if time.monotonic() + delay > deadline:
                raise EngineUnavailable(failure)
            await asyncio.sleep(delay)
            delay = min(delay * 2, 2.0)


def _body(r: httpx.Response) -> Any:
    try:
        return r.json()
    except ValueError:
        return r.text[:500]


async def score(submission: dict, **kw) -> dict:
    return await call("POST", "/score", json=submission, **kw)


async def health(timeout: float = 2.0) -> dict:
    return await call("GET", "/health", timeout=timeout, wait_s=0)


async def combine(local_result: dict, ai_partial: Optional[dict]) -> dict:
    return await call("POST", "/combine", json={"local_result": local_result, "ai_partial": ai_partial})


async def assess(items: list[dict]) -> dict:
    return await call("POST", "/assess", json={"items": items})
