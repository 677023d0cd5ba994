"""The safe client against a real fake server: retries, fallback, breaker, cache, accounting."""
import asyncio
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from fakes.ai_samples import ESSAY, SWT, fake_settings, settings
from fakes.ai_servers import FakeAiServer
from scoring.ai.breaker import CircuitBreaker
from scoring.ai.cache import TtlCache
from scoring.ai.client import AiClient
from scoring.ai.prompts import build_prompt
from scoring.models import Submission

PROMPT = build_prompt(Submission.parse(SWT))


class Clock:
    def __init__(self):
        self.t = 1000.0

    def __call__(self):
        return self.t


@pytest.fixture
def server():
    with FakeAiServer(delay_s=1.0) as s:
        yield s


def run(coro):
    return asyncio.run(coro)


def test_good_answer_is_ok_and_accounted(server):
    c = AiClient(fake_settings(server))
    out = run(c.score(PROMPT))
    assert out.status == "ok" and out.provider == "vercel" and not out.cached
    assert {k: v["score"] for k, v in out.traits.items()} == {"content": 2, "grammar": 1, "vocabulary": 1}
    assert out.traits["content"]["reason"] == server.reason
    st = c.snapshot()["providers"]["vercel"]
    assert st["calls"] == 1 and st["successes"] == 1 and st["input_tokens"] == len(PROMPT.user.split())
    expected = (st["input_tokens"] * 0.15 + st["output_tokens"] * 0.60) / 1e6
    assert st["cost_usd"] == pytest.approx(expected) and out.usage["cost_usd"] == pytest.approx(expected)


def test_identical_request_is_answered_from_cache(server):
    c = AiClient(fake_settings(server))
    first = run(c.score(PROMPT))
    second = run(c.score(build_prompt(Submission.parse(SWT))))
    assert second.cached and second.traits == first.traits and "cache" in second.reason
    assert server.calls() == 1 and c.cache.hits == 1
    run(c.score(build_prompt(Submission.parse(ESSAY))))  # a different request goes out
    assert server.calls() == 2


def test_5xx_is_retried_with_backoff_then_succeeds(server):
    slept = []

    async def sleep(s):
        slept.append(s)

    server.script = ["error", "error"]
    c = AiClient(fake_settings(server, ai_backoff_s=0.2), sleep=sleep)
    out = run(c.score(PROMPT))
    assert out.status == "ok" and server.calls() == 3
    assert slept == [0.2, 0.4]  # exponential
    assert [a["outcome"] for a in out.attempts] == ["http_5xx", "http_5xx", "ok"]


def test_retries_are_bounded_and_failure_is_explained(server):
    server.mode = "error"
    c = AiClient(fake_settings(server, ai_max_retries=2))
    out = run(c.score(PROMPT))
    assert out.status == "failed" and server.calls() == 3
    assert "every AI provider failed" in out.reason and "vercel: http_5xx" in out.reason
    assert c.snapshot()["providers"]["vercel"]["failures_by_kind"] == {"http_5xx": 3}


def test_timeout_then_fallback_to_second_provider(server):
    server.script, server.delay_s = ["slow"], 6.0  # first call (vercel) too slow, retries off -> google answers
    c = AiClient(fake_settings(server, providers="vercel,google", ai_timeout_s=2.0, ai_max_retries=0))
    out = run(c.score(PROMPT))
    assert out.status == "ok" and out.provider == "google"
    assert [(a["provider"], a["outcome"]) for a in out.attempts] == [("vercel", "timeout"), ("google", "ok")]
    assert [r["protocol"] for r in server.requests] == ["openai", "gemini"]


@pytest.mark.parametrize("mode", ["malformed", "out_of_range", "missing_trait", "extra_junk"])
def test_invalid_replies_are_rejected_never_clamped(server, mode):
    server.mode = mode
    c = AiClient(fake_settings(server, ai_max_retries=1))
    out = run(c.score(PROMPT))
    assert out.status == "failed" and out.traits == {}
    assert all(a["outcome"] == "rejected_reply" for a in out.attempts) and len(out.attempts) == 2
    assert "rejected_reply" in out.reason
    assert out.usage["input_tokens"] > 0  # a rejected reply still cost tokens
    assert c.cache.snapshot()["size"] == 0  # never cached


def test_fenced_reply_is_accepted(server):
    server.mode = "fenced"
    assert run(AiClient(fake_settings(server)).score(PROMPT)).status == "ok"


def test_bad_key_is_not_retried(server):
    s = fake_settings(server, providers="vercel", vercel_ai_gateway_key="wrong")
    out = run(AiClient(s).score(PROMPT))
    assert out.status == "failed" and server.calls() == 1 and "http_4xx" in out.reason


def test_not_configured_without_keys():
    out = run(AiClient(settings()).score(PROMPT))
    assert out.status == "not_configured" and "VERCEL_AI_GATEWAY_KEY" in out.reason


def test_breaker_opens_after_n_failures_and_half_opens_after_cooldown(server):
    clock = Clock()
    server.mode = "error"
    s = fake_settings(server, ai_max_retries=0, ai_breaker_failures=3, ai_breaker_cooldown_s=30)
    c = AiClient(s, clock=clock)
    for _ in range(3):
        assert run(c.score(PROMPT)).status == "failed"
    assert server.calls() == 3 and c.breakers["vercel"].state == "open"
    out = run(c.score(PROMPT))  # open: nothing is sent
    assert server.calls() == 3 and "circuit breaker open" in out.reason
    assert c.snapshot()["providers"]["vercel"]["skipped_breaker_open"] == 1
    clock.t += 31  # cooldown over: one trial call goes out
    assert c.breakers["vercel"].state == "half_open"
    out = run(c.score(PROMPT))
    assert server.calls() == 4 and c.breakers["vercel"].state == "open"  # trial failed: open again
    clock.t += 31
    server.mode = "good"
    assert run(c.score(PROMPT)).status == "ok"
    assert server.calls() == 5 and c.breakers["vercel"].state == "closed"
    assert c.snapshot()["providers"]["vercel"]["breaker"]["opened_count"] == 2


def test_open_breaker_falls_through_to_the_next_provider(server):
    clock = Clock()
    server.script = ["error"]
    s = fake_settings(server, providers="vercel,google", ai_max_retries=0, ai_breaker_failures=1)
    c = AiClient(s, clock=clock)
    assert run(c.score(PROMPT)).provider == "google"  # vercel failed once -> breaker open
    other = build_prompt(Submission.parse(ESSAY))
    out = run(c.score(other))
    assert out.provider == "google" and out.attempts[0]["outcome"] == "skipped"


def test_breaker_unit():
    clock = Clock()
    b = CircuitBreaker(2, 10, clock)
    b.record_failure()
    assert b.state == "closed" and b.allow()
    b.record_success()
    b.record_failure()
    assert b.state == "closed"  # success reset the count
    b.record_failure()
    assert b.state == "open" and not b.allow() and b.retry_in_s() == 10
    clock.t += 10
    assert b.allow() and not b.allow()  # half-open: a single trial
    b.record_success()
    assert b.state == "closed"
    with pytest.raises(ValueError):
        CircuitBreaker(0, 1)


def test_cache_ttl_and_lru():
    clock = Clock()
    c = TtlCache(2, 60, clock)
    c.put("a", 1)
    c.put("b", 2)
    assert c.get("a") == 1
    c.put("c", 3)  # evicts b, the least recently used
    assert c.get("b") is None and c.get("c") == 3
    clock.t += 61
    assert c.get("a") is None and len(c) == 1
    off = TtlCache(0, 60, clock)
    off.put("a", 1)
    assert off.get("a") is None


class Broken:
    """A provider whose SDK blows up with an unexpected exception."""
    name, model, configured, price_in_per_mtok, price_out_per_mtok = "broken", "x", True, 0.0, 0.0

    async def complete(self, prompt, timeout_s):
        raise TypeError("unexpected SDK change")


def test_an_unexpected_provider_exception_is_a_failure_not_a_crash(server):
    from scoring.ai.providers import VercelGateway
    s = fake_settings(server)
    c = AiClient(s, providers=[Broken(), VercelGateway(s)])
    out = run(c.score(PROMPT))
    assert out.status == "ok" and out.provider == "vercel"
    assert out.attempts[0]["outcome"] == "internal" and "unexpected SDK change" in out.attempts[0]["error"]


def test_warm_imports_only_the_configured_sdk():
    """The server warms the AI extension after the engine loads; only a configured Google provider imports its SDK."""
    code = textwrap.dedent("""
        import sys
        from fakes.ai_samples import settings
        from scoring.ai.client import AiClient
        AiClient(settings(vercel_ai_gateway_key="k")).warm()
        assert "google.genai" not in sys.modules
        AiClient(settings(google_genai_key="k")).warm()
        from google.genai import types
        assert types.GenerateContentConfig.__pydantic_complete__
    """)
    root = Path(__file__).resolve().parent.parent
    env = {**os.environ, "PYTHONPATH": f"{root}{os.pathsep}{root / 'tests'}"}
    subprocess.run([sys.executable, "-c", code], check=True, env=env, cwd=root, timeout=60)
