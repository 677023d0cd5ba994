"""The long-lived scoring engine: loads every model once, then scores submissions."""
from __future__ import annotations

import time
from typing import Any, Optional, Union

from scoring import items as _items  # noqa: F401  (registers every item scorer and resource)
from scoring.models import InvalidSubmission, ScoreResult, Submission
from scoring.registry import SCORERS, Resources
from scoring.results import finalize
from scoring.settings import Settings, get_settings


class Engine:
    def __init__(self, settings: Optional[Settings] = None, preload: bool = False):
        self.settings = settings or get_settings()
        self.resources = Resources(self.settings)
        self.load_ms: dict[str, float] = {}
        if preload:
            self.load()

    def load(self) -> dict[str, float]:
        """Load every registered model now (otherwise each loads on first use)."""
        self.load_ms = self.resources.load_all()
        return self.load_ms

    def score(self, submission: Union[Submission, dict[str, Any]]) -> ScoreResult:
        sub = submission if isinstance(submission, Submission) else Submission.parse(submission)
        fn = SCORERS.get(sub.item_type)
        if fn is None:
            raise InvalidSubmission.one("item_type", f"no scorer registered for {sub.item_type}")
        t0 = time.perf_counter()
        result = finalize(sub.item_type, fn(sub, self.resources))
        result.timings_ms["engine"] = round((time.perf_counter() - t0) * 1000, 2)
        return result


_default: Optional[Engine] = None


def default_engine() -> Engine:
    global _default
    if _default is None:
        _default = Engine()
    return _default


def score(submission: Union[Submission, dict[str, Any]]) -> ScoreResult:
    """Score one submission with the process-wide default engine (models load on first use)."""
    return default_engine().score(submission)
