"""End to end through the whole Motia pipeline (real `motia dev`, its Redis, the warm engine it
supervises) with the AI provider configured by environment to point at the fake server on 127.0.0.1:
the final job result carries the hybrid traits, and a failing provider leaves the local score with
the reason."""
import os
import shutil
import subprocess
import time

import httpx
import pytest

from conftest import MOTIA, ROOT, free_port, stop_group, wait_http
from fakes.ai_samples import MCQ, SWT
from fakes.ai_servers import FakeAiServer

pytestmark = [pytest.mark.e2e,
              pytest.mark.skipif(not MOTIA.exists(), reason="node_modules not installed (npm install)"),
              pytest.mark.skipif(not shutil.which("redis-server"), reason="redis-server not installed")]


@pytest.fixture(scope="module")
def provider():
    with FakeAiServer() as s:
        yield s


@pytest.fixture(scope="module")
def pipeline(provider, tmp_path_factory):
    """Like conftest's `motia_app` (which pins AI_MODE=off), with the AI provider configured by env to
    the fake server. Yields (app url, engine url)."""
    port, engine_port = free_port(pair_offset=21678), free_port()
    motia_dir = tmp_path_factory.mktemp("motia_ai")
    env = {**os.environ, "MOTIA_ANALYTICS_DISABLED": "true", "REDISMS_SYSTEM_BINARY": shutil.which("redis-server"),
           "ENGINE_HOST": "127.0.0.1", "ENGINE_PORT": str(engine_port), "ENGINE_SPAWN": "true", "ENGINE_WAIT_S": "0",
           "AI_MODE": "hybrid", "AI_SHARE_RESPONSES": "true", "AI_PROVIDERS": "vercel",
           "VERCEL_AI_GATEWAY_KEY": provider.key, "VERCEL_AI_GATEWAY_URL": provider.openai_base,
           "AI_MAX_RETRIES": "1", "AI_BACKOFF_S": "0.05", "AI_TIMEOUT_S": "5"}
    for k in ("REDIS_HOST", "ENGINE_URL", "SCORE_MODE", "GOOGLE_GENAI_KEY"):
        env.pop(k, None)
    log = motia_dir / "dev.log"
    with open(log, "w") as fh:
        proc = subprocess.Popen([str(MOTIA), "dev", "-p", str(port), "--motia-dir", str(motia_dir)], cwd=ROOT, env=env,
                                stdin=subprocess.DEVNULL, stdout=fh, stderr=subprocess.STDOUT, start_new_session=True)
    try:
        t0 = time.time()
        while "Server ready" not in log.read_text():
            if proc.poll() is not None or time.time() - t0 > 120:
                raise RuntimeError("motia dev did not start: " + log.read_text()[-2000:])
            time.sleep(0.2)
        engine = f"http://127.0.0.1:{engine_port}"
        wait_http(engine + "/health", 120, ok=lambda r: r.status_code == 200 and r.json()["status"] == "ok",
                  proc=proc, log=log)
        yield f"http://127.0.0.1:{port}", engine
    finally:
        stop_group(proc)


def run_job(app: str, submission: dict, timeout_s: float = 120) -> dict:
    r = httpx.post(f"{app}/score_async", json=submission, timeout=30)
    assert r.status_code == 202, r.text
    job_id = r.json()["job_id"]
    t0 = time.time()
    while time.time() - t0 < timeout_s:
        job = httpx.get(f"{app}/job/{job_id}", timeout=10).json()
        if job.get("status") in ("completed", "failed"):
            return job
        time.sleep(0.3)
    raise AssertionError(f"job {job_id} did not finish: {job}")


def test_written_item_gets_a_hybrid_result(pipeline, provider):
    app, engine = pipeline
    provider.reset()
    provider.scores = {"content": 4, "grammar": 2, "vocabulary": 2}
    job = run_job(app, SWT)
    assert job["status"] == "completed", job
    result = job["result"]
    assert result["ai"]["status"] == "ok" and result["ai"]["provider"] == "vercel"
    content = result["traits"]["content"]
    assert content["source"] == "hybrid" and content["detail"]["ai"] == 4
    assert content["detail"]["combined"] == content["evidence"].get("ungated_score", content["score"])
    assert result["traits"]["form"]["source"] == "local"
    assert provider.calls("openai") == 1
    assert job["partials"]["ai"]["status"] == "completed"
    print("\nhybrid job timings_ms:", job["timings_ms"])
    stats = httpx.get(f"{engine}/ai/stats", timeout=5).json()
    assert stats["providers"]["vercel"]["successes"] >= 1 and stats["providers"]["vercel"]["input_tokens"] > 0


def test_failing_provider_leaves_the_local_score_with_the_reason(pipeline, provider):
    app, _ = pipeline
    provider.reset("error")
    sub = {**SWT, "response": {"text": SWT["response"]["text"] + " This matters a great deal."}}
    job = run_job(app, sub)
    assert job["status"] == "completed", job
    result = job["result"]
    assert result["ai"]["status"] == "failed" and "http_5xx" in result["ai"]["reason"]
    assert all(t["source"] == "local" for t in result["traits"].values())
    assert provider.calls() == 2  # one try + one retry
    metrics = httpx.get(f"{app}/metrics", timeout=10).text
    assert 'pte_ai_failures_total{reason="http_5xx"} 1' in metrics.splitlines()


def test_objective_item_never_reaches_the_provider(pipeline, provider):
    app, _ = pipeline
    provider.reset()
    job = run_job(app, MCQ)
    assert job["status"] == "completed", job
    assert job["result"]["ai"]["status"] == "skipped" and "objective" in job["result"]["ai"]["reason"]
    assert job["result"]["score"] == 1 and provider.calls() == 0
