"""The benches' feature caches (bench/feature_cache.py) are dropped when what the features were
computed with changes (analysis code, rule parameters, models, settings), and kept otherwise. No data needed."""
from __future__ import annotations

import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "bench"))

import calibrate as CAL  # noqa: E402
from bench import feature_cache  # noqa: E402


def test_cache_kept_while_the_fingerprint_holds_and_dropped_when_it_changes(tmp_path):
    stamp, cached = tmp_path / "fingerprint", tmp_path / "ellipse.jsonl"
    feature_cache.drop_stale(stamp, [cached], "a")  # a new cache: nothing to drop, the fingerprint is recorded
    cached.write_text('{"id": "1"}\n')
    feature_cache.drop_stale(stamp, [cached], "a")
    assert cached.exists()
    feature_cache.drop_stale(stamp, [cached], "b")
    assert not cached.exists() and stamp.read_text().strip() == "b"


def test_fingerprint_follows_file_contents_and_extra_values(tmp_path):
    code = tmp_path / "features.py"
    code.write_text("x = 1\n")
    fp = feature_cache.fingerprint([code], "AVX2")
    assert fp == feature_cache.fingerprint([code], "AVX2")
    assert fp != feature_cache.fingerprint([code], "native")
    code.write_text("x = 2\n")
    assert fp != feature_cache.fingerprint([code], "AVX2")


def test_written_features_fingerprint_follows_the_rule_parameters():
    params = dict(CAL.PARAMS, harper_rules=["A"])
    assert CAL.features_fingerprint(params) == CAL.features_fingerprint(dict(params))
    assert CAL.features_fingerprint(params) != CAL.features_fingerprint(dict(params, harper_rules=["A", "B"]))
    assert CAL.features_fingerprint(params) != CAL.features_fingerprint(dict(params, cover_threshold=0.6))
