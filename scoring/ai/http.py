"""The engine's AI routes (mounted by `scoring/server.py`):

- `POST /ai/score`  body `{"submission": {...}, "local_result"?: {...}, "transcript"?: str,
  "submission_id"?: str}` -> 200 with the AI partial (status ok / failed / not_configured / disabled /
  off / skipped, always with a reason when not ok); 422 `{"errors": [{"field", "message"}]}`.
- `GET /ai/stats` -> per provider: calls, successes, failures by kind, tokens, cost (USD),
  breaker state; cache hits/misses; outcome counts.
- `GET /ai/metrics` -> the same as Prometheus text (`pte_ai_*`), for the app's /metrics to append.
- `POST /ai/hybrid_score`  body: a submission (as for /score) -> the final hybrid result in one call:
  the local score (the server's engine, in its worker threads) and the AI partial run concurrently,
  then `hybrid.combine`. For a synchronous API; the event pipeline does the same in steps.

The service (client, breakers, cache, counters) is created once per engine process, on first use."""
from __future__ import annotations

import asyncio
from typing import Optional

import anyio

from pydantic import ValidationError
from starlette.requests import Request
from starlette.responses import JSONResponse, PlainTextResponse
from starlette.routing import Route

from scoring.ai.hybrid import combine
from scoring.ai.metrics import prometheus
from scoring.ai.service import AiScoreRequest, AiService
from scoring.models import InvalidSubmission, Submission, refuse_local_paths

_service: Optional[AiService] = None


def get_service() -> AiService:
    global _service
    if _service is None:
        _service = AiService()
    return _service


def warm() -> None:
    """Called by the server after the engine loads: the configured providers' SDKs import now."""
    get_service().client.warm()


def set_service(service: Optional[AiService]) -> None:
    """Replace the process-wide service (tests, or a server built with explicit settings)."""
    global _service
    _service = service


def _errors(exc: InvalidSubmission) -> JSONResponse:
    return JSONResponse({"errors": [e.model_dump() for e in exc.errors]}, status_code=422)


async def ai_score(request: Request) -> JSONResponse:
    try:
        body = await request.json()
    except ValueError:
        return _errors(InvalidSubmission.one("body", "must be JSON"))
    if not isinstance(body, dict):
        return _errors(InvalidSubmission.one("body", "must be a JSON object"))
    try:
        req = AiScoreRequest.model_validate(body)
    except ValidationError as exc:
        return _errors(InvalidSubmission.from_pydantic(exc))
    try:
        out = await get_service().score(req)
    except InvalidSubmission as exc:
        return _errors(InvalidSubmission([e.model_copy(update={"field": f"submission.{e.field}"}) for e in exc.errors]))
    return JSONResponse(out)


async def ai_hybrid_score(request: Request) -> JSONResponse:
    host = getattr(request.app.state, "engine_host", None)  # set by scoring/server.py's lifespan
    if host is None:
        return JSONResponse({"error": "no engine in this server"}, status_code=503)
    try:
        body = await request.json()
    except ValueError:
        return _errors(InvalidSubmission.one("body", "must be JSON"))
    try:
        refuse_local_paths(body)
        sub = Submission.parse(body)
    except InvalidSubmission as exc:
        return _errors(exc)
    if not host.ready.is_set():
        await host.ready.wait()
    if host.load_error:
        return JSONResponse({"error": f"engine failed to load: {host.load_error}"}, status_code=503)
    service = get_service()
    local_task = anyio.to_thread.run_sync(host.engine.score, sub, limiter=host.limiter)
    ai_task = service.score(AiScoreRequest(submission=body))
    try:
        local, ai = await asyncio.gather(local_task, ai_task)
    except InvalidSubmission as exc:
        return _errors(exc)
    return JSONResponse(combine(local.model_dump(mode="json"), ai, service.settings))


async def ai_stats(request: Request) -> JSONResponse:
    return JSONResponse(get_service().stats())


async def ai_metrics(request: Request) -> PlainTextResponse:
    return PlainTextResponse(prometheus(get_service().stats()), media_type="text/plain; version=0.0.4; charset=utf-8")


routes = [
    Route("/ai/score", ai_score, methods=["POST"]),
    Route("/ai/stats", ai_stats, methods=["GET"]),
    Route("/ai/metrics", ai_metrics, methods=["GET"]),
    Route("/ai/hybrid_score", ai_hybrid_score, methods=["POST"]),
]
