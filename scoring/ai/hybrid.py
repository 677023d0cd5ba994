"""Combine the local score with an AI rater's partial: a pure function, no I/O.

Rule (per AI-judged trait, when both scores exist):
    combined = round_half_up((1 - w) * local + w * ai),  w = Settings.ai_weight (default 0.5)
which always lies between the two scores and on the trait's integer scale. Then:
- the official gates are recomputed on the combined traits by `scoring.results.finalize`;
- a gate trait (Content, Form) that scored 0 locally stays 0: an AI can never lift a gated response;
- |ai - local| > ai_disagreement_threshold * (max - min) flags the trait for human review;
- a trait the local scorer could not score takes the AI score alone, flagged for review;
- traits an AI may not judge (Form, audio traits, counted traits) and objective items keep the
  local score; when the AI failed, was not configured or was switched off, the local score stands
  and the reason is recorded in `result["ai"]` and in `warnings`."""
from __future__ import annotations

import copy
import math
from typing import Any, Optional

from scoring.ai.prompts import ai_traits
from scoring.ai.policy import DISABLED_BY_POLICY
from scoring.catalogue import CATALOGUE
from scoring.models import Advisory, Estimate, TraitResult
from scoring.registry import ItemScore
from scoring.results import finalize
from scoring.settings import Settings


def round_half_up(x: float) -> int:
    return math.floor(x + 0.5 + 1e-9)


def blend(local: int, ai: int, weight: float) -> int:
    return round_half_up((1.0 - weight) * local + weight * ai)


def _keep_local(res: dict[str, Any], status: str, reason: str, warn: bool = True) -> dict[str, Any]:
    res["ai"] = {"status": status, "reason": reason}
    if warn:
        res["warnings"] = [*res.get("warnings", []), f"AI not used: {reason}"]
    return res


def combine(local_result: dict[str, Any], ai_partial: Optional[dict[str, Any]], settings: Settings) -> dict[str, Any]:
    """The final result: `local_result` (a ScoreResult as JSON) combined with the AI partial, if usable."""
    res = copy.deepcopy(local_result)
    item_type = res["item_type"]
    spec = CATALOGUE.item(item_type)
    if spec.mode == "objective":
        return _keep_local(res, "not_used", "objective item: scored by the answer key only", warn=False)
    if settings.ai_mode == "off":
        return _keep_local(res, "off", "AI scoring is off (AI_MODE=off)", warn=False)
    if not settings.ai_share_responses:
        return _keep_local(res, "disabled", DISABLED_BY_POLICY, warn=False)
    ai_partial = unwrap_partial(ai_partial)
    if ai_partial is None:
        return _keep_local(res, "missing", "no AI result arrived; the local score stands")
    status = ai_partial.get("status", "missing")
    if status != "ok":
        reason = ai_partial.get("reason") or f"AI status {status}"
        return _keep_local(res, status, reason, warn=status in {"failed", "not_configured", "missing"})

    weight = settings.ai_weight
    judged = set(ai_traits(item_type))
    ai_scores = ai_partial.get("traits") or {}
    traits = {name: TraitResult.model_validate(t) for name, t in res["traits"].items()}
    warnings = [w for w in res.get("warnings", []) if not _regenerated(w, traits)]
    review: dict[str, str] = {}
    ignored: list[str] = []
    for name, t in traits.items():
        # undo the local gate: finalize re-applies the gates to the combined traits
        if "ungated_score" in t.evidence:
            t.score = t.evidence["ungated_score"]
            t.evidence = {k: v for k, v in t.evidence.items() if k != "ungated_score"}
        verdict = ai_scores.get(name)
        if verdict is None or name not in judged:
            continue
        lo = spec.traits[name].min
        hi = t.max
        a = verdict.get("score")
        if not isinstance(a, int) or isinstance(a, bool) or not lo <= a <= hi:
            ignored.append(f"{name} (AI score {a!r} outside {lo}-{hi})")  # reply.py rejects these; defence in depth
            continue
        ai_reason = str(verdict.get("reason") or "")
        local = t.score if t.scored else None
        detail: dict[str, Any] = {"local": local, "ai": a, "weight_ai": weight, "ai_reason": ai_reason,
                                  "range": [lo, hi]}
        if local is None:
            combined = a
            detail["rule"] = f"no local score ({t.reason}): the AI score alone, for human review"
            review[name] = f"no local score; AI {a} (range {lo}-{hi})"
            t.source, t.scored, t.reason = "ai", True, None
        else:
            if name in spec.gates and local == 0:
                combined = 0
                detail["rule"] = "gate trait scored 0 locally: an AI cannot lift it"
            else:
                combined = blend(local, a, weight)
                detail["rule"] = f"round_half_up({1 - weight:g} * local + {weight:g} * AI)"
            gap = abs(a - local) / (hi - lo) if hi > lo else 0.0
            detail["disagreement"] = round(gap, 3)
            if gap > settings.ai_disagreement_threshold:
                review[name] = f"local {local}, AI {a} (range {lo}-{hi})"
            t.source = "hybrid"
        detail["combined"] = combined
        detail["review"] = name in review
        t.score = combined
        t.detail = detail
        if ai_reason:
            t.feedback = (t.feedback + " " if t.feedback else "") + f"AI rater: {ai_reason}"
    if review:
        warnings.append("human review suggested: " + "; ".join(f"{k}: {v}" for k, v in review.items()))
    if ignored:
        warnings.append("AI scores ignored: " + "; ".join(ignored))
    estimate = Estimate.model_validate(res["estimate"]) if res.get("estimate") else None
    advisories = [Advisory.model_validate(a) for a in res.get("advisories", [])]  # the local advisories stand
    final = finalize(item_type, ItemScore(traits=traits, warnings=warnings, estimate=estimate, advisories=advisories))
    out = final.model_dump()
    out["timings_ms"] = {**res.get("timings_ms", {}), **({"ai": ai_partial["latency_ms"]} if ai_partial.get("latency_ms") else {})}
    out["ai"] = {"status": "ok", "provider": ai_partial.get("provider"), "model": ai_partial.get("model"),
                 "cached": bool(ai_partial.get("cached")), "weight": weight,
                 "traits": sorted(n for n in traits if traits[n].source in {"hybrid", "ai"})}
    out["review"] = {"required": bool(review), "traits": review}
    return out


def unwrap_partial(p: Optional[dict[str, Any]]) -> Optional[dict[str, Any]]:
    """The AI partial itself, also when the pipeline stored it under `result` of its own partial record
    (`{"source": "ai", "status": "completed", "result": {...AI partial...}}`)."""
    if isinstance(p, dict) and isinstance(p.get("result"), dict) and p["result"].get("source") == "ai":
        return p["result"]
    return p


def _regenerated(warning: str, traits: dict[str, TraitResult]) -> bool:
    """Warnings `finalize` writes again (so they are not doubled)."""
    return any(warning.startswith(f"{name} not scored:") for name in traits)
