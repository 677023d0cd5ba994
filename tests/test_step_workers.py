"""Warm Python step workers (the carried core patch, python-worker-pool.mjs + python/python-worker.py), end to
end on a real `motia dev` serving a scratch project whose steps misbehave on purpose: a call that raises,
hangs past its deadline, kills its process or leaks memory affects only itself; workers are reused, recycled
and pick up edited code; payloads are not limited by a command line; MOTIA_PYTHON_WORKERS=off restores the
stock one-process-per-call runner."""
from __future__ import annotations

import os
import shutil
import subprocess
import textwrap
import time
from pathlib import Path

import httpx
import pytest

from conftest import MOTIA, ROOT, free_port, stop_group

pytestmark = pytest.mark.e2e

STEP_TIMEOUT_S = 4

CONFIG = """
import { defineConfig } from '@motiadev/core'
export default defineConfig({ redis: { useMemoryServer: true }, plugins: [] })
"""


def api_step(name: str, body: str, imports: str = "") -> str:
    return textwrap.dedent(f"""
        import asyncio, os
        {imports}
        config = {{"type": "api", "name": "{name}", "path": "/{name}", "method": "POST", "emits": [], "flows": ["t"]}}

        async def handler(req, context):
        """) + textwrap.indent(textwrap.dedent(body), "    ")


STEPS = {
    "echo": api_step("echo", """
        return {"status": 200, "body": {"pid": os.getpid(), "trace": context.trace_id,
                                        "size": len((req.get("body") or {}).get("text", "")),
                                        "version": helper.VERSION}}
    """, imports="import helper"),
    "boom": api_step("boom", 'raise RuntimeError("boom")'),
    "hang": api_step("hang", "await asyncio.sleep(3600)"),
    "die": api_step("die", "os._exit(3)"),
    "leak": api_step("leak", """
        LEAK.append(bytearray(150 * 1024 * 1024))
        return {"status": 200, "body": {"pid": os.getpid()}}
    """, imports="LEAK = []"),
}


def start(project: Path, workers: str) -> tuple[subprocess.Popen, str]:
    port = free_port(pair_offset=21678)
    env = {**os.environ, "MOTIA_ANALYTICS_DISABLED": "true", "REDISMS_SYSTEM_BINARY": shutil.which("redis-server") or "",
           "MOTIA_PYTHON_WORKERS": workers, "MOTIA_STEP_TIMEOUT_S": str(STEP_TIMEOUT_S),
           "MOTIA_PYTHON_WORKER_MAX_MB": "120"}
    log = open(project / f"dev-{workers}.log", "w")
    proc = subprocess.Popen([str(MOTIA), "dev", "-p", str(port)], cwd=project, env=env, stdin=subprocess.DEVNULL,
                            stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
    url = f"http://127.0.0.1:{port}"
    t0 = time.time()
    while time.time() - t0 < 120:
        try:
            if httpx.post(url + "/echo", json={}, timeout=5).status_code == 200:
                return proc, url
        except httpx.HTTPError:
            pass
        if proc.poll() is not None:
            break
        time.sleep(0.3)
    stop_group(proc)
    raise RuntimeError((project / f"dev-{workers}.log").read_text()[-2000:])


@pytest.fixture(scope="module")
def project(tmp_path_factory):
    if not MOTIA.exists():
        pytest.skip("node_modules missing: run `make install`")
    d = tmp_path_factory.mktemp("workers")
    (d / "steps").mkdir()
    for name, code in STEPS.items():
        (d / "steps" / f"{name}_api_step.py").write_text(code)
    (d / "helper.py").write_text("VERSION = 1\n")
    (d / "motia.config.ts").write_text(CONFIG)
    (d / "package.json").write_text('{"name": "workers-test", "private": true, "type": "module"}')
    for link in ("node_modules", "python_modules"):
        (d / link).symlink_to(ROOT / link)
    return d


@pytest.fixture(scope="module")
def warm(project):
    proc, url = start(project, "2")
    try:
        yield url
    finally:
        stop_group(proc)


def echo(url: str, **body) -> dict:
    r = httpx.post(url + "/echo", json=body, timeout=30)
    assert r.status_code == 200, r.text
    return r.json()


def test_calls_reuse_a_warm_worker_with_their_own_trace_ids(warm):
    first, second = echo(warm), echo(warm)
    assert first["pid"] == second["pid"] and first["trace"] != second["trace"]


def test_large_payloads_travel_over_the_channel(warm):
    """~400 KB of text (a command-line argument stops at ~128 KB: spawn E2BIG)."""
    assert echo(warm, text="’" * 400_000)["size"] == 400_000


def test_a_handler_that_raises_fails_only_its_call(warm):
    pid = echo(warm)["pid"]
    assert httpx.post(warm + "/boom", json={}, timeout=30).status_code == 500
    assert echo(warm)["pid"] == pid  # the worker serves on


def test_a_hung_handler_is_killed_at_its_deadline(warm):
    t0 = time.time()
    r = httpx.post(warm + "/hang", json={}, timeout=60)
    assert r.status_code == 504 and STEP_TIMEOUT_S - 1 < time.time() - t0 < STEP_TIMEOUT_S + 10
    echo(warm)
    hung = subprocess.run(["pgrep", "-f", "python-worker.py"], capture_output=True, text=True).stdout.split()
    assert len(hung) <= 3  # the killed worker is gone; the pool keeps at most 2 idle (+ pgrep's own match)


def test_a_handler_that_kills_its_process_fails_only_its_call(warm):
    assert httpx.post(warm + "/die", json={}, timeout=30).status_code == 500
    echo(warm)


def test_a_worker_past_its_memory_limit_is_retired(warm):
    r = httpx.post(warm + "/leak", json={}, timeout=30)
    assert r.status_code == 200
    leaky = r.json()["pid"]
    assert all(echo(warm)["pid"] != leaky for _ in range(4))
    with pytest.raises(ProcessLookupError):
        os.kill(leaky, 0)


def test_edited_steps_and_modules_are_picked_up(warm, project):
    helper = project / "helper.py"
    helper.write_text("VERSION = 2\n")
    t = time.time() + 2
    os.utime(helper, (t, t))  # a new mtime even within the file system's time resolution
    assert echo(warm)["version"] == 2


def test_off_switch_restores_one_process_per_call(project):
    proc, url = start(project, "off")
    try:
        pids = {echo(url)["pid"] for _ in range(3)}
    finally:
        stop_group(proc)
    assert len(pids) == 3
