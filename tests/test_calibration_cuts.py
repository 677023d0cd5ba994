"""Cut-point choice and the weighted ridge (scoring/calibration.py): optimised shares stay within the
allowed spread and never correlate worse with the human scores than the quantile-matched start; a row
weight acts as repeating the row. No data needed."""
from __future__ import annotations

import numpy as np
from hypothesis import given, settings, strategies as st

from scoring import calibration as C


def _data(seed: int, n: int = 400):
    rng = np.random.default_rng(seed)
    y = np.clip(np.round((3.1 + 0.6 * rng.standard_normal(n)) * 2) / 2, 1, 5)
    latent = 3.1 + 0.6 * (0.6 * (y - 3.1) / 0.6 + 0.8 * rng.standard_normal(n)) * 0.5
    levels = np.digitize(y, [2.75, 3.75]).astype(float)
    return latent, y, levels


@settings(max_examples=15, deadline=None)
@given(st.integers(0, 10_000))
def test_optimised_shares_respect_bounds_and_do_not_lose(seed):
    latent, y, levels = _data(seed)
    shares = C.optimised_shares(latent, y, levels, 2)
    assert all(0 <= a <= b <= 1 for a, b in zip([0.0] + shares[:-1], shares))
    cuts = C.share_cuts(latent, shares)
    ints = np.array([C.cut(v, cuts) for v in latent])
    got = np.bincount(ints, minlength=3) / len(ints)
    for s, (lo, hi) in zip(got, C.share_bounds(levels, 2)):
        assert lo - 0.01 <= s <= hi + 0.01
    base = np.array([C.cut(v, C.quantile_cuts(latent, levels, 2)) for v in latent])
    assert C.pearson(ints, y) >= C.pearson(base, y) - 0.005


def test_share_bounds_follow_the_human_shares():
    levels = np.array([0] * 20 + [1] * 60 + [2] * 20, float)
    b = C.share_bounds(levels, 2)
    assert np.allclose(b[1], (0.6 * 2 / 3, 0.9)) and np.allclose(b[0], (0.2 * 2 / 3, 0.3))


@settings(max_examples=40, deadline=None)
@given(st.integers(min_value=0, max_value=10_000), st.integers(min_value=1, max_value=4))
def test_a_row_weight_is_the_same_as_repeating_the_row(seed, times):
    """fit_ridge's row weights (the level model weighs FCE rows so that each set counts the same)."""
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(30, 3))
    y = X @ np.array([1.0, -0.5, 0.2]) + rng.normal(0, 0.3, 30)
    w = np.ones(30)
    w[:5] = times
    weighted = C.fit_ridge(X, y, 2.0, w)
    repeated = C.fit_ridge(np.vstack([X] + [X[:5]] * (times - 1)), np.concatenate([y] + [y[:5]] * (times - 1)), 2.0)
    probe = rng.normal(size=(4, 3))
    assert np.allclose(C.predict(probe, *weighted), C.predict(probe, *repeated), atol=1e-9)
