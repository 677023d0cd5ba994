"""Hardening, end to end, as an operator runs it: `make start`'s command (the supervisor around `motia start`,
APP_ENV=production) on its own real Redis (append-only file on, so a Redis restart keeps what it had).

- multi-byte text at every alignment across the runner's read boundaries never hangs a job;
- the framework's admin API answers 404 and CORS follows the allow-list;
- hostile bodies (deep, invalid UTF-8, huge, truncated) get a 4xx naming the field, never a 5xx or silence;
- the async endpoints refuse what /score refuses; Idempotency-Key; back-pressure past MAX_QUEUE_DEPTH;
- Redis connections killed, Redis restarted, the app killed: every accepted job completes, no process is
  left behind.
"""
from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import time
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Iterator

import httpx
import pytest

from conftest import MOTIA, ROOT, free_port, stop_group, wait_http
from test_e2e import MCQ, WFD

pytestmark = pytest.mark.e2e

ORIGIN = "https://app.example.org"
API_KEY = "hardening-key-0123456789abcdef"  # production needs API_KEYS (tests/test_e2e_guard_rails.py tests them)
MAX_QUEUE_DEPTH = 30
STEP_TIMEOUT_S = 20


@dataclass
class Prod:
    url: str
    supervisor: subprocess.Popen
    log: Path
    redis_port: int
    redis_dir: Path
    engine_url: str

    def redis(self, *args: str, check: bool = True) -> str:
        out = subprocess.run(["redis-cli", "-p", str(self.redis_port), *args], capture_output=True, text=True, timeout=20)
        if check:
            assert out.returncode == 0, out.stderr
        return out.stdout.strip()

    def start_redis(self) -> None:
        subprocess.run(["redis-server", "--port", str(self.redis_port), "--bind", "127.0.0.1", "--daemonize", "yes",
                        "--dir", str(self.redis_dir), "--appendonly", "yes", "--appendfsync", "always", "--save", "",
                        "--pidfile", str(self.redis_dir / "redis.pid"), "--logfile", str(self.redis_dir / "redis.log")],
                       check=True, timeout=20)
        for _ in range(100):
            if self.redis("ping", check=False) == "PONG":
                return
            time.sleep(0.1)
        raise TimeoutError("redis did not start")

    def app_pid(self) -> int:
        """The `motia start` process under the supervisor (its only child)."""
        out = subprocess.run(["pgrep", "-P", str(self.supervisor.pid)], capture_output=True, text=True).stdout.split()
        assert len(out) == 1, out
        return int(out[0])


def step_processes(step_file: str = "") -> list[tuple[int, int, str]]:
    """(ppid, seconds running, command) of this checkout's step processes (of one step file if named)."""
    out = subprocess.run(["ps", "-eo", "ppid=,etimes=,args="], capture_output=True, text=True).stdout
    procs = []
    for line in out.splitlines():
        ppid, etimes, args = line.split(None, 2)
        if "python-runner.py" in args and str(ROOT / "steps" / step_file) in args:
            procs.append((int(ppid), int(etimes), args[:200]))
    return procs


def leaked_step_processes() -> list[tuple[int, int, str]]:
    """Step processes that outlived their app (orphans) or any step deadline (> 120 s)."""
    return [p for p in step_processes() if p[0] == 1 or p[1] > 120]


@contextmanager
def production_app(d: Path, settings: dict[str, str]) -> Iterator[Prod]:
    """`make start`'s command (the supervisor around `motia start`, APP_ENV=production) on its own Redis, with
    the engine on a free port and AI off; `settings` adds to (or overrides) that environment."""
    if not MOTIA.exists() or not shutil.which("redis-server"):
        pytest.skip("node_modules or redis-server missing (make install)")
    redis_dir = d / "redis"
    redis_dir.mkdir()
    port, engine_port = free_port(), free_port()
    app = Prod(f"http://127.0.0.1:{port}", None, d / "start.log", free_port(), redis_dir,  # type: ignore[arg-type]
               f"http://127.0.0.1:{engine_port}")
    env = {k: v for k, v in os.environ.items() if k not in UNSET}
    env.update({"MOTIA_ANALYTICS_DISABLED": "true", "APP_ENV": "production", "REDIS_HOST": "127.0.0.1",
                "REDIS_PORT": str(app.redis_port), "ENGINE_PORT": str(engine_port), "ENGINE_SPAWN": "true",
                "ENGINE_WAIT_S": "2", "AI_MODE": "off", "AUDIO_DIR": str(d / "audio"), **settings})
    app.start_redis()
    with open(app.log, "w") as fh:
        app.supervisor = subprocess.Popen([str(ROOT / "scripts" / "supervise.sh"), str(MOTIA), "start", "-p", str(port),
                                           "--motia-dir", str(d / "motia")], cwd=ROOT, env=env, stdin=subprocess.DEVNULL,
                                          stdout=fh, stderr=subprocess.STDOUT, start_new_session=True)
    try:
        wait_http(app.url + "/health", 180, ok=lambda r: r.status_code == 200, proc=app.supervisor, log=app.log)
        yield app
    finally:
        stop_group(app.supervisor)
        app.redis("shutdown", "nosave", check=False)


# the caller's environment must not point the app elsewhere or switch on what a test did not ask for
UNSET = ("ENGINE_URL", "SCORE_MODE", "REDIS_DB", "REDIS_PASSWORD", "DATABASE_URL", "WEBHOOK_URL", "METRICS_TOKEN",
         "CORS_ORIGINS")


@pytest.fixture(scope="module")
def prod(tmp_path_factory):
    settings = {"CORS_ORIGINS": ORIGIN, "JOB_DEADLINE_S": "20", "MAX_QUEUE_DEPTH": str(MAX_QUEUE_DEPTH),
                "MOTIA_STEP_TIMEOUT_S": str(STEP_TIMEOUT_S), "SCORE_SYNC_TIMEOUT_S": "90",
                "API_KEYS": f"hardening:{API_KEY}", "RATE_LIMIT_PER_MINUTE": "100000",
                "RATE_LIMIT_POLL_PER_MINUTE": "100000"}
    with production_app(tmp_path_factory.mktemp("prod"), settings) as app:
        yield app


def client(app: Prod, **kw) -> httpx.Client:
    return httpx.Client(base_url=app.url, timeout=60, headers={"X-API-Key": API_KEY, **kw.pop("headers", {})}, **kw)


def wait_all(c: httpx.Client, job_ids: list[str], timeout: float = 150) -> dict[str, dict]:
    """Every job's final record; fails naming the unfinished ones at the deadline."""
    done: dict[str, dict] = {}
    t0 = time.time()
    while time.time() - t0 < timeout:
        for job_id in job_ids:
            if job_id in done:
                continue
            try:
                r = c.get(f"/job/{job_id}", timeout=10)
            except httpx.HTTPError:
                continue  # the app is restarting
            if r.status_code == 200 and r.json()["status"] in ("completed", "failed"):
                done[job_id] = r.json()
        if len(done) == len(job_ids):
            return done
        time.sleep(0.5)
    raise TimeoutError(f"unfinished after {timeout}s: {sorted(set(job_ids) - set(done))}")


def submit(c: httpx.Client, body: dict) -> str:
    """POST /score_async as a careful client does: a 503 is retried after its Retry-After."""
    for _ in range(10):
        r = c.post("/score_async", json=body)
        if r.status_code != 503:
            break
        time.sleep(float(r.headers.get("retry-after", 1)))
    assert r.status_code == 202, r.text
    return r.json()["job_id"]


# ---------------------------------------------------------------- multi-byte text (runner decoding)

@pytest.mark.parametrize("char", ["’", "“", "Ж"])
def test_multibyte_text_at_every_alignment_completes(prod, char):
    """5 KB passages of curly quotes or Cyrillic, shifted so the characters meet the 4 KB read boundaries at
    every byte offset: each job completes (unpatched, most of them never did) and reads back intact."""
    with client(prod) as c:
        job_ids = []
        for shift in range(len(char.encode())):
            passage = "x" * shift + (char + " ") * 1700
            job_ids.append(submit(c, {**MCQ, "item": {**MCQ["item"], "source_text": passage}}))
        r = c.post("/score", json={**MCQ, "item": {**MCQ["item"], "source_text": (char + " ") * 1700}})
        assert r.status_code == 200, r.text
        finals = wait_all(c, job_ids, timeout=90)
    assert all(f["status"] == "completed" and f["result"]["score"] == 1 for f in finals.values()), finals


# ---------------------------------------------------------------- admin API and CORS

@pytest.mark.parametrize("method,path", [
    ("GET", "/__motia/state"), ("POST", "/__motia/state"), ("POST", "/__motia/state/delete"),
    ("GET", "/__motia/bullmq/queues"), ("POST", "/__motia/bullmq/queues/x/pause"),
    ("POST", "/__motia/bullmq/dlq/x/clear"), ("POST", "/__motia/flows/x/config"), ("GET", "/motia/analytics/status"),
    ("POST", "/emit"),
])
def test_admin_routes_are_404_in_production(prod, method, path):
    with client(prod) as c:
        r = c.request(method, path, json={"groupId": "pte:jobs", "key": "x", "value": {}})
    assert r.status_code == 404, (path, r.status_code, r.text[:200])


def test_no_workbench_traces_are_written_in_production(prod):
    """Traces feed the Workbench, which production does not run: none is written to Redis."""
    with client(prod) as c:
        submit(c, MCQ)
    keys = prod.redis("--scan", "--pattern", "*trace*")
    assert not keys, keys


def test_cors_follows_the_allow_list(prod):
    with client(prod) as c:
        allowed = c.get("/health", headers={"Origin": ORIGIN})
        other = c.get("/health", headers={"Origin": "https://evil.example"})
        pre_ok = c.options("/score_async", headers={"Origin": ORIGIN, "Access-Control-Request-Method": "POST"})
        pre_bad = c.options("/score_async", headers={"Origin": "https://evil.example",
                                                     "Access-Control-Request-Method": "POST"})
    assert allowed.headers.get("access-control-allow-origin") == ORIGIN
    for r in (other, pre_bad):
        assert not any(h.startswith("access-control-") for h in r.headers), dict(r.headers)
    assert pre_ok.status_code == 204 and "POST" in pre_ok.headers["access-control-allow-methods"]
    assert "access-control-allow-credentials" not in pre_ok.headers
    assert "access-control-allow-private-network" not in pre_ok.headers


# ---------------------------------------------------------------- hostile bodies

HOSTILE = {
    "deep array": b"[" * 3000 + b"]" * 3000,
    "deep object": b'{"a":' * 2000 + b"1" + b"}" * 2000,
    "deep but valid submission": b'{"item_type": "write_essay", "response": {"text": ' + b"[" * 40 + b"]" * 40 + b"}}",
    "invalid utf-8, 2 KB": b'{"item_type": "write_essay", "response": {"text": "' + b"\xff\xfe" * 1000 + b'"}}',
    "invalid utf-8, 30 KB": b'{"item_type": "write_essay", "response": {"text": "' + b"\xc3" * 30_000 + b'"}}',
    "invalid utf-8, 59 KB": b'{"item_type": "write_essay", "response": {"text": "' + b"\x80" * 59_000 + b'"}}',
    "overlong encoding": b'{"text": "\xc0\xaf"}',
    "huge": b'{"text": "' + b"a" * 2_000_000 + b'"}',
    "truncated json": b'{"item_type": "write_essay", "response": {"text": "ab',
    "lone surrogate escape": b'{"item_type": "write_essay", "item": {"prompt": "p"}, "response": {"text": "\\ud800"}}',
    "nul bytes": b'{"item_type": "write_essay", "item": {"prompt": "p"}, "response": {"text": "a\\u0000b"}}',
    "not an object": b'"just a string"',
    "number": b"1e999999",
    "empty": b"",
}
ENDPOINTS = ["/score", "/score_async", "/batch_score", "/workflow/create", "/assessments"]


VALID_BUT_ODD = {"lone surrogate escape", "nul bytes"}  # may be scored; must never break anything


@pytest.mark.parametrize("name", list(HOSTILE))
def test_hostile_bodies_get_a_4xx_naming_the_field(prod, name):
    with client(prod) as c:
        for path in ENDPOINTS:
            r = c.post(path, content=HOSTILE[name], headers={"content-type": "application/json"})
            assert r.status_code < 500, (name, path, r.status_code, r.text[:300])
            if name in VALID_BUT_ODD and r.status_code < 400:
                continue
            assert r.status_code >= 400, (name, path, r.status_code, r.text[:300])
            errors = r.json().get("errors")
            assert errors and all(e.get("field") for e in errors), (name, path, r.text[:300])


def test_a_body_cut_off_mid_request_leaves_the_service_answering(prod):
    host, port = prod.url.removeprefix("http://").split(":")
    for _ in range(5):
        with socket.create_connection((host, int(port)), timeout=10) as s:
            s.sendall(b"POST /score_async HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
                      b"X-API-Key: " + API_KEY.encode() + b"\r\n"
                      b"Content-Length: 5000\r\n\r\n{\"item_type\": \"write")
    with client(prod) as c:
        assert c.get("/health").status_code == 200


def test_an_upload_cut_off_midway_is_dropped_quietly(prod):
    """A client that goes away mid-upload: the proxy drops the engine request and the engine logs no 500."""
    host, port = prod.url.removeprefix("http://").split(":")
    with socket.create_connection((host, int(port)), timeout=10) as s:
        s.sendall(b"POST /audio HTTP/1.1\r\nHost: x\r\nContent-Type: audio/wav\r\nContent-Length: 500000\r\n"
                  b"X-API-Key: " + API_KEY.encode() + b"\r\n\r\n"
                  + b"RIFF" + b"\0" * 20_000)
        time.sleep(0.5)
    time.sleep(1.5)
    log = prod.log.read_text()
    assert "unhandled error on /audio" not in log and "ClientDisconnect" not in log
    with client(prod) as c:
        assert c.get("/health").status_code == 200


# ---------------------------------------------------------------- accept = validate as /score does

@pytest.mark.parametrize("body,field", [
    ({**MCQ, "response": {"answer": 9}}, "response.answer"),
    ({"item_type": "read_aloud", "item": {"reference_text": "Hello there."},
      "response": {"audio_id": "A" * 32}}, "response.audio_id"),
    ({"item_type": "read_aloud", "item": {"reference_text": "Hello there."},
      "response": {"audio_url": "http://127.0.0.1:9/a.wav"}}, "response.audio_url"),
    ({"item_type": "read_aloud", "item": {"reference_text": "Hello there."},
      "response": {"audio_url": "file:///etc/passwd"}}, "response.audio_url"),
    ({"item_type": "reorder_paragraphs", "item": {"answer_key": ["A", "B"], "options": ["A", "B"]},
      "response": {"answer": ["A", "Z"]}}, "response.answer.1"),
])
def test_async_endpoints_refuse_what_score_refuses(prod, body, field):
    with client(prod) as c:
        sync = c.post("/score", json=body)
        async_ = c.post("/score_async", json=body)
        batch = c.post("/batch_score", json={"submissions": [body]})
    assert sync.status_code == async_.status_code == 422, (sync.text, async_.text)
    assert sync.json()["errors"] == async_.json()["errors"]
    assert async_.json()["errors"][0]["field"] == field
    assert batch.status_code == 422 and batch.json()["errors"][0]["field"] == f"submissions.0.{field}"


# ---------------------------------------------------------------- idempotency and back-pressure

def test_idempotency_key_returns_the_first_job(prod):
    key = f"retry-{time.time()}"
    with client(prod) as c:
        first = c.post("/score_async", json=WFD, headers={"Idempotency-Key": key})
        again = c.post("/score_async", json=WFD, headers={"Idempotency-Key": key})
        other = c.post("/score_async", json=MCQ, headers={"Idempotency-Key": key})
        batch1 = c.post("/batch_score", json={"submissions": [MCQ]}, headers={"Idempotency-Key": key})
        batch2 = c.post("/batch_score", json={"submissions": [MCQ]}, headers={"Idempotency-Key": key})
        bad = c.post("/score_async", json=WFD, headers={"Idempotency-Key": "x" * 201})
    assert first.status_code == again.status_code == 202
    assert again.json()["job_id"] == first.json()["job_id"] and again.headers["idempotent-replayed"] == "true"
    assert other.status_code == 422 and other.json()["errors"][0]["field"] == "Idempotency-Key"
    assert batch1.json()["batch_id"] == batch2.json()["batch_id"]  # keys are per endpoint
    assert bad.status_code == 400 and bad.json()["errors"][0]["field"] == "Idempotency-Key"


def test_queue_deeper_than_the_limit_is_503_with_retry_after(prod):
    with client(prod) as c:
        r = c.post("/batch_score", json={"submissions": [MCQ] * (MAX_QUEUE_DEPTH + 1)})
    assert r.status_code == 503 and int(r.headers["retry-after"]) > 0
    assert r.json()["errors"][0]["field"] == "queue"


# ---------------------------------------------------------------- deadlines

def test_a_stuck_step_call_is_killed_answered_and_counted(prod):
    """The engine frozen (SIGSTOP) under a synchronous /score: the API step is killed at its deadline, the
    client gets a 504 naming it, /metrics counts it, and no process is left waiting."""
    engine_pid = httpx.get(prod.engine_url + "/health", timeout=10).json()["pid"]
    os.kill(engine_pid, signal.SIGSTOP)
    try:
        t0 = time.time()
        with client(prod) as c:
            r = c.post("/score", json=WFD, timeout=STEP_TIMEOUT_S + 40)
        took = time.time() - t0
    finally:
        os.kill(engine_pid, signal.SIGCONT)
    assert r.status_code == 504 and r.json()["errors"][0]["field"] == "request", r.text
    assert STEP_TIMEOUT_S - 1 < took < STEP_TIMEOUT_S + 15
    with client(prod) as c:
        metrics = c.get("/metrics").text
    assert 'pte_step_timeouts_total{step="ScoreSync"}' in metrics
    assert not step_processes("score_api_step.py")  # the stuck call's process was killed


# ---------------------------------------------------------------- Redis and the app failing

def _submit_many(c: httpx.Client, n: int) -> list[str]:
    return [submit(c, WFD if i % 2 else MCQ) for i in range(n)]


def test_redis_connections_killed_nothing_lost(prod):
    app_pid = prod.app_pid()
    with client(prod) as c:
        job_ids = _submit_many(c, 10)
        assert int(prod.redis("client", "kill", "type", "normal")) > 0
        job_ids += _submit_many(c, 4)
        finals = wait_all(c, job_ids)
        assert c.get("/health").status_code == 200
    assert prod.app_pid() == app_pid  # the app survived the reset (unpatched, Node exited within 3 s)
    assert all(f["status"] == "completed" for f in finals.values())


def test_redis_restart_mid_run_nothing_lost(prod):
    with client(prod) as c:
        job_ids = _submit_many(c, 10)
        prod.redis("shutdown")  # persists the append-only file, as a restarted production Redis would have it
        t0 = time.time()
        health = c.get("/health", timeout=30)
        assert health.status_code == 503 and health.json()["redis"]["status"] == "error", health.text
        assert time.time() - t0 < 15
        time.sleep(3)
        prod.start_redis()
        finals = wait_all(c, job_ids)
        job_ids2 = _submit_many(c, 4)
        finals.update(wait_all(c, job_ids2))
    assert all(f["status"] == "completed" for f in finals.values()), finals


def test_app_killed_mid_run_is_restarted_and_nothing_lost(prod):
    with client(prod) as c:
        job_ids = _submit_many(c, 10)
        old = prod.app_pid()
        os.kill(old, signal.SIGKILL)
        wait_http(prod.url + "/health", 180, ok=lambda r: r.status_code == 200, proc=prod.supervisor, log=prod.log)
        assert prod.app_pid() != old
        finals = wait_all(c, job_ids, timeout=180)
    assert all(f["status"] == "completed" for f in finals.values()), finals
    assert not leaked_step_processes()
