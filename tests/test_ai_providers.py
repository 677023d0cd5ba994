"""Both providers speak their real wire protocol to a fake server on 127.0.0.1."""
import asyncio

import pytest

from fakes.ai_samples import ESSAY, SWT, fake_settings, settings
from fakes.ai_servers import FakeAiServer
from scoring.ai.prompts import build_prompt
from scoring.ai.providers import GoogleGenAI, ProviderError, VercelGateway, build_providers
from scoring.ai.reply import parse_reply
from scoring.models import Submission


@pytest.fixture
def server():
    with FakeAiServer(delay_s=1.5) as s:
        yield s


PROMPT = build_prompt(Submission.parse(SWT))


def run(coro):
    return asyncio.run(coro)


@pytest.mark.parametrize("make", [VercelGateway, GoogleGenAI])
def test_good_answer_parses_and_counts_tokens(server, make):
    p = make(fake_settings(server, providers="vercel,google"))
    c = run(p.complete(PROMPT, 2.0))
    reply = parse_reply(c.text, PROMPT.traits)
    assert {k: v.score for k, v in reply.traits.items()} == {"content": 2, "grammar": 1, "vocabulary": 1}
    assert c.input_tokens == len(PROMPT.user.split()) and c.output_tokens > 0


def test_vercel_wire_format(server):
    run(VercelGateway(fake_settings(server)).complete(PROMPT, 2.0))
    req = server.requests[-1]
    assert req["path"] == "/v1/chat/completions"
    assert req["headers"]["authorization"] == f"Bearer {server.key}"
    body = req["body"]
    assert body["model"] == "openai/gpt-4o-mini" and body["temperature"] == 0
    assert body["response_format"] == {"type": "json_object"}
    assert [m["role"] for m in body["messages"]] == ["system", "user"]
    assert body["messages"][1]["content"] == PROMPT.user


def test_google_wire_format(server):
    run(GoogleGenAI(fake_settings(server, providers="google")).complete(PROMPT, 2.0))
    req = server.requests[-1]
    assert req["path"] == "/v1/models/gemini-2.0-flash:generateContent"  # google-genai 3.3 uses v1
    assert req["headers"]["x-goog-api-key"] == server.key
    body = req["body"]
    assert body["contents"][0]["parts"][0]["text"] == PROMPT.user
    assert body["systemInstruction"]["parts"][0]["text"] == PROMPT.system
    assert body["generationConfig"]["responseMimeType"] == "application/json"
    assert body["generationConfig"]["temperature"] == 0


@pytest.mark.parametrize("make", [VercelGateway, GoogleGenAI])
@pytest.mark.parametrize("mode, kind, timeout_s", [
    ("error", "http_5xx", 10.0), ("slow", "timeout", 0.3), ("unauthorized", "http_4xx", 10.0)])
def test_failures_are_typed(server, make, mode, kind, timeout_s):
    # Only the slow mode needs a short deadline (the server waits 1.5 s); the others answer at once, and a
    # short deadline there would turn a busy CI host's slow first request into a "timeout" (seen in CI).
    server.mode = mode
    p = make(fake_settings(server, providers="vercel,google"))
    with pytest.raises(ProviderError) as e:
        run(p.complete(PROMPT, timeout_s))
    assert e.value.kind == kind
    assert e.value.retryable == (kind != "http_4xx")


def test_connection_refused_is_a_network_error():
    s = FakeAiServer().start()
    s.stop()  # nothing listens on that port any more
    for make in (VercelGateway, GoogleGenAI):
        with pytest.raises(ProviderError) as e:
            run(make(fake_settings(s, providers="vercel,google")).complete(PROMPT, 1.0))
        assert e.value.kind in {"network", "timeout"}


def test_no_key_means_not_configured():
    provs = build_providers(settings(ai_providers="google,vercel"))
    assert [p.name for p in provs] == ["google", "vercel"]
    assert not any(p.configured for p in provs)
    with pytest.raises(ValueError, match="unknown provider"):
        build_providers(settings(ai_providers="vercel,openai"))


def test_essay_prompt_round_trip_through_both_protocols(server):
    prompt = build_prompt(Submission.parse(ESSAY))
    server.scores = {"content": 5, "spelling": 2}
    for make in (VercelGateway, GoogleGenAI):
        c = run(make(fake_settings(server, providers="vercel,google")).complete(prompt, 2.0))
        r = parse_reply(c.text, prompt.traits)
        assert r.traits["content"].score == 5 and r.traits["spelling"].score == 2
        assert set(r.traits) == set(prompt.traits)
