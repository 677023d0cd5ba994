"""Scorers and resources registered by name (the spaCy-registry pattern).

Adding an item type is one catalogue row plus one function decorated with `@scorer("code")`;
the engine never grows an if/elif. Heavy models are `@resource`s: loaded once per Engine."""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Callable, Optional

from scoring.models import Advisory, Estimate, Submission, TraitResult


@dataclass
class ItemScore:
    """What an item scorer returns before the engine applies gates and totals."""

    traits: dict[str, TraitResult]
    warnings: list[str] = field(default_factory=list)
    estimate: Optional[Estimate] = None
    advisories: list[Advisory] = field(default_factory=list)


ScorerFn = Callable[[Submission, "Resources"], ItemScore]
LoaderFn = Callable[[Any], Any]  # settings -> loaded resource

SCORERS: dict[str, ScorerFn] = {}
LOADERS: dict[str, LoaderFn] = {}


def scorer(*item_types: str) -> Callable[[ScorerFn], ScorerFn]:
    def register(fn: ScorerFn) -> ScorerFn:
        for code in item_types:
            if code in SCORERS:
                raise ValueError(f"scorer for {code} registered twice")
            SCORERS[code] = fn
        return fn
    return register


def resource(name: str) -> Callable[[LoaderFn], LoaderFn]:
    def register(fn: LoaderFn) -> LoaderFn:
        LOADERS[name] = fn
        return fn
    return register


class Resources:
    """Named, lazily loaded models and data shared by scorers; `load_all` warms every one."""

    def __init__(self, settings: Any):
        self.settings = settings
        self._loaded: dict[str, Any] = {}
        self.load_ms: dict[str, float] = {}

    def get(self, name: str) -> Any:
        if name not in self._loaded:
            import time
            t0 = time.perf_counter()
            self._loaded[name] = LOADERS[name](self.settings)
            self.load_ms[name] = round((time.perf_counter() - t0) * 1000, 1)
        return self._loaded[name]

    def load_all(self, names: Optional[list[str]] = None) -> dict[str, float]:
        for name in names or list(LOADERS):
            self.get(name)
        return dict(self.load_ms)

    def loaded(self) -> list[str]:
        return sorted(self._loaded)
