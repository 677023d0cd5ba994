"""The engine's AI routes, served by a real uvicorn on 127.0.0.1, calling the fake provider server."""
import httpx
import pytest
from starlette.applications import Starlette

from fakes.ai_samples import DESCRIBE_IMAGE, ESSAY, MCQ, READ_ALOUD, SWT, fake_settings, local_result, settings
from fakes.ai_servers import FakeAiServer
from fakes.asgi_server import serve
from scoring.ai import http as ai_http
from scoring.ai.hybrid import combine
from scoring.ai.service import AiService


@pytest.fixture(scope="module")
def provider():
    with FakeAiServer(delay_s=1.0) as s:
        yield s


@pytest.fixture(scope="module")
def engine_url():
    """A real ASGI server holding the AI routes, like scoring/server.py mounts them."""
    with serve(Starlette(routes=ai_http.routes)) as url:
        yield url
    ai_http.set_service(None)


@pytest.fixture
def use(provider):
    def _use(**kw):
        provider.reset()
        service = AiService(fake_settings(provider, **kw))
        ai_http.set_service(service)
        return service
    return _use


def post(url, body):
    return httpx.post(f"{url}/ai/score", json=body, timeout=10)


def test_score_returns_a_usable_partial(engine_url, use, provider):
    use()
    r = post(engine_url, {"submission": SWT, "submission_id": "s-1"})
    assert r.status_code == 200
    p = r.json()
    assert p["source"] == "ai" and p["status"] == "ok" and p["submission_id"] == "s-1"
    assert set(p["traits"]) == {"content", "grammar", "vocabulary"} and p["provider"] == "vercel"
    final = combine(local_result("summarize_written_text", {"content": 2, "form": 1, "grammar": 2, "vocabulary": 1}), p, settings())
    assert final["ai"]["status"] == "ok" and final["traits"]["content"]["source"] == "hybrid"


def test_policy_switch_off_sends_nothing(engine_url, use, provider):
    use(ai_share_responses=False)
    p = post(engine_url, {"submission": ESSAY}).json()
    assert p["status"] == "disabled" and "disabled by policy" in p["reason"]
    assert provider.calls() == 0


@pytest.mark.parametrize("body, status, reason", [
    ({"submission": MCQ}, "skipped", "objective item"),
    ({"submission": READ_ALOUD}, "skipped", "no trait of Read Aloud"),
    ({"submission": {**SWT, "options": {"ai": False}}}, "skipped", "options.ai=false"),
    ({"submission": {**DESCRIBE_IMAGE, "response": {"audio_id": "a-1"}}}, "skipped", "no response text or transcript"),
    ({"submission": SWT, "local_result": {"gated": True, "gate_reason": "Form scored 0"}}, "skipped", "already gated"),
    ({"submission": {**DESCRIBE_IMAGE, "response": {"audio_id": "a-1"}}, "await_transcript": True}, "pending", "waiting for the transcript"),
    ({"submission": {**MCQ, "response": {"audio_id": "a-1"}}, "await_transcript": True}, "skipped", "objective item"),
])
def test_nothing_is_sent_when_the_ai_has_nothing_to_judge(engine_url, use, provider, body, status, reason):
    use()
    p = post(engine_url, body).json()
    assert p["status"] == status and reason in p["reason"]
    assert provider.calls() == 0


def test_spoken_item_is_judged_from_its_transcript(engine_url, use, provider):
    use()
    body = {"submission": {**DESCRIBE_IMAGE, "response": {"audio_id": "a-1"}}, "transcript": "June is the wettest month"}
    p = post(engine_url, body).json()
    assert p["status"] == "ok" and list(p["traits"]) == ["content"]
    assert "June is the wettest month" in provider.requests[0]["body"]["messages"][1]["content"]


def test_not_configured_and_ai_mode_off(engine_url, provider):
    ai_http.set_service(AiService(settings()))
    p = post(engine_url, {"submission": SWT}).json()
    assert p["status"] == "not_configured" and "GOOGLE_GENAI_KEY" in p["reason"]
    ai_http.set_service(AiService(settings(ai_mode="off")))
    assert post(engine_url, {"submission": SWT}).json()["status"] == "off"


def test_misconfigured_provider_list_is_explained(engine_url, provider):
    ai_http.set_service(AiService(settings(ai_providers="vercel,openai", vercel_ai_gateway_key="k")))
    p = post(engine_url, {"submission": SWT}).json()
    assert p["status"] == "not_configured" and "unknown provider 'openai'" in p["reason"]


def test_provider_failure_is_an_explained_partial_not_an_error(engine_url, use, provider):
    use(ai_max_retries=1)
    provider.mode = "error"
    r = post(engine_url, {"submission": SWT})
    assert r.status_code == 200 and r.json()["status"] == "failed"
    assert "http_5xx" in r.json()["reason"] and len(r.json()["attempts"]) == 2


def test_invalid_requests_get_422_naming_the_field(engine_url, use):
    use()
    r = post(engine_url, {"submission": {**SWT, "item": {}}})
    assert r.status_code == 422 and r.json()["errors"][0]["field"] == "submission.item.source_text"
    r = post(engine_url, {"submission": SWT, "bogus": 1})
    assert r.status_code == 422 and r.json()["errors"][0]["field"] == "bogus"
    r = httpx.post(f"{engine_url}/ai/score", content=b"{not json", timeout=5)
    assert r.status_code == 422 and r.json()["errors"][0]["field"] == "body"


def test_stats_report_tokens_cost_failures_breaker_and_cache(engine_url, use, provider):
    use(ai_max_retries=0, ai_breaker_failures=2)
    provider.script = ["error", "error"]
    post(engine_url, {"submission": SWT})
    post(engine_url, {"submission": ESSAY})
    post(engine_url, {"submission": SWT})  # vercel breaker open -> nothing sent
    provider.script = []
    st = httpx.get(f"{engine_url}/ai/stats", timeout=5).json()
    v = st["providers"]["vercel"]
    assert v["failures_by_kind"] == {"http_5xx": 2} and v["breaker"]["state"] == "open"
    assert v["skipped_breaker_open"] == 1 and v["configured"] is True and st["mode"] == "hybrid"
    assert st["outcomes"]["failed"] == 3


def test_cache_hit_through_the_route(engine_url, use, provider):
    use()
    a = post(engine_url, {"submission": ESSAY}).json()
    b = post(engine_url, {"submission": ESSAY}).json()
    assert not a["cached"] and b["cached"] and a["traits"] == b["traits"] and provider.calls() == 1
    st = httpx.get(f"{engine_url}/ai/stats", timeout=5).json()
    assert st["cache"]["hits"] == 1 and st["providers"]["vercel"]["input_tokens"] > 0
    assert st["providers"]["vercel"]["cost_usd"] > 0


def test_prometheus_metrics(engine_url, use, provider):
    use(ai_max_retries=0)
    post(engine_url, {"submission": SWT})
    provider.mode = "error"
    post(engine_url, {"submission": ESSAY})
    r = httpx.get(f"{engine_url}/ai/metrics", timeout=5)
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/plain")
    lines = r.text.splitlines()
    assert 'pte_ai_provider_calls_total{provider="vercel"} 2' in lines
    assert 'pte_ai_provider_failures_total{provider="vercel",kind="http_5xx"} 1' in lines
    assert 'pte_ai_provider_breaker_state{provider="vercel",state="closed"} 1' in lines
    assert "# TYPE pte_ai_provider_tokens_total counter" in lines
    tokens = [x for x in lines if x.startswith('pte_ai_provider_tokens_total{provider="vercel",direction="input"}')]
    assert int(tokens[0].split()[-1]) > 0
    assert 'pte_ai_outcomes_total{status="ok"} 1' in lines and 'pte_ai_outcomes_total{status="failed"} 1' in lines
