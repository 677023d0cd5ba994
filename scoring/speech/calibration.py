"""Speech scoring parameters, stored as data in `scoring/data/speech_calibration.json`.

Thresholds (pause lengths, content cut-offs) are set by hand from the descriptors; the few linear
coefficients of fluency and pronunciation, and the cut-points that map their model value to the
integer 0-5 score, are fitted on speechocean762 by `python -m bench.speech --fit` (nested
cross-validation; see docs/speech.md)."""
from __future__ import annotations

import json
from functools import lru_cache
from pathlib import Path
from typing import Any

from scoring.calibration import cut

PATH = Path(__file__).resolve().parent.parent / "data" / "speech_calibration.json"


@lru_cache(maxsize=1)
def load(path: Path = PATH) -> dict[str, Any]:
    return json.loads(path.read_text())


def linear(model: dict[str, Any], features: dict[str, float]) -> float:
    """intercept + sum(coef * feature); a missing feature counts as its stated default."""
    x = model["intercept"]
    for name, c in model["coef"].items():
        x += c * float(features.get(name, model.get("defaults", {}).get(name, 0.0)))
    return x


def to_score(value: float, model: dict[str, Any], max_score: int = 5) -> int:
    """The integer trait score of a model value: the number of the model's cut-points at or below
    it (`model["cuts"]`: monotone thresholds for 1..max_score, chosen by `bench.speech --fit`; the
    same rule as the written traits, scoring.calibration.cut), or the value rounded when the model
    has no cuts; always within 0..max_score (rule caps are applied by the caller)."""
    cuts = model.get("cuts")
    s = cut(value, cuts) if cuts else round(value) if value == value else 0
    return int(min(max(s, 0), max_score))
