"""Unit tests of the hardening rules: accept-time checks equal /score's, Idempotency-Key, back-pressure,
audio URL pinning and audio expiry. (End to end: tests/test_e2e_hardening.py.)"""
from __future__ import annotations

import os
import time
from types import SimpleNamespace

import pytest
from hypothesis import given, settings as hsettings, strategies as st

from conftest import run
from scoring import jobs, jobs_api, netguard
from scoring.engine import Engine
from scoring.models import InvalidSubmission, Submission
from scoring.precheck import precheck
from scoring.settings import Settings
from scoring.speech import store

MCQ = {"item_type": "multiple_choice_single_reading", "response": {"answer": "B"},
       "item": {"answer_key": "B", "options": ["A", "B", "C", "D"]}}


def _settings(tmp_path, **kw) -> Settings:
    return Settings(audio_dir=str(tmp_path / "audio"), engine_preload=False, **kw)


def _errors(fn) -> list[tuple[str, str]]:
    try:
        fn()
    except InvalidSubmission as exc:
        return [(e.field, e.message) for e in exc.errors]
    return []


# ---------------------------------------------------------------- precheck == /score's refusals

@hsettings(max_examples=60, deadline=None)
@given(answer=st.one_of(st.integers(-3, 8), st.sampled_from(["A", "B", "E", "", "b"]),
                        st.lists(st.sampled_from(["A", "B", "Z"]), max_size=3)))
def test_objective_precheck_refuses_exactly_what_scoring_refuses(tmp_path_factory, answer):
    s = _settings(tmp_path_factory.mktemp("p"))
    data = {**MCQ, "response": {"answer": answer}}
    sub = Submission.parse(data)
    assert _errors(lambda: precheck(sub, s)) == _errors(lambda: Engine(s).score(data))


@pytest.mark.parametrize("data,field", [
    ({"item_type": "write_essay", "item": {"prompt": "p"}, "response": {"text": "  "}}, "response.text"),
    ({"item_type": "read_aloud", "item": {"reference_text": "Hi."}, "response": {"text": ""}}, "response.text"),
    ({"item_type": "read_aloud", "item": {"reference_text": "Hi."}, "response": {"audio_id": "A" * 32}},
     "response.audio_id"),
    ({"item_type": "read_aloud", "item": {"reference_text": "Hi."}, "response": {"audio_id": "../etc"}},
     "response.audio_id"),
    ({"item_type": "read_aloud", "item": {"reference_text": "Hi."}, "response": {"audio_url": "ftp://x/a.wav"}},
     "response.audio_url"),
    ({"item_type": "read_aloud", "item": {"reference_text": "Hi."}, "response": {"audio_url": "http://10.0.0.1/a.wav"}},
     "response.audio_url"),
    ({"item_type": "answer_short_question", "item": {"answer_key": [" "]}, "response": {"text": "a cat"}},
     "item.answer_key"),
])
def test_precheck_names_the_field_scoring_would(tmp_path, data, field):
    s = _settings(tmp_path)
    errors = _errors(lambda: precheck(Submission.parse(data), s))
    assert errors and errors[0][0] == field


def test_precheck_keeps_a_used_recording_alive(tmp_path):
    s = _settings(tmp_path)
    d = tmp_path / "audio"
    d.mkdir()
    f = d / ("A" * 32 + ".wav")
    f.write_bytes(b"RIFF")
    old = time.time() - 10 * 86_400
    os.utime(f, (old, old))
    precheck(Submission.parse({"item_type": "read_aloud", "item": {"reference_text": "Hi."},
                               "response": {"audio_id": "A" * 32}}), s)
    assert f.stat().st_mtime > time.time() - 60
    assert store.expire(s) == 0 and f.exists()


def test_audio_unused_for_the_job_ttl_expires(tmp_path):
    s = _settings(tmp_path, job_ttl_s=3600)
    d = tmp_path / "audio"
    d.mkdir()
    fresh, stale = d / "fresh.wav", d / "stale.wav"
    for f in (fresh, stale):
        f.write_bytes(b"x")
    os.utime(stale, (time.time() - 3601, time.time() - 3601))
    assert store.expire(s) == 1
    assert fresh.exists() and not stale.exists()


# ---------------------------------------------------------------- audio URL: resolved once, pinned

def test_audio_url_connects_to_the_address_it_checked(monkeypatch):
    answers = iter([[(2, 1, 6, "", ("93.184.216.34", 443))], [(2, 1, 6, "", ("127.0.0.1", 443))]])
    monkeypatch.setattr(netguard.socket, "getaddrinfo", lambda *a, **k: next(answers))  # rebinding DNS
    parts, address = store.check_url("https://audio.example.org/a.wav?x=1", allow_private=False)
    target, headers, ext = store.pinned(parts, address)
    assert target == "https://93.184.216.34/a.wav?x=1"
    assert headers == {"Host": "audio.example.org"} and ext == {"sni_hostname": "audio.example.org"}


def test_audio_url_pinning_keeps_ports_and_ipv6():
    parts, _ = store.check_url("http://[2001:db8::1]:8080/a.wav", allow_private=True)
    target, headers, _ = store.pinned(parts, "2001:db8::1")
    assert target == "http://[2001:db8::1]:8080/a.wav" and headers == {"Host": "[2001:db8::1]:8080"}


@pytest.mark.parametrize("url", ["http://127.0.0.1/a", "http://[::1]/a", "http://169.254.169.254/latest",
                                 "http://10.1.2.3/a", "http://0.0.0.0/a", "gopher://x/a", "http:///a", "http://x:99999/a"])
def test_internal_or_odd_audio_urls_are_refused(url):
    with pytest.raises(store.FetchRefused):
        store.check_url(url, allow_private=False)


# ---------------------------------------------------------------- Idempotency-Key and back-pressure

def _accepting(ctx, calls: list):
    async def accept():
        calls.append(1)
        job_id = jobs.new_id("job")
        await ctx.state.set(jobs.ACTIVE, job_id, {"job_id": job_id})
        return jobs_api.reply(202, {"job_id": job_id})
    return accept


def test_idempotency_key_replays_the_first_reply(ctx):
    calls: list = []
    req = {"headers": {"idempotency-key": "k-1"}, "body": {"a": 1}}
    first = run(jobs_api.idempotent(ctx, req, "score_async", _accepting(ctx, calls)))
    again = run(jobs_api.idempotent(ctx, req, "score_async", _accepting(ctx, calls)))
    assert len(calls) == 1 and again["body"] == first["body"] and again["headers"]["Idempotent-Replayed"] == "true"
    other_scope = run(jobs_api.idempotent(ctx, req, "batch_score", _accepting(ctx, calls)))
    assert len(calls) == 2 and other_scope["body"] != first["body"]
    changed = run(jobs_api.idempotent(ctx, {**req, "body": {"a": 2}}, "score_async", _accepting(ctx, calls)))
    assert changed["status"] == 422 and changed["body"]["errors"][0]["field"] == "Idempotency-Key"
    plain = run(jobs_api.idempotent(ctx, {"headers": {}, "body": {"a": 1}}, "score_async", _accepting(ctx, calls)))
    assert plain["status"] == 202 and len(calls) == 3


@pytest.mark.parametrize("key", ["", "x" * 201, "bad\nkey"])
def test_malformed_idempotency_keys_are_400(ctx, key):
    r = run(jobs_api.idempotent(ctx, {"headers": {"idempotency-key": key}, "body": {}}, "s", _accepting(ctx, [])))
    assert r["status"] == 400 and r["body"]["errors"][0]["field"] == "Idempotency-Key"


def test_refusals_are_not_remembered(ctx):
    async def refuse():
        return jobs_api.bad("response.text", "required", 422)
    req = {"headers": {"idempotency-key": "k"}, "body": {}}
    run(jobs_api.idempotent(ctx, req, "s", refuse))
    calls: list = []
    assert run(jobs_api.idempotent(ctx, req, "s", _accepting(ctx, calls)))["status"] == 202 and calls


@pytest.mark.parametrize("depth,adding,limit,full", [(0, 1, 2, False), (1, 1, 2, False), (2, 1, 2, True),
                                                      (0, 3, 2, True), (500, 1, 0, False)])
def test_queue_full_past_max_queue_depth(ctx, depth, adding, limit, full):
    for i in range(depth):
        run(ctx.state.set(jobs.ACTIVE, f"job_{i}", {"job_id": f"job_{i}"}))
    r = run(jobs_api.queue_full(ctx, {"max_queue_depth": limit}, adding))
    assert (r is not None) == full
    if full:
        assert r["status"] == 503 and int(r["headers"]["Retry-After"]) > 0 and r["body"]["errors"][0]["field"] == "queue"


def test_a_state_call_cut_by_a_redis_reset_is_503_other_errors_raise():
    async def reset():
        raise Exception("SocketClosedUnexpectedlyError: Socket closed unexpectedly")

    async def bug():
        raise KeyError("job_id")
    r = run(jobs_api.state_or_503(reset))
    assert r["status"] == 503 and r["headers"]["Retry-After"] and r["body"]["errors"][0]["field"] == "state"
    with pytest.raises(KeyError):
        run(jobs_api.state_or_503(bug))


def test_metrics_count_step_timeouts():
    totals = jobs.fold(jobs.empty_totals(), [{"kind": "step_timeout", "step": "JobSweeper"}] * 2)
    assert totals["counters"]['pte_step_timeouts_total{step="JobSweeper"}'] == 2


def test_engine_accept_answers_like_score(tmp_path):
    from starlette.testclient import TestClient

    from scoring.server import create_app
    s = _settings(tmp_path, ai_mode="off")
    with TestClient(create_app(s)) as c:
        bad = {**MCQ, "response": {"answer": 7}}
        accepted = c.post("/accept", json={"submissions": [MCQ, bad]}).json()
        scored = c.post("/score", json=bad).json()
    assert "errors" not in accepted["results"][0]
    assert accepted["results"][1]["errors"] == scored["errors"]
    assert accepted["max_queue_depth"] == s.max_queue_depth
