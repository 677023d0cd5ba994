"""Overhead of the AI path inside the engine, against the fake provider on 127.0.0.1 (no network):
/ai/score round trip per provider protocol, a cache hit, and hybrid.combine.
Run: `python_modules/bin/python bench/ai.py` (prints numbers; asserts only correctness)."""
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT / "tests"), str(ROOT)]  # the fake provider lives with the tests

import httpx  # noqa: E402
from starlette.applications import Starlette
from fakes.ai_samples import ESSAY, fake_settings, local_result, settings
from fakes.ai_servers import FakeAiServer
from fakes.asgi_server import serve
from scoring.ai import http as ai_http
from scoring.ai.hybrid import combine
from scoring.ai.service import AiService
N = 50
with FakeAiServer() as prov, serve(Starlette(routes=ai_http.routes)) as url:
    for name in ("vercel", "google"):
        ai_http.set_service(AiService(fake_settings(prov, providers=name, ai_cache_size=0)))
        with httpx.Client() as c:
            c.post(f"{url}/ai/score", json={"submission": ESSAY})
            t = []
            for i in range(N):
                sub = {**ESSAY, "response": {"text": ESSAY["response"]["text"] + f" {i}"}}
                t0 = time.perf_counter(); r = c.post(f"{url}/ai/score", json={"submission": sub}); t.append((time.perf_counter() - t0) * 1000)
                assert r.json()["status"] == "ok"
        print(f"{name}: /ai/score round trip via fake provider, p50 {statistics.median(t):.1f} ms, p95 {sorted(t)[int(N*.95)-1]:.1f} ms (n={N})")
    ai_http.set_service(AiService(fake_settings(prov)))
    with httpx.Client() as c:
        c.post(f"{url}/ai/score", json={"submission": ESSAY})
        t = []
        for i in range(N):
            t0 = time.perf_counter(); r = c.post(f"{url}/ai/score", json={"submission": ESSAY}); t.append((time.perf_counter() - t0) * 1000)
            assert r.json()["cached"]
    print(f"cache hit: p50 {statistics.median(t):.1f} ms (n={N})")
    p = r.json()
loc = local_result("write_essay", {"content": 4, "form": 2, "development_structure_coherence": 4, "grammar": 1, "general_linguistic_range": 4, "vocabulary_range": 1, "spelling": 2})
s = settings(); t0 = time.perf_counter()
for _ in range(1000): combine(loc, p, s)
print(f"hybrid.combine (write_essay, 7 traits): {(time.perf_counter()-t0):.3f} ms per call")
