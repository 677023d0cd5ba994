"""PTE Academic scoring engine: rubric-exact scoring of all 22 item types, with evidence.

    from scoring import score
    result = score({"item_type": "write_from_dictation", "response": {"text": "..."},
                    "item": {"reference_text": "..."}})

Importing `scoring` is cheap; the models load in `Engine.load()` or on first use."""
from __future__ import annotations

from typing import TYPE_CHECKING, Any

__all__ = ["score", "Engine", "Submission", "ScoreResult", "InvalidSubmission"]

if TYPE_CHECKING:
    from scoring.engine import Engine, score
    from scoring.models import InvalidSubmission, ScoreResult, Submission


def __getattr__(name: str) -> Any:  # lazy, so that `import scoring.models` in a step stays light
    if name in ("score", "Engine"):
        # importlib, not an import statement: `motia build` follows import statements to decide which
        # third-party packages a step's bundle needs, and steps call the engine, they never load its models
        import importlib
        return getattr(importlib.import_module("scoring.engine"), name)
    if name in ("Submission", "ScoreResult", "InvalidSubmission"):
        from scoring import models
        return getattr(models, name)
    raise AttributeError(name)
