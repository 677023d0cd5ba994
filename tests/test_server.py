"""The warm engine server: in-process (Starlette TestClient) and as a real process on 127.0.0.1."""
from __future__ import annotations

import threading
import time

import httpx
import pytest
from starlette.testclient import TestClient

from scoring.server import create_app
from scoring.settings import Settings

WFD = {"item_type": "write_from_dictation", "response": {"text": "the cat sat on the mat"},
       "item": {"reference_text": "The cat sat on the mat."}}


@pytest.fixture(scope="module")
def api():
    with TestClient(create_app(Settings(engine_preload=False, max_body_bytes=50_000, ai_mode="off"))) as c:
        yield c


def test_health_reports_versions_and_scorers(api):
    t0 = time.time()
    while api.get("/health").json()["status"] == "loading" and time.time() - t0 < 30:
        time.sleep(0.1)
    h = api.get("/health").json()
    assert h["status"] == "ok" and h["rule_version"] and h["version"]
    assert "write_from_dictation" in h["scorers"] and isinstance(h["load_ms"], dict)
    assert h["extensions"]["scoring.ai.http"] in ("mounted", "absent")


def test_score_returns_a_score_result(api):
    r = api.post("/score", json=WFD)
    assert r.status_code == 200
    body = r.json()
    assert body["score"] == 6 and body["max_score"] == 6 and body["timings_ms"]["engine"] >= 0


def test_invalid_submission_is_422_with_field_paths(api):
    r = api.post("/score", json={"item_type": "write_from_dictation", "response": {"text": 3}})
    assert r.status_code == 422
    fields = {e["field"] for e in r.json()["errors"]}
    assert "response.text" in fields
    r = api.post("/score", content=b"[1,", headers={"content-type": "application/json"})
    assert r.status_code == 422 and r.json()["errors"] == [{"field": "body", "message": "must be valid JSON"}]
    r = api.post("/score", json=[1, 2])
    assert r.status_code == 422 and r.json()["errors"][0]["field"] == "body"


def test_local_audio_paths_are_refused_over_http(api, tmp_path):
    """response.audio_path is for the CLI on the scorer's own machine: over HTTP it would let a client
    make the engine read (and probe for) server files."""
    secret = tmp_path / "secret.wav"
    secret.write_bytes(b"RIFF")
    sub = {"item_type": "read_aloud", "item": {"reference_text": "a b"}, "response": {"audio_path": str(secret)}}
    for path in ("/score", "/ai/hybrid_score"):
        r = api.post(path, json=sub)
        if r.status_code == 404:  # the AI extension is not mounted in this build
            continue
        assert r.status_code == 422, (path, r.text)
        assert [e["field"] for e in r.json()["errors"]] == ["response.audio_path"]


def test_api_steps_refuse_local_audio_paths():
    from scoring.jobs_api import prefixed, validate
    errors = validate({"item_type": "read_aloud", "item": {"reference_text": "a b"},
                       "response": {"audio_path": "/etc/passwd"}})
    assert [e["field"] for e in prefixed(errors, "submissions.3.")] == ["submissions.3.response.audio_path"]


def test_accept_validates_for_the_api_steps_and_decides_the_ai_partial(api):
    """POST /accept: what the light API steps ask instead of loading pydantic themselves."""
    bad_audio = {"item_type": "read_aloud", "item": {"reference_text": "a b"}, "response": {"audio_path": "/etc/passwd"}}
    r = api.post("/accept", json={"submissions": [WFD, bad_audio, {"item_type": "x"}]})
    assert r.status_code == 200
    out = r.json()
    ok, bad_path, unknown = out["results"]
    assert "errors" not in ok and ok["ai_plan"]["status"] in ("off", "skipped")  # objective item: never an AI
    assert [e["field"] for e in bad_path["errors"]] == ["response.audio_path"]
    assert unknown["errors"][0]["field"] == "item_type"
    assert out["job_ttl_s"] > 0 and out["engine"]["timeout_s"] > 0
    assert api.post("/accept", json={"submissions": "no"}).status_code == 422


def test_too_large_is_413(api):
    r = api.post("/score", json={**WFD, "response": {"text": "a " * 40_000}})
    assert r.status_code == 413


def test_combine_without_ai_keeps_the_local_result(api):
    local = api.post("/score", json=WFD).json()
    r = api.post("/combine", json={"local_result": local, "ai_partial": None})
    assert r.status_code == 200 and r.json()["score"] == local["score"]
    assert api.post("/combine", json={"local_result": 3}).json()["errors"][0]["field"] == "local_result"


def test_assess_gives_an_estimate_and_names_bad_fields(api):
    local = api.post("/score", json=WFD).json()
    r = api.post("/assess", json={"items": [local]})
    assert r.status_code == 200 and r.json()["overall"]["gse"] == 90
    r = api.post("/assess", json={"items": [{"item_type": "write_from_dictation", "score": 9, "max_score": 2}]})
    assert r.status_code == 422 and r.json()["errors"][0]["field"].startswith("items.0")
    assert api.post("/assess", json={"items": []}).status_code == 422


def test_real_server_health_stays_responsive_while_scoring(engine_server):
    """Scoring runs in worker threads: /health answers while several scores are in flight."""
    long_text = ("technology changes how students learn and how teachers teach " * 220).strip()
    essay = {"item_type": "write_from_dictation", "item": {"reference_text": long_text},
             "response": {"text": long_text.replace("teachers", "people")}}
    results = []

    def post():
        results.append(httpx.post(engine_server.url + "/score", json=essay, timeout=120).status_code)

    threads = [threading.Thread(target=post) for _ in range(4)]
    for t in threads:
        t.start()
    health_ms = []
    while any(t.is_alive() for t in threads):
        t0 = time.perf_counter()
        assert httpx.get(engine_server.url + "/health", timeout=5).status_code == 200
        health_ms.append((time.perf_counter() - t0) * 1000)
        time.sleep(0.05)
    for t in threads:
        t.join()
    assert results == [200] * 4
    assert health_ms and max(health_ms) < 2000, health_ms


def test_real_server_loads_models_at_start(engine_server):
    h = httpx.get(engine_server.url + "/health").json()
    assert h["status"] == "ok" and sorted(h["models_loaded"]) == sorted(h["models_registered"])


def test_env_example_lists_every_setting():
    import re
    from pathlib import Path

    text = (Path(__file__).resolve().parents[1] / ".env.example").read_text()
    names = {m.group(1).lower() for m in re.finditer(r"^(?:# )?([A-Z][A-Z0-9_]*)=", text, re.M)}
    missing = set(Settings.model_fields) - names
    assert not missing, f"{missing}: run python_modules/bin/python scripts/env_example.py"


def test_a_broken_extension_does_not_take_the_engine_down(tmp_path, monkeypatch):
    import scoring.server as server

    (tmp_path / "broken_ext_for_test.py").write_text("raise RuntimeError('boom')\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    monkeypatch.setattr(server, "EXTENSIONS", ("broken_ext_for_test", "scoring.nonexistent.http"))
    with TestClient(create_app(Settings(engine_preload=False, ai_mode="off"))) as c:
        ext = c.get("/health").json()["extensions"]
        assert ext["broken_ext_for_test"].startswith("error: RuntimeError")
        assert ext["scoring.nonexistent.http"] == "absent"
        assert c.post("/score", json=WFD).status_code == 200


def test_warm_extensions_calls_each_warm_and_survives_a_failing_one(monkeypatch, caplog):
    import sys
    import types

    from scoring import server

    calls = []
    good, bad = types.ModuleType("good_ext"), types.ModuleType("bad_ext")
    good.warm = lambda: calls.append("good")
    bad.warm = lambda: 1 / 0
    monkeypatch.setitem(sys.modules, "good_ext", good)
    monkeypatch.setitem(sys.modules, "bad_ext", bad)
    monkeypatch.setattr(server, "EXTENSIONS", ("bad_ext", "good_ext", "absent_ext"))
    server.warm_extensions()
    assert calls == ["good"] and "bad_ext failed to warm" in caplog.text
