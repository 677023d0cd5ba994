"""Speech scoring parameters, stored as data in `scoring/data/speech_calibration.json`.

Thresholds (pause lengths, content cut-offs) are set by hand from the descriptors; the few linear
coefficients of fluency and pronunciation are fitted on speechocean762 by
`python -m bench.speech --fit` (cross-validated; see docs/speech.md)."""
from __future__ import annotations

import json
from functools import lru_cache
from pathlib import Path
from typing import Any

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
