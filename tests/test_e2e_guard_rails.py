"""Issue 18 end to end, as an operator runs it: `make start`'s command (supervisor, `motia start`, APP_ENV=production)
on its own real Redis, with API keys, rate limits, the audit log in the machine's real PostgreSQL (a throwaway
database per run) and a real webhook receiver on 127.0.0.1 (WEBHOOK_ALLOW_PRIVATE=true here; the refusal of
internal addresses is tested in tests/test_guard_rails.py).

- missing / wrong keys: 401 naming Authorization; /health open; /metrics with its own token; a client-sent
  x-pte-client header is ignored; the WebSocket upgrade needs a key;
- one key cannot read or delete another key's job;
- a burst from one key gets 429 with Retry-After and RateLimit-* while another key still passes;
- audit rows for whole job lives, with PostgreSQL refusing connections in the middle: nothing lost, nothing twice;
  append-only; `pte-score audit export`;
- webhooks: signature verified by the receiver, a 500 then a 204 (retried), a workflow's completion;
- DELETE /job/{id}: 204, then 404, and the deletion is in the audit log.
"""
from __future__ import annotations

import asyncio
import json
import os
import secrets
import subprocess
import time
from datetime import datetime, timedelta, timezone

import httpx
import pytest

from conftest import MOTIA, PYTHON, ROOT, free_port
from test_e2e import MCQ, WFD, watch
from test_e2e_hardening import Prod, production_app, wait_all
from test_guard_rails import Receiver
from scoring import webhooks

pytestmark = pytest.mark.e2e

KEYS = {"web": "web-key-" + secrets.token_hex(12), "ios": "ios-key-" + secrets.token_hex(12),
        "burst": "burst-key-" + secrets.token_hex(12)}
METRICS_TOKEN = "metrics-" + secrets.token_hex(12)
SECRET = "webhook-secret-" + secrets.token_hex(8)
RATE = 20
PG = {"host": "127.0.0.1", "port": 5432, "user": "postgres"}


def pg_admin(sql: str, *args) -> list:
    import psycopg
    with psycopg.connect(dbname="test", autocommit=True, connect_timeout=5, **PG) as conn:
        cur = conn.execute(sql, args or None)
        return cur.fetchall() if cur.description else []


@pytest.fixture(scope="module")
def database():
    """A throwaway database on the machine's PostgreSQL (never the server itself is touched)."""
    try:
        pg_admin("SELECT 1")
    except Exception as e:  # noqa: BLE001
        pytest.skip(f"no PostgreSQL on 127.0.0.1:5432 ({e})")
    name = f"pte_audit_{secrets.token_hex(6)}"
    pg_admin(f"CREATE DATABASE {name}")
    try:
        yield name, f"postgresql://postgres@127.0.0.1:5432/{name}"
    finally:
        pg_admin(f"ALTER DATABASE {name} ALLOW_CONNECTIONS true")
        pg_admin("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = %s", name)
        pg_admin(f"DROP DATABASE IF EXISTS {name}")


def rows(url: str, job_id: str | None = None) -> list[dict]:
    import psycopg
    from psycopg.rows import dict_row
    with psycopg.connect(url, row_factory=dict_row, connect_timeout=5) as conn:
        if job_id:
            return conn.execute("SELECT * FROM audit_logs WHERE job_id = %s ORDER BY seq", (job_id,)).fetchall()
        return conn.execute("SELECT * FROM audit_logs ORDER BY seq").fetchall()


@pytest.fixture(scope="module")
def receiver():
    r = Receiver()
    yield r
    r.close()


@pytest.fixture(scope="module")
def app(tmp_path_factory, database, receiver):
    settings = {"API_KEYS": ",".join(f"{n}:{k}" for n, k in KEYS.items()), "METRICS_TOKEN": METRICS_TOKEN,
                "RATE_LIMIT_PER_MINUTE": str(RATE), "RATE_LIMIT_POLL_PER_MINUTE": "100000",
                "DATABASE_URL": database[1], "WEBHOOK_SECRET": SECRET, "WEBHOOK_ALLOW_PRIVATE": "true"}
    with production_app(tmp_path_factory.mktemp("guard"), settings) as prod:
        yield prod


def as_key(app: Prod, name: str) -> httpx.Client:
    return httpx.Client(base_url=app.url, timeout=60, headers={"Authorization": f"Bearer {KEYS[name]}"})


def submit(c: httpx.Client, body: dict) -> str:
    r = c.post("/score_async", json=body)
    assert r.status_code == 202, r.text
    return r.json()["job_id"]


def test_production_without_api_keys_refuses_to_start(tmp_path):
    env = {**os.environ, "MOTIA_ANALYTICS_DISABLED": "true", "APP_ENV": "production", "ENGINE_SPAWN": "false",
           "REDIS_HOST": "127.0.0.1", "REDIS_PORT": str(free_port())}
    env.pop("API_KEYS", None)
    out = subprocess.run([str(MOTIA), "start", "-p", str(free_port()), "--motia-dir", str(tmp_path / "m")], cwd=ROOT,
                         env=env, stdin=subprocess.DEVNULL, capture_output=True, text=True, timeout=120)
    assert out.returncode != 0 and "needs API_KEYS" in out.stdout + out.stderr


def test_requests_without_a_valid_key_are_refused(app):
    with httpx.Client(base_url=app.url, timeout=30) as c:
        assert c.get("/health").status_code == 200  # open: load balancers probe it
        for headers in ({}, {"Authorization": "Bearer wrong-key-0123456789"}, {"X-API-Key": KEYS["web"] + "x"},
                        {"Authorization": KEYS["web"]}):  # not "Bearer ..."
            for method, path in (("POST", "/score_async"), ("GET", "/job/job_abc"), ("GET", "/metrics"),
                                 ("DELETE", "/job/job_abc"), ("POST", "/audio")):
                r = c.request(method, path, headers=headers, json={} if method == "POST" else None)
                assert r.status_code == 401, (headers, path, r.text)
                assert r.json()["errors"][0]["field"] == "Authorization"
        assert c.get("/metrics", headers={"Authorization": f"Bearer {METRICS_TOKEN}"}).status_code == 200
        assert c.get("/job/job_abc", headers={"Authorization": f"Bearer {METRICS_TOKEN}"}).status_code == 401
        assert c.get("/metrics", headers={"X-API-Key": KEYS["ios"]}).status_code == 200
    assert KEYS["web"] not in app.log.read_text()  # keys never logged


def test_one_key_cannot_see_or_delete_anothers_job(app):
    with as_key(app, "web") as web, as_key(app, "ios") as ios:
        # a client-sent x-pte-client header is dropped: the hook alone says who the client is
        r = web.post("/score_async", json=WFD, headers={"x-pte-client": "ios"})
        job_id = r.json()["job_id"]
        assert web.get(f"/job/{job_id}").status_code == 200
        for r in (ios.get(f"/job/{job_id}"), ios.delete(f"/job/{job_id}")):
            assert r.status_code == 404 and r.json()["errors"][0]["field"] == "job_id"
        wait_all(web, [job_id])
        r = ios.post("/assessments", json={"job_ids": [job_id]})
        assert r.status_code == 404 and r.json()["errors"][0]["field"] == "job_ids.0"
        r = web.post("/workflow/create", json={"submissions": [MCQ]})
        wid = r.json()["workflow_id"]
        assert ios.get(f"/workflow/{wid}").status_code == 404 and web.get(f"/workflow/{wid}").status_code == 200


def test_the_websocket_upgrade_needs_a_key(app):
    from websockets.exceptions import InvalidStatus
    ws = app.url.replace("http", "ws", 1)
    with pytest.raises(InvalidStatus) as e:
        asyncio.run(watch(ws + "/", "job_x", "job_x", lambda d, s: True, timeout=5))
    assert e.value.response.status_code == 401
    with pytest.raises(InvalidStatus):
        asyncio.run(watch(ws + "/?api_key=wrong-key-0123456789", "job_x", "job_x", lambda d, s: True, timeout=5))
    with as_key(app, "web") as web:
        job_id = submit(web, MCQ)
        seen = asyncio.run(watch(ws + f"/?api_key={KEYS['web']}", job_id, job_id,
                                 lambda d, s: d.get("status") == "completed", timeout=60))
        assert seen[-1]["result"]["score"] >= 0


def test_a_burst_from_one_key_is_limited_while_another_key_passes(app):
    with as_key(app, "burst") as burst, as_key(app, "ios") as ios:
        from concurrent.futures import ThreadPoolExecutor
        with ThreadPoolExecutor(8) as pool:  # {} is a 422: cheap, and still counted
            answers = list(pool.map(lambda _: burst.post("/score_async", json={}), range(RATE + 10)))
        statuses = [r.status_code for r in answers]
        assert statuses.count(429) >= 5 and set(statuses) == {422, 429}, statuses
        limited = next(r for r in answers if r.status_code == 429)
        assert int(limited.headers["Retry-After"]) >= 1 and limited.headers["RateLimit-Limit"] == str(RATE)
        assert limited.headers["RateLimit-Remaining"] == "0" and int(limited.headers["RateLimit-Reset"]) > 0
        assert limited.json()["errors"][0]["field"] == "rate_limit"
        ok = ios.post("/score_async", json={})
        assert ok.status_code == 422 and int(ok.headers["RateLimit-Remaining"]) > 0
        # polling has its own, higher bucket: the limited key still reads its jobs
        assert burst.get("/job/job_unknown").status_code == 404


def wait_rows(url: str, job_id: str, until, timeout: float = 60) -> list[dict]:
    deadline = time.time() + timeout
    got: list[dict] = []
    while time.time() < deadline:
        try:
            got = rows(url, job_id)
        except Exception:  # noqa: BLE001 (the table may not exist yet)
            got = []
        if until([r["event"] for r in got]):
            return got
        time.sleep(1)
    raise TimeoutError(f"audit rows of {job_id}: {[r['event'] for r in got]}")


def webhook_calls(receiver: Receiver, path: str, n: int, timeout: float = 60) -> list[dict]:
    deadline = time.time() + timeout
    while time.time() < deadline:
        calls = [c for c in receiver.calls if c["path"] == path]
        if len(calls) >= n:
            return calls
        time.sleep(0.5)
    raise TimeoutError(f"{path}: {len([c for c in receiver.calls if c['path'] == path])} calls, wanted {n}")


LIFE = ["submission.accepted", "job.running", "score.partial", "ai.decision", "submission.completed"]


def test_audit_rows_for_whole_lives_with_a_postgresql_outage_in_the_middle(app, database, receiver):
    name, url = database
    since = datetime.now(timezone.utc) - timedelta(seconds=5)
    with as_key(app, "web") as web:
        before = submit(web, {**WFD, "webhook_url": receiver.url + "/before"})
        wait_rows(url, before, lambda ev: "webhook.delivered" in ev)
        # PostgreSQL refuses every connection (the server keeps running for everyone else)
        pg_admin(f"ALTER DATABASE {name} ALLOW_CONNECTIONS false")
        pg_admin("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = %s", name)
        try:
            receiver.answers = [500]  # the next webhook try fails, the queue's retry succeeds
            during = submit(web, {**MCQ, "webhook_url": receiver.url + "/during"})
            assert wait_all(web, [during])[during]["status"] == "completed"  # scoring is not blocked
            calls = webhook_calls(receiver, "/during", 2)
            time.sleep(6)  # at least one writer tick meets the outage
            assert "PostgreSQL unavailable" in app.log.read_text()
        finally:
            pg_admin(f"ALTER DATABASE {name} ALLOW_CONNECTIONS true")
        assert web.delete(f"/job/{before}").status_code == 204
        assert web.get(f"/job/{before}").status_code == 404
        got = wait_rows(url, during, lambda ev: "webhook.delivered" in ev)
        wait_rows(url, before, lambda ev: "job.deleted" in ev)
    for job_id in (before, during):
        life = rows(url, job_id)
        events = [r["event"] for r in life]
        assert events[0] == "submission.accepted" and set(LIFE) <= set(events), events
        last_partial = max(i for i, e in enumerate(events) if e in ("score.partial", "ai.decision"))
        assert events.index("submission.completed") > last_partial, events
        assert len({r["entry_id"] for r in life}) == len(life)  # none written twice
        accepted = life[0]
        assert accepted["client"] == "web" and accepted["data"]["mode"] == "score_async"
        done = next(r for r in life if r["event"] == "submission.completed")
        assert done["data"]["rule_version"] and done["data"]["calibration_version"] and done["client"] == "web"
        ai = next(r for r in life if r["event"] == "ai.decision")["data"]  # AI_MODE=off: skipped, with the reason
        assert ai["status"] in ("skipped", "not_configured") and ai["reason"]
    hooks = [(r["event"], r["data"]["attempt"], r["data"].get("status")) for r in got if r["event"].startswith("webhook.")]
    assert hooks == [("webhook.attempt_failed", 1, 500), ("webhook.delivered", 2, 204)]
    for call in calls:  # the receiver checks every signature
        assert webhooks.verify(call["raw"], call["headers"]["X-PTE-Signature"], SECRET)
    assert json.loads(calls[-1]["raw"])["job_id"] == during
    assert [r["client"] for r in rows(url, before) if r["event"] == "job.deleted"] == ["web"]

    import psycopg
    with psycopg.connect(url) as conn:  # append-only, even for the role that owns the table
        for sql in ("UPDATE audit_logs SET event = 'x'", "DELETE FROM audit_logs", "TRUNCATE audit_logs"):
            with pytest.raises(psycopg.errors.RaiseException):
                conn.execute(sql)
            conn.rollback()

    out = subprocess.run([str(PYTHON), "-m", "scoring.cli", "audit", "export", "--since", since.isoformat(),
                          "--format", "jsonl"], cwd=ROOT, env={**os.environ, "DATABASE_URL": url},
                         capture_output=True, text=True, timeout=60)
    assert out.returncode == 0, out.stderr
    exported = [json.loads(line) for line in out.stdout.splitlines()]
    assert {e["job_id"] for e in exported} >= {before, during}
    assert all(e["event"] and e["at"] >= since.isoformat()[:19] for e in exported)
    csv_out = subprocess.run([str(PYTHON), "-m", "scoring.cli", "audit", "export", "--format", "csv",
                              "--database-url", url], cwd=ROOT, capture_output=True, text=True, timeout=60)
    assert csv_out.returncode == 0 and csv_out.stdout.splitlines()[0].startswith("seq,entry_id,at,event")
    assert len(csv_out.stdout.splitlines()) - 1 == len(rows(url))


def test_a_workflow_webhook_arrives_signed_once_all_its_jobs_finished(app, receiver):
    with as_key(app, "ios") as ios:
        r = ios.post("/workflow/create", json={"submissions": [WFD, MCQ], "webhook_url": receiver.url + "/wf"})
        assert r.status_code == 201, r.text
        [call] = webhook_calls(receiver, "/wf", 1)
        body = json.loads(call["raw"])
        assert webhooks.verify(call["raw"], call["headers"]["X-PTE-Signature"], SECRET)
        assert body["event"] == "workflow.completed" and body["workflow_id"] == r.json()["workflow_id"]
        assert body["counts"] == {"completed": 2}
        bad = ios.post("/score_async", json={**WFD, "webhook_url": "file:///etc/passwd"})
        assert bad.status_code == 422 and bad.json()["errors"][0]["field"] == "webhook_url"
