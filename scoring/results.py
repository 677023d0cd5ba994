"""Turn a scorer's trait results into the item result: totals, the official gates, warnings."""
from __future__ import annotations

from scoring.catalogue import CATALOGUE
from scoring.models import ScoreResult
from scoring.registry import ItemScore


def finalize(item_type: str, item_score: ItemScore) -> ScoreResult:
    """Apply the general gate (a 0 on Content or Form -> no points for the whole item) and sum traits.

    A gated item keeps each trait's assessed score in `evidence["ungated_score"]` so the learner
    still sees what was wrong elsewhere, but every trait scores 0, as Pearson reports it."""
    spec = CATALOGUE.item(item_type)
    traits = item_score.traits
    missing = set(spec.traits) - set(traits)
    if missing:
        raise RuntimeError(f"scorer for {item_type} returned no result for {sorted(missing)}")
    warnings = list(item_score.warnings)
    gate_reason = None
    for gate in spec.gates:
        t = traits[gate]
        if t.scored and t.score == 0:
            gate_reason = f"{CATALOGUE.traits[gate]['label']} scored 0, so the whole item scores 0 (official gate)"
            break
    if gate_reason:
        for name, t in traits.items():
            if t.scored and t.score:
                t.evidence = {**t.evidence, "ungated_score": t.score}
                t.score = 0
    for name, t in traits.items():
        if not t.scored:
            warnings.append(f"{name} not scored: {t.reason}")
    max_score = sum(t.max for t in traits.values())
    scored_max = sum(t.max for t in traits.values() if t.scored)
    score = sum(t.score or 0 for t in traits.values() if t.scored)
    return ScoreResult(item_type=item_type, score=score, max_score=max_score, scored_max=scored_max,
                       traits=traits, gated=gate_reason is not None, gate_reason=gate_reason,
                       warnings=warnings, advisories=item_score.advisories, estimate=item_score.estimate)
