"""POST /ai/hybrid_score on the real engine server (scoring/server.py with its Engine and writing
scorer), with the fake provider: one call gives the final hybrid result."""
import httpx
import pytest

from fakes.ai_samples import MCQ, SWT, fake_settings, settings
from fakes.ai_servers import FakeAiServer
from fakes.asgi_server import serve
from scoring.ai import http as ai_http
from scoring.ai.service import AiService


@pytest.fixture(scope="module")
def provider():
    with FakeAiServer() as s:
        yield s


@pytest.fixture(scope="module")
def engine_url():
    server = pytest.importorskip("scoring.server")
    app = server.create_app(settings(engine_preload=False))
    with serve(app, lifespan="on") as url:  # the lifespan creates the engine host
        yield url
    ai_http.set_service(None)


def test_hybrid_score_in_one_call(engine_url, provider):
    provider.reset()
    provider.scores = {"content": 4, "grammar": 2, "vocabulary": 2}
    ai_http.set_service(AiService(fake_settings(provider)))
    r = httpx.post(f"{engine_url}/ai/hybrid_score", json=SWT, timeout=60)
    assert r.status_code == 200, r.text
    out = r.json()
    assert out["ai"]["status"] == "ok" and out["traits"]["content"]["detail"]["ai"] == 4
    local = httpx.post(f"{engine_url}/score", json=SWT, timeout=60).json()
    c = out["traits"]["content"]["detail"]
    assert c["local"] == local["traits"]["content"].get("evidence", {}).get("ungated_score", local["traits"]["content"]["score"])
    assert out["traits"]["form"]["score"] == local["traits"]["form"]["score"]


def test_hybrid_score_without_ai_is_the_local_result_with_reason(engine_url, provider):
    ai_http.set_service(AiService(settings()))
    out = httpx.post(f"{engine_url}/ai/hybrid_score", json=MCQ, timeout=60).json()
    assert out["score"] == 1 and out["ai"]["status"] == "not_used"
    out = httpx.post(f"{engine_url}/ai/hybrid_score", json=SWT, timeout=60).json()
    assert out["ai"]["status"] == "not_configured" and any("AI not used" in w for w in out["warnings"])


def test_hybrid_score_rejects_bad_submissions(engine_url):
    r = httpx.post(f"{engine_url}/ai/hybrid_score", json={"item_type": "write_essay", "response": {"text": "x"}}, timeout=10)
    assert r.status_code == 422 and r.json()["errors"][0]["field"] == "item.prompt"
