"""GET /health: the app, the warm engine and Redis (through Motia state), with versions."""
import asyncio
import time

from scoring import engine_client, jobs

config = {
    "type": "api",
    "name": "Health",
    "description": "App, engine and Redis status",
    "path": "/health",
    "method": "GET",
    "emits": [],
    "flows": ["pte-scoring"],
}


REDIS_PROBE_S = 2.0


async def probe(context, t0: float) -> bool:
    await context.state.set("pte:health", "probe", {"at": t0})
    return jobs.unwrap(await context.state.get("pte:health", "probe")) is not None


async def handler(req, context):
    out = {"status": "ok", "version": jobs.version(), "app": {"status": "ok"}}
    t0 = time.perf_counter()
    try:  # while Redis is away the app's client queues commands until it reconnects: answer "degraded" at once
        ok = await asyncio.wait_for(probe(context, t0), REDIS_PROBE_S)
        out["redis"] = {"status": "ok" if ok else "error", "ms": round((time.perf_counter() - t0) * 1000, 1)}
    except asyncio.TimeoutError:
        out["redis"] = {"status": "error", "error": f"no answer within {REDIS_PROBE_S} s (reconnecting?)"}
    except Exception as e:  # state RPC failed: Redis unreachable
        out["redis"] = {"status": "error", "error": str(e)}
    try:
        eng = await engine_client.health(timeout=2.0)
        out["engine"] = {k: eng.get(k) for k in ("status", "version", "rule_version", "models_loaded", "load_ms",
                                                 "uptime_s", "scorers", "extensions", "error")}
        out["rule_version"] = eng.get("rule_version")
    except (engine_client.EngineUnavailable, engine_client.EngineRejected) as e:
        out["engine"] = {"status": "down", "error": str(e), "url": engine_client.base_url()}
    healthy = out["redis"]["status"] == "ok" and out["engine"].get("status") == "ok"
    out["status"] = "ok" if healthy else "degraded"
    return {"status": 200 if healthy else 503, "body": out}
