"""Who may send what to an AI: the policy checks made before any provider is asked, and the shape
of the AI partial. Light to import (no HTTP client), so the aggregator step can use it."""
from __future__ import annotations

from typing import Any, Optional

from scoring.ai.prompts import PROMPT_VERSION, ai_traits
from scoring.catalogue import CATALOGUE
from scoring.models import Submission
from scoring.settings import Settings

DISABLED_BY_POLICY = ("disabled by policy (AI_SHARE_RESPONSES=false): learner responses are never sent "
                      "to a third-party AI")


def partial(status: str, reason: Optional[str] = None, **extra: Any) -> dict[str, Any]:
    return {"source": "ai", "status": status, "reason": reason, "provider": None, "model": None,
            "traits": {}, "cached": False, "attempts": [], "prompt_version": PROMPT_VERSION, **extra}


def policy_block(settings: Settings, sub: Submission) -> Optional[dict[str, Any]]:
    """A partial saying why the AI is not asked, or None when it may be asked."""
    if settings.ai_mode == "off":
        return partial("off", "AI scoring is off (AI_MODE=off)")
    if not settings.ai_share_responses:
        return partial("disabled", DISABLED_BY_POLICY)
    if sub.options.ai is False:
        return partial("skipped", "AI scoring turned off for this submission (options.ai=false)")
    spec = CATALOGUE.item(sub.item_type)
    if spec.mode == "objective":
        return partial("skipped", "objective item: scored by the answer key only, never by an AI")
    if not ai_traits(sub.item_type):
        return partial("skipped", f"no trait of {spec.name} is judged by an AI (counted against a key or reference, or needs audio)")
    return None
