"""Boundary models: what goes into the engine (Submission) and what comes out (ScoreResult).

These are the shapes of the API, the CLI and the events; every field is validated here, and a bad
submission raises `InvalidSubmission` naming the offending field (dotted path)."""
from __future__ import annotations

from typing import Any, Literal, Optional, Union

import re

from pydantic import BaseModel, ConfigDict, Field, StrictInt, StrictStr, ValidationError, field_validator, model_validator

from scoring.catalogue import CATALOGUE, ITEM_TYPES

MAX_TEXT_CHARS = 20000
MAX_WORDS = 2000

ItemType = Literal[ITEM_TYPES]  # type: ignore[valid-type]


class FieldError(BaseModel):
    field: str  # dotted path, e.g. "response.text" or "item.answer_key.2"
    message: str


class InvalidSubmission(ValueError):
    """A submission the engine cannot score; `errors` name each offending field."""

    def __init__(self, errors: list[FieldError]):
        self.errors = errors
        super().__init__("; ".join(f"{e.field}: {e.message}" for e in errors))

    @classmethod
    def one(cls, field: str, message: str) -> "InvalidSubmission":
        return cls([FieldError(field=field, message=message)])

    @classmethod
    def from_pydantic(cls, exc: ValidationError, prefix: str = "") -> "InvalidSubmission":
        by_field: dict[str, list[str]] = {}
        for e in exc.errors(include_url=False):
            path = ".".join(str(p) for p in e["loc"] if not _is_type_tag(p))
            field = f"{prefix}{path}" if path else prefix.rstrip(".") or "body"
            if e["msg"] not in by_field.setdefault(field, []):
                by_field[field].append(e["msg"])
        # a union reports every member's failure: keep the most specific path (response.answer.1, not response.answer)
        fields = [f for f in by_field if not any(g.startswith(f + ".") for g in by_field)]
        return cls([FieldError(field=f, message=" or ".join(by_field[f])) for f in fields])


_TYPE_TAG = re.compile(r"^(str|int|float|bool|none|list|dict)$|[\[\]]")


def _is_type_tag(part: object) -> bool:
    """Pydantic puts union-member tags (e.g. 'str', 'list[union[str,int]]') in error paths: not fields."""
    return isinstance(part, str) and bool(_TYPE_TAG.search(part))


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class TimedWord(_Strict):
    word: str = Field(min_length=1, max_length=100)
    start: float = Field(ge=0)
    end: float = Field(ge=0)
    confidence: Optional[float] = Field(default=None, ge=0, le=1)

    @model_validator(mode="after")
    def _ordered(self) -> "TimedWord":
        if self.end < self.start:
            raise ValueError("end must not be before start")
        return self


Answer = Union[StrictStr, StrictInt, list[Union[StrictStr, StrictInt]]]


class Response(_Strict):
    """What the learner produced. Which field an item needs is in the catalogue (`mode`)."""

    text: Optional[str] = Field(default=None, max_length=MAX_TEXT_CHARS)
    words: Optional[list[TimedWord]] = Field(default=None, max_length=MAX_WORDS)
    answer: Optional[Answer] = None
    audio_path: Optional[str] = Field(default=None, max_length=4096)
    audio_id: Optional[str] = Field(default=None, max_length=200)
    audio_url: Optional[str] = Field(default=None, max_length=4096)

    def has_audio(self) -> bool:
        return bool(self.audio_path or self.audio_id or self.audio_url)

    def transcript(self) -> Optional[str]:
        """The words spoken or written, from `text` or else the timed `words`."""
        if self.text is not None:
            return self.text
        if self.words is not None:
            return " ".join(w.word for w in self.words)
        return None


class Item(BaseModel):
    """The task the learner answered. Unknown keys are kept (passed to scorers as-is)."""

    model_config = ConfigDict(extra="allow")

    id: Optional[str] = Field(default=None, max_length=200)
    prompt: Optional[str] = Field(default=None, max_length=MAX_TEXT_CHARS)
    source_text: Optional[str] = Field(default=None, max_length=MAX_TEXT_CHARS)
    reference_text: Optional[str] = Field(default=None, max_length=MAX_TEXT_CHARS)
    key_points: Optional[list[str]] = Field(default=None, max_length=50)
    answer_key: Optional[Any] = None
    options: Optional[list[Any]] = Field(default=None, max_length=50)


class ScoringOptions(_Strict):
    ai: Optional[bool] = None  # None: follow the service's AI_MODE
    rule_version: str = CATALOGUE.rule_version

    @field_validator("rule_version")
    @classmethod
    def _known_version(cls, v: str) -> str:
        if v != CATALOGUE.rule_version:
            raise ValueError(f"unknown rule_version; supported: {CATALOGUE.rule_version}")
        return v


class Submission(_Strict):
    item_type: ItemType
    response: Response
    item: Item = Item()
    options: ScoringOptions = ScoringOptions()
    webhook_url: Optional[str] = None  # POSTed the signed result when the job completes or fails (async endpoints)

    @field_validator("webhook_url")
    @classmethod
    def _webhook_url(cls, v: Optional[str]) -> Optional[str]:
        from scoring.netguard import url_problem
        problem = url_problem(v) if v is not None else None
        if problem:
            raise ValueError(problem)
        return v

    @classmethod
    def parse(cls, data: Any) -> "Submission":
        """Validate raw JSON-like data; raises InvalidSubmission naming each bad field."""
        if not isinstance(data, dict):
            raise InvalidSubmission.one("body", "must be a JSON object")
        try:
            sub = cls.model_validate(data)
        except ValidationError as exc:
            raise InvalidSubmission.from_pydantic(exc) from None
        sub.check_requirements()
        return sub

    def check_requirements(self) -> None:
        """Item fields the catalogue says this item type needs."""
        req = CATALOGUE.item(self.item_type).requires
        errors = [FieldError(field=f"item.{f}", message=f"required for {self.item_type}")
                  for f in req.item if _empty(getattr(self.item, f, None))]
        if req.item_any and all(_empty(getattr(self.item, f, None)) for f in req.item_any):
            errors.append(FieldError(field=f"item.{req.item_any[0]}",
                                     message=f"{self.item_type} needs one of: " + ", ".join(f"item.{f}" for f in req.item_any)))
        if errors:
            raise InvalidSubmission(errors)


def refuse_local_paths(data: Any) -> None:
    """Over HTTP a submission may not name a local file (`response.audio_path` is for the CLI and batch
    runs on the scorer's own machine): otherwise any client could make the engine read, and probe for,
    files on the server. Upload with POST /audio (or give `audio_url`) instead."""
    response = data.get("response") if isinstance(data, dict) else None
    if isinstance(response, dict) and response.get("audio_path") is not None:
        raise InvalidSubmission.one("response.audio_path", "local file paths are not accepted over HTTP; "
                                    "upload the recording with POST /audio and send response.audio_id")


def _empty(v: Any) -> bool:
    return v is None or (isinstance(v, (str, list, dict)) and len(v) == 0)


class Finding(BaseModel):
    """A learner-visible observation, located in the response text by character span when it has one."""

    kind: str  # e.g. "spelling", "grammar", "missed_key_point", "omitted_word", "long_pause"
    message: str
    text: Optional[str] = None
    start: Optional[int] = None  # character offsets into response text (end exclusive)
    end: Optional[int] = None
    suggestions: list[str] = []
    time: Optional[float] = None  # seconds into the recording, for spoken findings


class Advisory(BaseModel):
    """A response that games the scorer rather than answers the task (repetition, template, off_topic,
    word_salad, not_english: scoring/features/advisories.py), with its evidence (sentence indices,
    character spans, shares) and the traits it lowered, each with why (docs/gaming.md)."""

    kind: str
    message: str
    evidence: dict[str, Any] = {}
    lowers: dict[str, str] = {}  # trait -> effect, e.g. {"content": "0: off-topic (official gate)"}


class TraitResult(BaseModel):
    score: Optional[int]  # None when the trait could not be scored (see reason)
    max: int
    scored: bool = True
    reason: Optional[str] = None  # why not scored
    evidence: dict[str, Any] = {}  # features behind the score; findings live under evidence["findings"]
    feedback: str = ""
    source: str = "local"  # local | ai | hybrid
    detail: Optional[dict[str, Any]] = None  # e.g. local/ai/combined scores when hybrid

    @classmethod
    def not_scored(cls, max_: int, reason: str) -> "TraitResult":
        return cls(score=None, max=max_, scored=False, reason=reason, feedback=f"Not scored: {reason}")


class Estimate(BaseModel):
    gse: int = Field(ge=10, le=90)
    cefr: str
    label: str = "estimate"


class ScoreResult(BaseModel):
    item_type: str
    score: float
    max_score: float
    scored_max: float  # sum of the maxima of traits that were scored
    traits: dict[str, TraitResult]
    gated: bool = False
    gate_reason: Optional[str] = None
    warnings: list[str] = []
    advisories: list[Advisory] = []
    estimate: Optional[Estimate] = None
    rule_version: str = CATALOGUE.rule_version
    timings_ms: dict[str, float] = {}
