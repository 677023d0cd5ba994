"""Tiny HTTP client for the warm engine (`scoring/server.py`), used by Motia steps.

Every step call is a new Python process, so this module imports only the standard library: HTTP/1.1
over `asyncio.open_connection` (loopback, one request per connection), with the engine's address taken
from the job record (`engine=job["engine"]`, written from Settings when the job was accepted) or else
from Settings. Measured per step process: importing httpx ~0.05 CPU-s, pydantic-settings ~0.07 CPU-s,
against ~0.05 CPU-s for the Motia runner itself.
Connection failures are retried for ENGINE_WAIT_S seconds (the engine may be restarting); past that the
caller gets `EngineUnavailable`, the step raises, and Motia's queue retries the event."""
from __future__ import annotations

import asyncio
import json as _json
import os
import time
from typing import Any, Optional
from urllib.parse import urlsplit

DEFAULT_HOST, DEFAULT_PORT = "127.0.0.1", 8765  # Settings.engine_host / engine_port defaults


def env_url() -> str:
    """The engine address from the environment alone (ENGINE_URL, else ENGINE_HOST/ENGINE_PORT), as
    Settings.engine_base_url computes it: for the API steps, which skip loading Settings. Motia loads
    `.env` into the environment its step processes inherit."""
    env = os.environ
    return env.get("ENGINE_URL") or f"http://{env.get('ENGINE_HOST') or DEFAULT_HOST}:{env.get('ENGINE_PORT') or DEFAULT_PORT}"


def params(settings=None) -> dict:
    """The engine connection settings as plain JSON: {"url", "timeout_s", "wait_s"}. Steps that already
    hold Settings (the API steps, the sweeper) put this in the events they emit, so the steps downstream
    call the engine without importing pydantic-settings (~0.07 CPU-s per step process)."""
    if settings is None:
        from scoring.settings import get_settings
        settings = get_settings()
    return {"url": settings.engine_base_url, "timeout_s": settings.engine_timeout_s, "wait_s": settings.engine_wait_s,
            # the engine's AI client gives up after this long (see scoring/ai/client.py)
            "ai_deadline_s": settings.ai_timeout_s * (2 + settings.ai_max_retries)}


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
    return params()["url"]


async def request(method: str, url: str, body: Optional[bytes] = None, timeout: float = 30.0) -> tuple[int, bytes]:
    """One HTTP/1.1 request (Connection: close); returns (status, body). Raises OSError / TimeoutError."""
    u = urlsplit(url)
    if u.scheme != "http":
        raise ValueError(f"engine URL must be http://: {url}")
    host, port = u.hostname or "127.0.0.1", u.port or 80
    path = (u.path or "/") + (f"?{u.query}" if u.query else "")

    async def go() -> tuple[int, bytes]:
        reader, writer = await asyncio.open_connection(host, port)
        try:
            head = [f"{method} {path} HTTP/1.1", f"Host: {host}:{port}", "Connection: close", "Accept: application/json"]
            if body is not None:
                head += ["Content-Type: application/json", f"Content-Length: {len(body)}"]
            writer.write(("\r\n".join(head) + "\r\n\r\n").encode("latin-1") + (body or b""))
            await writer.drain()
            status_line = await reader.readline()
            if not status_line:
                raise ConnectionResetError("engine closed the connection")
            status = int(status_line.split()[1])
            length, chunked = None, False
            while True:
                line = await reader.readline()
                if line in (b"\r\n", b"\n", b""):
                    break
                name, _, value = line.decode("latin-1").partition(":")
                name = name.strip().lower()
                if name == "content-length":
                    length = int(value.strip())
                elif name == "transfer-encoding" and "chunked" in value.lower():
                    chunked = True
            if chunked:
                data = b""
                while True:
                    size = int((await reader.readline()).split(b";")[0].strip() or b"0", 16)
                    if not size:
                        break
                    data += await reader.readexactly(size)
                    await reader.readline()
            elif length is not None:
                data = await reader.readexactly(length)
            else:
                data = await reader.read()
            return status, data
        finally:
            writer.close()

    return await asyncio.wait_for(go(), timeout)


async def call(method: str, path: str, *, json: Any = None, timeout: Optional[float] = None,
               wait_s: Optional[float] = None, raw: bool = False, engine: Optional[dict] = None) -> Any:
    """One request to the engine. Connection errors and 503 are retried for up to `wait_s` (default ENGINE_WAIT_S) seconds."""
    p = engine if isinstance(engine, dict) and engine.get("url") else params()
    base = p["url"]
    timeout = timeout or float(p.get("timeout_s") or 60)
    deadline = time.monotonic() + (float(p.get("wait_s") or 0) if wait_s is None else wait_s)
    payload = None if json is None else _json.dumps(json).encode()
    delay = 0.2
    while True:
        try:
            status, data = await request(method, base + path, payload, timeout)
        except (asyncio.TimeoutError, TimeoutError):
            raise EngineUnavailable(f"engine timed out after {timeout}s on {path}") from None
        except (OSError, asyncio.IncompleteReadError, ValueError) as e:
            failure: str = f"engine unreachable at {base}: {type(e).__name__}: {e}"
        else:
            if status < 400 and raw:
                return data.decode("utf-8", "replace")
            body = _body(data)
            if status < 400:
                return body
            if status == 503:
                failure = f"engine not ready: {body}"
            elif status >= 500:
                raise EngineUnavailable(f"engine error {status} on {path}: {body}")
            else:
                raise EngineRejected(status, body)
        if time.monotonic() + delay > deadline:
            raise EngineUnavailable(failure)
        await asyncio.sleep(delay)
        delay = min(delay * 2, 2.0)


def _body(raw: bytes) -> Any:
    try:
        return _json.loads(raw)
    except ValueError:
        return raw[:500].decode("utf-8", "replace")


async def score(submission: dict, **kw) -> dict:
    return await call("POST", "/score", json=submission, **kw)


async def hybrid_score(submission: dict, **kw) -> dict:
    """Local and AI scoring combined in one engine call (the AI extension's /ai/hybrid_score); plain /score when the
    engine has no AI routes."""
    try:
        return await call("POST", "/ai/hybrid_score", json=submission, **kw)
    except EngineRejected as e:
        if e.status != 404:
            raise
    return await score(submission, **kw)


async def health(timeout: float = 2.0) -> dict:
    return await call("GET", "/health", timeout=timeout, wait_s=0)


async def combine(local_result: dict, ai_partial: Optional[dict], **kw) -> dict:
    return await call("POST", "/combine", json={"local_result": local_result, "ai_partial": ai_partial}, **kw)


async def assess(items: list[dict]) -> dict:
    return await call("POST", "/assess", json={"items": items})
