"""Scale-out: two production instances (`motia start`, Workbench off) on one shared, real Redis. Events are
split between them by BullMQ; a WebSocket client on instance A must still see every update of a job
submitted through instance B (the stream fan-out fix), and state is shared."""
from __future__ import annotations

import asyncio
import os
import shutil
import subprocess
import time

import httpx
import pytest

from conftest import MOTIA, ROOT, free_port, stop_group, wait_http
from test_e2e import MCQ, WFD, watch

pytestmark = pytest.mark.e2e
API_KEY = "scaleout-key-0123456789abcdef"  # production needs API_KEYS
AUTH = {"X-API-Key": API_KEY}


def _free_db(redis_mod) -> int:
    for db in range(15, 0, -1):
        if redis_mod.Redis(host="127.0.0.1", port=6379, db=db).dbsize() == 0:
            return db
    pytest.skip("no empty Redis database for the scale-out test")


@pytest.fixture(scope="module")
def two_instances(redis_url, tmp_path_factory):
    import redis

    db = _free_db(redis)
    engine_port = free_port()
    d = tmp_path_factory.mktemp("scaleout")
    base = {**os.environ, "MOTIA_ANALYTICS_DISABLED": "true", "REDIS_HOST": "127.0.0.1", "REDIS_PORT": "6379",
            "REDIS_DB": str(db), "MOTIA_DOCKER_DISABLE_WORKBENCH": "true", "ENGINE_PORT": str(engine_port),
            "ENGINE_WAIT_S": "2", "AI_MODE": "off", "EVENT_CONCURRENCY": "2", "API_KEYS": API_KEY}
    base.pop("SCORE_MODE", None)
    procs, urls = [], []
    try:
        for i, spawn_engine in enumerate(("true", "false")):  # B uses A's engine (one engine service)
            port = free_port()
            env = {**base, "ENGINE_SPAWN": spawn_engine, "ENGINE_URL": f"http://127.0.0.1:{engine_port}"}
            log = d / f"start{i}.log"
            with open(log, "w") as fh:
                procs.append(subprocess.Popen([str(MOTIA), "start", "-p", str(port), "--motia-dir", str(d / f"m{i}")],
                                              cwd=ROOT, env=env, stdin=subprocess.DEVNULL, stdout=fh,
                                              stderr=subprocess.STDOUT, start_new_session=True))
            urls.append(f"http://127.0.0.1:{port}")
            wait_http(urls[-1] + "/health", 150, ok=lambda r: r.status_code == 200, proc=procs[-1], log=log)
        yield urls
    finally:
        for p in procs:
            stop_group(p)
        redis.Redis(host="127.0.0.1", port=6379, db=db).flushdb()


def test_updates_cross_instances_and_state_is_shared(two_instances):
    a, b = two_instances
    ws_a = a.replace("http", "ws", 1) + f"/?api_key={API_KEY}"  # the key on the WebSocket upgrade
    for body in (WFD, MCQ, WFD, MCQ):
        job_id = httpx.post(b + "/score_async", json=body, headers=AUTH, timeout=30).json()["job_id"]
        seen = asyncio.run(watch(ws_a, job_id, job_id, lambda d, s: d.get("status") == "completed", timeout=90))
        assert seen[-1]["result"]["score"] > 0
        assert httpx.get(f"{a}/job/{job_id}", headers=AUTH, timeout=10).json()["status"] == "completed"


def test_production_has_no_workbench_and_no_emit(two_instances):
    a, _ = two_instances
    assert httpx.post(a + "/emit", json={"topic": "submission.received", "data": {}}, headers=AUTH, timeout=10).status_code == 404
    r = httpx.get(a + "/", headers=AUTH, timeout=10)
    assert r.status_code == 404 or "workbench" not in r.text.lower()
