"""Skill and overall score ESTIMATE (10-90, with CEFR level) from many item results.

Pearson does not publish how raw item scores become the 10-90 scale (it is IRT scaling over the
whole test), so this is an estimate and is labelled one everywhere it is shown. The conversion:

1. Each item result becomes a fraction p = score / max (a ScoreResult uses `scored_max`, the maximum
   of the traits that were actually scored; an item with nothing scored is left out and listed in
   `notes`). Several results of one item type are averaged into that type's mean fraction.
2. For each skill (listening, reading, speaking, writing) and for the overall score, the catalogue's
   published weight of each item type present is renormalised over the item types present:
   w'_t = w_t / sum(w_s for s present that feed this skill). The skill fraction is
   P = sum(w'_t * p_t). Item types absent from the assessment do not count as zeros: the estimate
   describes what was assessed, and `coverage` = sum(w present) / sum(w all) says how much of the
   skill's published weight that is (1.0 = every item type of the skill was seen).
3. GSE = round(10 + 80 * P), on PTE's 10-90 scale (the Global Scale of English); CEFR level from the
   catalogue's table (85+ C2, 76 C1, 59 B2, 43 B1, 30 A2, 22 A1, else below A1).
   A skill that no item feeds has `gse = None`.

The overall score uses the catalogue's own overall weights (it is not the mean of the four skills).
Everything here is a pure function of its input.
"""
from __future__ import annotations

from collections import defaultdict
from typing import Any, Literal, Optional, Sequence, Union

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from scoring.catalogue import CATALOGUE
from scoring.models import InvalidSubmission, ItemType, ScoreResult

METHOD = ("estimate: per item type mean of score/max, weighted by the published skill weights "
          "renormalised over the item types present, mapped linearly to GSE = 10 + 80 * fraction")


class ItemOutcome(BaseModel):
    """One item result as the assessment needs it."""

    model_config = ConfigDict(extra="ignore")

    item_type: ItemType
    score: float = Field(ge=0)
    max_score: float = Field(ge=0)

    @model_validator(mode="after")
    def _within(self) -> "ItemOutcome":
        if self.score > self.max_score:
            raise ValueError("score must not exceed max_score")
        return self

    @classmethod
    def from_result(cls, result: ScoreResult) -> "ItemOutcome":
        return cls(item_type=result.item_type, score=result.score, max_score=result.scored_max)


class SkillEstimate(BaseModel):
    gse: Optional[int] = Field(default=None, ge=10, le=90)  # None: no item fed this skill
    cefr: Optional[str] = None
    fraction: Optional[float] = None  # weighted share of the available points, 0..1
    coverage: float = 0.0  # share of the skill's published weight that the assessed item types carry
    items: int = 0  # item results that fed this skill
    item_types: dict[str, float] = {}  # item type -> renormalised weight used


class Assessment(BaseModel):
    label: Literal["estimate"] = "estimate"
    method: str = METHOD
    overall: SkillEstimate
    skills: dict[str, SkillEstimate]
    items: int
    rule_version: str = CATALOGUE.rule_version
    notes: list[str] = []


AssessInput = Union[ItemOutcome, ScoreResult, dict[str, Any]]


def to_outcomes(results: Sequence[AssessInput]) -> list[ItemOutcome]:
    """Validate the input; raises InvalidSubmission naming `results.<i>.<field>`."""
    out = []
    for i, r in enumerate(results):
        if isinstance(r, ItemOutcome):
            out.append(r)
        elif isinstance(r, ScoreResult):
            out.append(ItemOutcome.from_result(r))
        elif isinstance(r, dict):
            data = dict(r)
            if "scored_max" in data:  # a ScoreResult as JSON: judge it on what was scored
                data["max_score"] = data["scored_max"]
            try:
                out.append(ItemOutcome.model_validate(data))
            except ValidationError as exc:
                raise InvalidSubmission.from_pydantic(exc, prefix=f"results.{i}.") from None
        else:
            raise InvalidSubmission.one(f"results.{i}", "must be an object {item_type, score, max_score}")
    return out


def gse_from_fraction(fraction: float) -> int:
    return int(round(10 + 80 * min(1.0, max(0.0, fraction))))


def _estimate(means: dict[str, float], counts: dict[str, int], weight_key: str) -> SkillEstimate:
    all_weights = {code: spec.weights.get(weight_key, 0.0) for code, spec in CATALOGUE.items.items()}
    present = {t: all_weights[t] for t in means if all_weights[t] > 0}
    total_all = sum(all_weights.values())
    total = sum(present.values())
    if not present:
        return SkillEstimate()
    norm = {t: w / total for t, w in present.items()}
    fraction = sum(norm[t] * means[t] for t in present)
    gse = gse_from_fraction(fraction)
    return SkillEstimate(gse=gse, cefr=CATALOGUE.cefr_level(gse), fraction=round(fraction, 4),
                         coverage=round(total / total_all, 4), items=sum(counts[t] for t in present),
                         item_types={t: round(w, 4) for t, w in norm.items()})


def assess(results: Sequence[AssessInput]) -> Assessment:
    """Skill and overall estimates from item results (see the module docstring for the conversion)."""
    outcomes = to_outcomes(results)
    sums: dict[str, float] = defaultdict(float)
    counts: dict[str, int] = defaultdict(int)
    notes = []
    for i, o in enumerate(outcomes):
        if o.max_score <= 0:
            notes.append(f"results.{i} ({o.item_type}) has no scored points and is left out")
            continue
        sums[o.item_type] += o.score / o.max_score
        counts[o.item_type] += 1
    means = {t: sums[t] / counts[t] for t in sums}
    skills = {s: _estimate(means, counts, s) for s in CATALOGUE.skills}
    for s, est in skills.items():
        if est.gse is None:
            notes.append(f"no assessed item feeds {s}")
        elif est.coverage < 1:
            notes.append(f"{s}: the assessed item types carry {est.coverage:.0%} of its published weight")
    return Assessment(overall=_estimate(means, counts, "overall"), skills=skills, items=len(outcomes), notes=notes)
