"""Shared test fixtures: a fake Motia context for step unit tests, a real engine server, a real Redis and a
real `motia dev` server (session-scoped, with its engine) for the end-to-end tests."""
from __future__ import annotations

import asyncio
import importlib.util
import json
import os
import random
import shutil
import signal
import socket
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from types import SimpleNamespace

import httpx
import pytest

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))  # what Motia's PYTHONPATH (and our .pth) give step processes
PYTHON = ROOT / "python_modules" / "bin" / "python"
MOTIA = ROOT / "node_modules" / ".bin" / "motia"


# ---------------------------------------------------------------- fake Motia context (unit tests of steps)

def load_step(rel_path: str):
    """Import a *_step.py file the way Motia's python-runner does (spec_from_file_location)."""
    path = ROOT / rel_path
    spec = importlib.util.spec_from_file_location(f"steps.{path.stem}", path)
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


class FakeState:
    """Motia 0.17 RpcStateManager semantics, including get()'s {'data': ...} wrapping quirk."""

    def __init__(self):
        self.groups: dict[str, dict[str, object]] = {}

    async def set(self, group, key, value):
        self.groups.setdefault(group, {})[key] = json.loads(json.dumps(value))  # JSON round trip, as over RPC
        return value

    async def get(self, group, key):
        v = self.groups.get(group, {}).get(key)
        if v is None:
            return {"data": None}
        if isinstance(v, dict) and "data" not in v:
            return {"data": v}
        return v

    async def get_group(self, group):
        return list(self.groups.get(group, {}).values())

    async def delete(self, group, key):
        return self.groups.get(group, {}).pop(key, None)

    async def clear(self, group):
        self.groups.pop(group, None)


class FakeStream:
    def __init__(self):
        self.items: dict[tuple[str, str], dict] = {}
        self.history: list[tuple[str, str, dict]] = []

    async def set(self, group_id, id, data):
        item = {**json.loads(json.dumps(data)), "id": id}
        self.items[(group_id, id)] = item
        self.history.append((group_id, id, item))
        return item

    async def get(self, group_id, id):
        return self.items.get((group_id, id))

    async def get_group(self, group_id):
        return [v for (g, _), v in self.items.items() if g == group_id]

    async def delete(self, group_id, id):
        return self.items.pop((group_id, id), None)

    async def send(self, channel, event):
        self.history.append((channel.get("groupId"), "send", event))


class FakeLogger:
    def __init__(self):
        self.records: list[tuple[str, str, object]] = []

    def _log(self, level, msg, args=None):
        self.records.append((level, msg, args))

    def info(self, m, a=None): self._log("info", m, a)
    def warn(self, m, a=None): self._log("warn", m, a)
    def error(self, m, a=None): self._log("error", m, a)
    def debug(self, m, a=None): self._log("debug", m, a)


class FakeContext:
    def __init__(self):
        self.trace_id = "TEST-TRACE"
        self.flows = ["pte-scoring"]
        self.state = FakeState()
        self.logger = FakeLogger()
        self.streams = SimpleNamespace(scoreJob=FakeStream())
        self.emitted: list[dict] = []

    async def emit(self, event):
        assert len(json.dumps(event)) < 16_000, "events must carry references, not payloads"
        self.emitted.append(json.loads(json.dumps(event)))


@pytest.fixture
def ctx():
    return FakeContext()


def run(coro):
    return asyncio.run(coro)


# ---------------------------------------------------------------- ports and processes

def _is_free(port: int) -> bool:
    with socket.socket() as s:
        try:
            s.bind(("0.0.0.0", port))
            return True
        except OSError:
            return False


def free_port(pair_offset: int | None = None) -> int:
    """A free port; with pair_offset, port+offset must be free too (Workbench's Vite HMR uses PORT+21678,
    so a motia dev port must stay <= 43857)."""
    for _ in range(500):
        port = random.randint(20000, 43000)
        if _is_free(port) and (pair_offset is None or _is_free(port + pair_offset)):
            return port
    raise RuntimeError("no free port")


def stop_group(proc: subprocess.Popen, timeout: float = 15) -> None:
    """Stop a process group we started (start_new_session=True), politely then firmly."""
    try:
        os.killpg(proc.pid, signal.SIGTERM)
    except ProcessLookupError:
        return
    try:
        proc.wait(timeout)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait(5)
    try:  # stragglers of the group (the engine exits with its parent, redis with node)
        os.killpg(proc.pid, signal.SIGKILL)
    except ProcessLookupError:
        pass


def wait_http(url: str, timeout: float, ok=lambda r: r.status_code == 200, proc: subprocess.Popen | None = None,
              log: Path | None = None) -> httpx.Response:
    t0 = time.time()
    last = None
    while time.time() - t0 < timeout:
        if proc is not None and proc.poll() is not None:
            raise RuntimeError(f"process exited rc={proc.returncode}: " + (log.read_text()[-2000:] if log else ""))
        try:
            r = httpx.get(url, timeout=3)
            if ok(r):
                return r
            last = r.text[:300]
        except httpx.HTTPError as e:
            last = repr(e)
        time.sleep(0.3)
    raise TimeoutError(f"{url} not ready after {timeout}s: {last}")


# ---------------------------------------------------------------- real Redis

@pytest.fixture(scope="session")
def redis_url():
    """The real local Redis (make test starts it); skips when none answers on 127.0.0.1:6379."""
    import redis

    client = redis.Redis(host="127.0.0.1", port=6379, socket_connect_timeout=1)
    try:
        client.ping()
    except redis.RedisError:
        pytest.skip("no Redis on 127.0.0.1:6379 (make test starts one)")
    return "redis://127.0.0.1:6379"


# ---------------------------------------------------------------- real engine server

@dataclass
class EngineProc:
    url: str
    proc: subprocess.Popen
    log: Path


@pytest.fixture(scope="session")
def engine_server(tmp_path_factory):
    """`python -m scoring.server` on a free port (models preloaded)."""
    port = free_port()
    d = tmp_path_factory.mktemp("engine")
    log = d / "engine.log"
    env = {**os.environ, "ENGINE_HOST": "127.0.0.1", "ENGINE_PORT": str(port), "AI_MODE": "off"}
    with open(log, "w") as fh:
        proc = subprocess.Popen([str(PYTHON), "-m", "scoring.server", "--exit-with-parent"], cwd=ROOT, env=env,
                                stdin=subprocess.DEVNULL, stdout=fh, stderr=subprocess.STDOUT, start_new_session=True)
    url = f"http://127.0.0.1:{port}"
    try:
        wait_http(url + "/health", 120, ok=lambda r: r.status_code == 200 and r.json()["status"] == "ok", proc=proc, log=log)
        yield EngineProc(url, proc, log)
    finally:
        stop_group(proc)


@pytest.fixture
def engine_env(engine_server, monkeypatch):
    """Steps called in-process reach the real engine server (fresh Settings before and after)."""
    from scoring.settings import get_settings
    monkeypatch.setenv("ENGINE_URL", engine_server.url)
    monkeypatch.setenv("ENGINE_WAIT_S", "0")
    get_settings.cache_clear()
    yield engine_server
    get_settings.cache_clear()


# ---------------------------------------------------------------- real motia dev (with its engine)

@dataclass
class MotiaApp:
    url: str
    ws_url: str
    engine_url: str
    proc: subprocess.Popen
    log: Path
    motia_dir: Path

    def engine_pid(self) -> int:
        return httpx.get(self.engine_url + "/health", timeout=5).json()["pid"]


@pytest.fixture(scope="session")
def motia_app(tmp_path_factory):
    """A real `motia dev` on a free port with an isolated .motia dir and in-process Redis (a real
    redis-server binary); motia.config.ts starts and supervises the engine on its own free port."""
    if not MOTIA.exists():
        pytest.skip("node_modules missing: run `make install` (npm install)")
    port = free_port(pair_offset=21678)
    engine_port = free_port()
    motia_dir = tmp_path_factory.mktemp("motia")
    log = motia_dir / "dev.log"
    env = {**os.environ, "MOTIA_ANALYTICS_DISABLED": "true", "REDISMS_SYSTEM_BINARY": shutil.which("redis-server") or "",
           "ENGINE_HOST": "127.0.0.1", "ENGINE_PORT": str(engine_port), "ENGINE_SPAWN": "true",
           "ENGINE_WAIT_S": "0", "JOB_DEADLINE_S": "40", "AUDIO_MAX_BYTES": "2000000", "AI_MODE": "off",
           "MAX_BODY_BYTES": "60000"}  # a low body limit, so the page's and the API's 413s can be reached
    for k in ("REDIS_HOST", "ENGINE_URL", "SCORE_MODE"):
        env.pop(k, None)
    t0 = time.time()
    with open(log, "w") as fh:
        proc = subprocess.Popen([str(MOTIA), "dev", "-p", str(port), "--motia-dir", str(motia_dir)], cwd=ROOT, env=env,
                                stdin=subprocess.DEVNULL, stdout=fh, stderr=subprocess.STDOUT, start_new_session=True)
    app = MotiaApp(f"http://127.0.0.1:{port}", f"ws://127.0.0.1:{port}", f"http://127.0.0.1:{engine_port}", proc, log,
                   motia_dir)
    try:
        while "Server ready" not in log.read_text():
            if proc.poll() is not None:
                raise RuntimeError(f"motia dev exited rc={proc.returncode}: {log.read_text()[-2000:]}")
            if time.time() - t0 > 120:
                raise TimeoutError("motia dev did not start: " + log.read_text()[-2000:])
            time.sleep(0.2)
        wait_http(app.engine_url + "/health", 120, ok=lambda r: r.status_code == 200 and r.json()["status"] == "ok",
                  proc=proc, log=log)
        print(f"\nmotia dev + engine ready in {time.time() - t0:.1f}s on port {port}")
        yield app
    finally:
        stop_group(proc)
