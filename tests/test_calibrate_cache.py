"""bench/calibrate.py's feature cache is dropped when what the features were computed with changes
(analysis code, rule parameters, embedding model), and kept otherwise. No data needed."""
from __future__ import annotations

import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "bench"))

import calibrate as CAL  # noqa: E402


@pytest.fixture
def cache(tmp_path, monkeypatch):
    monkeypatch.setattr(CAL, "CACHE", tmp_path)
    return tmp_path


def test_cache_kept_while_the_fingerprint_holds_and_dropped_when_it_changes(cache):
    CAL._drop_stale_cache("a")  # a new cache: nothing to drop, the fingerprint is recorded
    (cache / "ellipse.jsonl").write_text('{"id": "1"}\n')
    (cache / "harper_rules.json").write_text("[]")
    CAL._drop_stale_cache("a")
    assert (cache / "ellipse.jsonl").exists()
    CAL._drop_stale_cache("b")
    assert not (cache / "ellipse.jsonl").exists()
    assert (cache / "harper_rules.json").exists()  # not a feature file
    assert (cache / "fingerprint").read_text().strip() == "b"


def test_fingerprint_follows_the_rule_parameters():
    params = dict(CAL.PARAMS, harper_rules=["A"])
    assert CAL.features_fingerprint(params) == CAL.features_fingerprint(dict(params))
    assert CAL.features_fingerprint(params) != CAL.features_fingerprint(dict(params, harper_rules=["A", "B"]))
    assert CAL.features_fingerprint(params) != CAL.features_fingerprint(dict(params, cover_threshold=0.6))
