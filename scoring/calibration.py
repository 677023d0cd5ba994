"""Calibrated trait models for the written items: a few named features -> a latent score on the
human raters' scale (a small ridge-regularised linear model on standardised features) -> the
official integer scale by cut-points (chosen so that scores spread over the range the way the
human scores do). Parameters live in `scoring/data/calibration.json`, written by
`bench/calibrate.py` (fitting code below; no data in the repo).

A trait model in the JSON:
    {"features": [...], "mean": [...], "sd": [...], "weights": [...], "intercept": 3.1,
     "cuts": [c1, ..., c_max], "target": "ELLIPSE Grammar", "cv_r": 0.6}
score = number of cuts <= latent (so 0..len(cuts)).
"""
from __future__ import annotations

import json
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any, Mapping, Optional, Sequence

import numpy as np

CALIBRATION_PATH = Path(__file__).parent / "data" / "calibration.json"
# input of the essay trait models: the writing-level model's latent (GSE), fitted before them on other sets
WRITING_LEVEL = "writing_level"


@dataclass(frozen=True)
class TraitModel:
    name: str
    features: tuple[str, ...]
    mean: tuple[float, ...]
    sd: tuple[float, ...]
    weights: tuple[float, ...]
    intercept: float
    cuts: tuple[float, ...]
    lo: Optional[float] = None  # latent clamp (the human scale's range)
    hi: Optional[float] = None

    def latent(self, feats: Mapping[str, float]) -> float:
        z = self.intercept + sum(w * (float(feats.get(f, m)) - m) / s
                                 for f, m, s, w in zip(self.features, self.mean, self.sd, self.weights))
        if self.lo is not None:
            z = max(self.lo, z)
        if self.hi is not None:
            z = min(self.hi, z)
        return float(z)

    def contributions(self, feats: Mapping[str, float]) -> dict[str, float]:
        return {f: round(w * (float(feats.get(f, m)) - m) / s, 4)
                for f, m, s, w in zip(self.features, self.mean, self.sd, self.weights)}

    def score(self, feats: Mapping[str, float]) -> int:
        return cut(self.latent(feats), self.cuts)

    @classmethod
    def from_json(cls, name: str, d: Mapping[str, Any]) -> "TraitModel":
        return cls(name=name, features=tuple(d["features"]), mean=tuple(d["mean"]), sd=tuple(d["sd"]),
                   weights=tuple(d["weights"]), intercept=float(d["intercept"]), cuts=tuple(d["cuts"]),
                   lo=d.get("lo"), hi=d.get("hi"))


def cut(latent: float, cuts: Sequence[float]) -> int:
    return int(sum(1 for c in cuts if latent >= c))


@dataclass(frozen=True)
class Calibration:
    raw: dict

    def model(self, name: str) -> TraitModel:
        return TraitModel.from_json(name, self.raw["models"][name])

    def param(self, name: str) -> Any:
        return self.raw["params"][name]


@lru_cache(maxsize=4)
def load_calibration(path: Path = CALIBRATION_PATH) -> Calibration:
    return Calibration(json.loads(Path(path).read_text()))


# ---------------------------------------------------------------- fitting (used by bench/calibrate.py)

def standardise(X: np.ndarray, weights: Optional[np.ndarray] = None) -> tuple[np.ndarray, np.ndarray]:
    mu = np.average(X, axis=0, weights=weights)
    sd = np.sqrt(np.average((X - mu) ** 2, axis=0, weights=weights))
    sd[sd < 1e-9] = 1.0
    return mu, sd


def fit_ridge(X: np.ndarray, y: np.ndarray, alpha: float = 1.0,
              weights: Optional[np.ndarray] = None) -> tuple[np.ndarray, np.ndarray, np.ndarray, float]:
    """Ridge regression on standardised features: returns mean, sd, weights, intercept. `weights`
    (one per row, optional) weigh the rows' squared errors, means and spreads."""
    sw = np.ones(len(y)) if weights is None else np.asarray(weights, float)
    mu, sd = standardise(X, sw)
    Z = (X - mu) / sd
    b = float(np.average(y, weights=sw))
    p = Z.shape[1]
    w = np.linalg.solve((Z * sw[:, None]).T @ Z + alpha * np.eye(p), (Z * sw[:, None]).T @ (y - b))
    return mu, sd, w, b


def predict(X: np.ndarray, mu: np.ndarray, sd: np.ndarray, w: np.ndarray, b: float) -> np.ndarray:
    return b + ((X - mu) / sd) @ w


def quantile_cuts(latent: np.ndarray, target_levels: np.ndarray, max_score: int) -> list[float]:
    """Cut-points on the latent so the share of each integer score matches the share of the human
    scores at that level (`target_levels`: human scores mapped onto 0..max_score)."""
    cuts = []
    for k in range(1, max_score + 1):
        share_below = float(np.mean(target_levels < k))
        if share_below <= 0:
            cuts.append(float(latent.min()) - 1e-6)
        elif share_below >= 1:
            cuts.append(float(latent.max()) + 1e-6)
        else:
            cuts.append(float(np.quantile(latent, share_below)))
    return [round(c, 4) for c in cuts]


CUT_GAIN = 0.01  # nested-CV gain in integer r needed to use optimised shares instead of quantile-matched cut-points


def share_bounds(target_levels: np.ndarray, max_score: int, lo: float = 2 / 3, hi: float = 1.5,
                 floor: float = 0.01) -> list[tuple[float, float]]:
    """Allowed share of each integer score: between `lo` and `hi` times the human share (at least up to
    `floor` for levels the humans hardly use), so the scores keep a human-like spread."""
    out = []
    for k in range(max_score + 1):
        h = float(np.mean(target_levels == k))
        out.append((lo * h, max(hi * h, floor)))
    return out


def optimised_shares(cv_latent: np.ndarray, y: np.ndarray, target_levels: np.ndarray, max_score: int,
                     step: float = 0.025, passes: int = 3) -> list[float]:
    """Cumulative shares p_1 < ... < p_max (cut k at the latent's p_k quantile) that maximise the Pearson r
    of the integer score with the human score `y` on out-of-fold latents, each level's share kept within
    `share_bounds`. Coordinate ascent from the human shares (the quantile-matched cuts)."""
    bounds = share_bounds(target_levels, max_score)
    p = [float(np.mean(target_levels < k)) for k in range(1, max_score + 1)]
    order = np.sort(cv_latent)

    def score(ps: list[float]) -> float:
        cuts = [order[min(int(q * len(order)), len(order) - 1)] if 0 < q < 1 else (order[0] - 1 if q <= 0 else order[-1] + 1) for q in ps]
        ints = np.searchsorted(np.asarray(cuts), cv_latent, side="right")
        shares = np.bincount(ints, minlength=max_score + 1) / len(ints)
        if any(not (b[0] - 1e-9 <= s <= b[1] + 1e-9) for s, b in zip(shares, bounds)):
            return -np.inf
        return pearson(ints, y)

    best = score(p)
    if not np.isfinite(best):
        return p
    for _ in range(passes):
        improved = False
        for k in range(max_score):
            lo = p[k - 1] if k > 0 else 0.0
            hi = p[k + 1] if k + 1 < max_score else 1.0
            for q in np.arange(lo, hi + 1e-9, step / 2 if max_score > 2 else step):
                trial = p[:k] + [float(q)] + p[k + 1:]
                s = score(trial)
                if s > best + 1e-6:
                    best, p, improved = s, trial, True
        if not improved:
            break
    return [round(q, 4) for q in p]


def share_cuts(latent: np.ndarray, shares: Sequence[float]) -> list[float]:
    """Cut-points at the latent's quantiles for the cumulative shares."""
    return [round(float(np.quantile(latent, q)) if 0 < q < 1 else (float(latent.min()) - 1e-6 if q <= 0 else float(latent.max()) + 1e-6), 4)
            for q in shares]


def kfold_indices(n: int, k: int, seed: int = 0) -> list[np.ndarray]:
    idx = np.random.default_rng(seed).permutation(n)
    return [idx[i::k] for i in range(k)]


def cross_val_predict(X: np.ndarray, y: np.ndarray, alpha: float, k: int = 5, seed: int = 0,
                      weights: Optional[np.ndarray] = None) -> np.ndarray:
    out = np.zeros(len(y))
    for fold in kfold_indices(len(y), k, seed):
        train = np.setdiff1d(np.arange(len(y)), fold)
        mu, sd, w, b = fit_ridge(X[train], y[train], alpha, None if weights is None else weights[train])
        out[fold] = predict(X[fold], mu, sd, w, b)
    return out


def pearson(a: Sequence[float], b: Sequence[float]) -> float:
    a, b = np.asarray(a, float), np.asarray(b, float)
    if len(a) < 3 or a.std() == 0 or b.std() == 0:
        return float("nan")
    return float(np.corrcoef(a, b)[0, 1])


def spearman(a: Sequence[float], b: Sequence[float]) -> float:
    from scipy.stats import spearmanr
    a, b = np.asarray(a, float), np.asarray(b, float)
    if len(a) < 3 or a.std() == 0 or b.std() == 0:
        return float("nan")
    return float(spearmanr(a, b).statistic)


def qwk(a: Sequence[int], b: Sequence[int]) -> float:
    """Quadratic weighted kappa between two integer ratings."""
    a, b = np.asarray(a, int), np.asarray(b, int)
    lo, hi = min(a.min(), b.min()), max(a.max(), b.max())
    n = hi - lo + 1
    if n < 2:
        return float("nan")
    O = np.zeros((n, n))
    for x, y in zip(a - lo, b - lo):
        O[x, y] += 1
    W = np.array([[(i - j) ** 2 for j in range(n)] for i in range(n)]) / (n - 1) ** 2
    E = np.outer(O.sum(1), O.sum(0)) / O.sum()
    den = (W * E).sum()
    return float(1 - (W * O).sum() / den) if den else float("nan")
