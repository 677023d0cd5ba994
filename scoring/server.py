"""The warm engine: one long-lived HTTP process holding an `Engine` with every model loaded.

Motia runs each step in a new Python process, so steps never load models: they call this server over
loopback (`scoring/engine_client.py`). Routes:

  GET  /health   status (loading | ok | error), loaded models and load times, version, rule version
  POST /score    submission JSON -> ScoreResult JSON; 422 {"errors": [{"field", "message"}]}; 413 too big
  POST /accept   {"submissions": [...]} -> per submission {"errors": [...]} or {"ai_plan": AI partial | null},
                 plus the job settings (TTL, engine params): validation for the API steps, which stay light
  POST /combine  {"local_result", "ai_partial"} -> final result (scoring.ai.hybrid.combine, else local)
  POST /assess   {"items": [ScoreResult | {item_type, score, max_score}]} -> skill/overall estimate
  + the routes of scoring/speech/http.py (audio upload, transcription) and scoring/ai/http.py (AI scoring)
    when those modules exist.

Scoring runs in worker threads (bounded by `Settings.engine_workers`), so /health
answers while a long item is being scored. Run: `python -m scoring.server` (host/port from Settings).
"""
from __future__ import annotations

import asyncio
import importlib
import json
import logging
import os
import sys
import time
import traceback
from contextlib import asynccontextmanager
from typing import Any, Optional

import anyio
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from scoring import engine_client, jobs_api
from scoring.ai import hybrid
from scoring.catalogue import CATALOGUE
from scoring.engine import Engine
from scoring.jobs import version
from scoring.models import InvalidSubmission, refuse_local_paths
from scoring.precheck import precheck
from scoring.registry import LOADERS, SCORERS
from scoring.settings import Settings, get_settings

log = logging.getLogger("scoring.server")
AUDIO_EXPIRY_EVERY_S = 3600.0
EXTENSIONS = ("scoring.speech.http", "scoring.ai.http")


def errors(exc: InvalidSubmission, status: int = 422) -> JSONResponse:
    return JSONResponse({"errors": [e.model_dump() for e in exc.errors]}, status_code=status)


def extension_routes() -> tuple[list, dict[str, str]]:
    """Routes other areas expose as `routes` in their http modules; a missing module is skipped."""
    routes, status = [], {}
    for name in EXTENSIONS:
        try:
            mod = importlib.import_module(name)
        except ModuleNotFoundError as e:
            if e.name and name.startswith(e.name):
                status[name] = "absent"
                continue
            status[name] = f"error: {type(e).__name__}: {e}"  # the engine still serves /score
            log.error("extension %s failed to import: %s", name, traceback.format_exc())
            continue
        except Exception as e:
            status[name] = f"error: {type(e).__name__}: {e}"
            log.error("extension %s failed to import: %s", name, traceback.format_exc())
            continue
        routes.extend(getattr(mod, "routes", []))
        status[name] = "mounted"
    return routes, status


def warm_extensions() -> None:
    """Call each imported extension's `warm()` (its own lazy imports), so the first request does not pay them."""
    for name in EXTENSIONS:
        warm = getattr(sys.modules.get(name), "warm", None)
        if warm is None:
            continue
        try:
            warm()
        except Exception:  # a cold extension still works, only its first request is slower
            log.warning("extension %s failed to warm: %s", name, traceback.format_exc())


def _ai_planner():
    """The AI extension's accept-time decision (AiService.plan), or none when it is absent."""
    try:
        from scoring.ai.http import get_service
    except ImportError:
        return lambda sub: None
    return lambda sub: get_service().plan(sub)


class EngineHost:
    """The engine plus its loading state and the thread limiter scoring runs under."""

    def __init__(self, settings: Settings, engine: Optional[Engine] = None):
        self.settings = settings
        self.engine = engine or Engine(settings)
        self.started = time.time()
        self.ready = asyncio.Event()
        self.load_error: Optional[str] = None
        self.limiter = anyio.CapacityLimiter(max(1, settings.engine_workers))
        self.scored = 0

    async def load(self) -> None:
        try:
            if self.settings.engine_preload:
                await anyio.to_thread.run_sync(self.engine.load)
                await anyio.to_thread.run_sync(warm_extensions)
        except Exception as e:  # reported by /health; /score answers 503
            self.load_error = f"{type(e).__name__}: {e}"
            log.error("engine preload failed: %s", traceback.format_exc())
        finally:
            self.ready.set()

    @property
    def status(self) -> str:
        if not self.ready.is_set():
            return "loading"
        return "error" if self.load_error else "ok"


async def read_json(request: Request, max_bytes: int) -> Any:
    """The request body as JSON; InvalidSubmission(body) when not JSON, ValueError('too large') past max_bytes."""
    length = request.headers.get("content-length")
    if length and length.isdigit() and int(length) > max_bytes:
        raise OverflowError
    raw = b""
    async for chunk in request.stream():
        raw += chunk
        if len(raw) > max_bytes:
            raise OverflowError
    try:
        return json.loads(raw or b"null")
    except ValueError:
        raise InvalidSubmission.one("body", "must be valid JSON") from None


def create_app(settings: Optional[Settings] = None, engine: Optional[Engine] = None) -> Starlette:
    settings = settings or get_settings()
    ext_routes, ext_status = extension_routes()
    host: dict[str, EngineHost] = {}

    def h() -> EngineHost:
        return host["engine"]

    async def too_large() -> JSONResponse:
        return JSONResponse({"errors": [{"field": "body", "message": f"body larger than {settings.max_body_bytes} bytes"}]},
                            status_code=413)

    async def body(request: Request) -> tuple[Any, Optional[JSONResponse]]:
        """(the JSON body, None) or (None, the 413/422 answer)."""
        try:
            return await read_json(request, settings.max_body_bytes), None
        except OverflowError:
            return None, await too_large()
        except InvalidSubmission as exc:
            return None, errors(exc)

    async def health(request: Request) -> JSONResponse:
        e = h()
        body = {"status": e.status, "version": version(), "rule_version": CATALOGUE.rule_version,
                "pid": os.getpid(), "uptime_s": round(time.time() - e.started, 1),
                "models_loaded": e.engine.resources.loaded(), "models_registered": sorted(LOADERS),
                "load_ms": dict(e.engine.resources.load_ms), "scorers": sorted(SCORERS),
                "scored": e.scored, "extensions": ext_status}
        if e.load_error:
            body["error"] = e.load_error
        return JSONResponse(body, status_code=200 if e.status != "error" else 503)

    async def score(request: Request) -> JSONResponse:
        e = h()
        data, refused = await body(request)
        if refused:
            return refused
        if not e.ready.is_set():
            await e.ready.wait()
        if e.load_error:
            return JSONResponse({"error": f"engine failed to load: {e.load_error}"}, status_code=503)
        try:
            refuse_local_paths(data)
            result = await anyio.to_thread.run_sync(e.engine.score, data, limiter=e.limiter)
        except InvalidSubmission as exc:
            return errors(exc)
        e.scored += 1
        return JSONResponse(result.model_dump(mode="json"))

    ai_plan = _ai_planner()

    async def accept(request: Request) -> JSONResponse:
        data, refused = await body(request)
        if refused:
            return refused
        items = data.get("submissions") if isinstance(data, dict) else None
        if not isinstance(items, list):
            return errors(InvalidSubmission.one("submissions", "must be a list of submissions"))
        results = []
        for raw in items:
            sub, errs = jobs_api.parse(raw)
            if sub is not None:
                try:
                    await anyio.to_thread.run_sync(precheck, sub, settings)  # may resolve an audio URL's host
                except InvalidSubmission as exc:
                    errs = [{"field": e.field, "message": e.message} for e in exc.errors]
            results.append({"errors": errs} if errs else {"ai_plan": ai_plan(sub)})
        return JSONResponse({"results": results, "job_ttl_s": settings.job_ttl_s,
                             "max_queue_depth": settings.max_queue_depth, "webhook_url": settings.webhook_url,
                             "engine": engine_client.params(settings)})

    async def combine(request: Request) -> JSONResponse:
        data, refused = await body(request)
        if refused:
            return refused
        if not isinstance(data, dict) or not isinstance(data.get("local_result"), dict):
            return errors(InvalidSubmission.one("local_result", "must be a ScoreResult object"))
        ai_partial = data.get("ai_partial")
        return JSONResponse(hybrid.combine(data["local_result"], ai_partial if isinstance(ai_partial, dict) else None,
                                           settings))

    async def assess(request: Request) -> JSONResponse:
        data, refused = await body(request)
        if refused:
            return refused
        if not isinstance(data, dict) or not isinstance(data.get("items"), list) or not data["items"]:
            return errors(InvalidSubmission.one("items", "must be a non-empty list of item results"))
        from scoring import skills
        try:
            out = skills.assess(data["items"])
        except InvalidSubmission as exc:
            return errors(InvalidSubmission([e.model_copy(update={"field": e.field.replace("results.", "items.", 1)})
                                             for e in exc.errors]))
        return JSONResponse(out.model_dump(mode="json"))

    @asynccontextmanager
    async def lifespan(app: Starlette):
        host["engine"] = EngineHost(settings, engine)
        app.state.engine_host = host["engine"]
        tasks = [asyncio.create_task(host["engine"].load()), asyncio.create_task(expire_audio(settings))]
        yield
        for task in tasks:
            task.cancel()

    routes = [Route("/health", health, methods=["GET"]), Route("/score", score, methods=["POST"]),
              Route("/accept", accept, methods=["POST"]),
              Route("/combine", combine, methods=["POST"]), Route("/assess", assess, methods=["POST"]), *ext_routes]
    async def crashed(request: Request, exc: Exception) -> JSONResponse:
        log.error("unhandled error on %s: %s", request.url.path, traceback.format_exc())
        return JSONResponse({"error": f"internal error: {type(exc).__name__}: {exc}"}, status_code=500)

    return Starlette(routes=routes, lifespan=lifespan, exception_handlers={Exception: crashed})


async def expire_audio(settings: Settings, every_s: float = AUDIO_EXPIRY_EVERY_S) -> None:
    """Uploaded audio lives as long as the jobs that use it (JOB_TTL_S after its last use), then goes."""
    from scoring.speech import store
    while True:
        try:
            gone = await anyio.to_thread.run_sync(store.expire, settings)
            if gone:
                log.info("expired %d stored audio files (unused for JOB_TTL_S=%d s)", gone, settings.job_ttl_s)
        except Exception:
            log.warning("audio expiry failed: %s", traceback.format_exc())
        await asyncio.sleep(min(every_s, settings.job_ttl_s))


def exit_with_parent(interval_s: float = 1.0) -> None:
    """Exit when the process that started us is gone (the Motia app was killed without a chance to stop us)."""
    import threading

    parent = os.getppid()

    def watch() -> None:
        while True:
            time.sleep(interval_s)
            if os.getppid() != parent:
                log.warning("parent process %s is gone: exiting", parent)
                os._exit(0)

    threading.Thread(target=watch, daemon=True, name="parent-watch").start()


def main(argv: Optional[list[str]] = None) -> None:
    import argparse

    import uvicorn

    parser = argparse.ArgumentParser(description="The warm PTE scoring engine (HTTP on ENGINE_HOST:ENGINE_PORT)")
    parser.add_argument("--exit-with-parent", action="store_true", help="exit when the parent process dies")
    args = parser.parse_args(argv)
    if args.exit_with_parent:
        exit_with_parent()
    settings = get_settings()
    logging.basicConfig(level=logging.INFO, format="[engine] %(asctime)s %(levelname)s %(message)s")
    uvicorn.run(create_app(settings), host=settings.engine_host, port=settings.engine_port,
                log_level="warning", access_log=False, timeout_graceful_shutdown=5)


if __name__ == "__main__":
    main()
