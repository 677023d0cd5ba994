"""The stored calibration (scoring/data/calibration.json) against the shared human-scored data.

Skips when ../shared/data is absent. Recomputes features for a fixed random subsample with the
engine's analysis code and checks that the stored models still agree with the humans about as well
as cross-validation said when they were fitted (tolerance for the subsample's sampling error), and
that a refit on the subsample makes nearly the same predictions (r >= 0.8) as the stored model."""
from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import pytest

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "bench"))

import calibrate as CAL  # noqa: E402
from scoring import calibration as C  # noqa: E402

pytestmark = [pytest.mark.data, pytest.mark.skipif(not (CAL.DATA / "ellipse" / "dev.csv").exists(),
                                                   reason="needs ../shared/data")]
N = 150
TOLERANCE = 0.15


@pytest.fixture(scope="module")
def cal():
    return C.load_calibration()


_FEATS: dict = {}


def _features(set_name, rows):
    if set_name not in _FEATS:  # computed afresh with the current code, not read from the bench cache
        feats = CAL.features_for(set_name, rows, use_cache=False)
        level = C.load_calibration().model("writing.gse")
        for f in feats:  # the essay trait models' input from the level model, as the engine adds it
            f[C.WRITING_LEVEL] = level.latent(f)
        _FEATS[set_name] = feats
    return _FEATS[set_name]


def _check(cal, model_name, set_name, rows):
    m = cal.raw["models"][model_name]
    feats = _features(set_name, rows)
    model = cal.model(model_name)
    latent = np.array([model.latent(f) for f in feats])
    y = np.array([CAL.target_of(r, m["target"].split(":")[1]) for r in rows])
    r = C.pearson(latent, y)
    assert r >= m["cv_r"] - TOLERANCE, f"{model_name}: r={r:.3f} on {len(rows)} rows, stored CV r={m['cv_r']}"
    X = np.array([[f.get(k, 0.0) for k in m["features"]] for f in feats])
    mu, sd, w, b = C.fit_ridge(X, y, m["alpha"])
    refit = C.predict(X, mu, sd, w, b)
    agree = C.pearson(refit, latent)
    assert agree >= 0.8, f"{model_name}: a refit on {len(rows)} rows ranks them differently (r={agree:.2f})"


@pytest.mark.parametrize("name", ["essay.content", "essay.dsc", "essay.grammar", "essay.glr", "essay.vocabulary_range"])
def test_ellipse_models_reproduce(cal, name):
    _check(cal, name, "ellipse", CAL.ellipse(N))


def test_summary_content_reproduces(cal):
    _check(cal, "summary.content", "commonlit", CAL.commonlit(N))


def test_writing_level_reproduces(cal):
    _check(cal, "writing.gse", "wi", CAL.wi(N))


def test_writing_level_ranks_fce_scripts(cal):
    """The level model is fitted on W&I together with FCE exam scores (linked onto the GSE scale)."""
    m = cal.raw["models"]["writing.gse"]
    assert m["also"]["target"] == "fce:script_s"
    rows = CAL.fce(N)
    latent = [cal.model("writing.gse").latent(f) for f in _features("fce", rows)]
    r = C.pearson(latent, [x["script_s"] for x in rows])
    assert r >= m["cv_r_fce"] - TOLERANCE, f"FCE r={r:.3f}, stored CV r={m['cv_r_fce']}"


def test_cuts_are_ordered_and_cover_the_scale(cal):
    from scoring.catalogue import CATALOGUE
    for name, m in cal.raw["models"].items():
        cuts = m["cuts"]
        assert cuts == sorted(cuts), name
    assert len(cal.raw["models"]["essay.content"]["cuts"]) == CATALOGUE.item("write_essay").traits["content"].max
    assert len(cal.raw["models"]["summary.content"]["cuts"]) == CATALOGUE.item("summarize_written_text").traits["content"].max
