"""Validate an AI rater's reply: strict JSON, every asked trait, integers within range, nothing else.

A reply that fails is rejected with the reason; no score is ever clamped or guessed. The one
tolerance is a single surrounding markdown code fence (```json ... ```), which some models add
despite the instruction; its content must still be exactly the object asked for."""
from __future__ import annotations

import json
import re
from typing import Mapping

from pydantic import BaseModel, ConfigDict, Field, StrictInt, ValidationError

from scoring.ai.prompts import TraitRange

MAX_REPLY_CHARS = 20_000
MAX_REASON_CHARS = 400


class ReplyRejected(ValueError):
    """The reply cannot be used; `reason` says why in plain words."""

    def __init__(self, reason: str):
        self.reason = reason
        super().__init__(reason)


class TraitVerdict(BaseModel):
    model_config = ConfigDict(extra="forbid")

    score: StrictInt
    reason: str = Field(min_length=1, max_length=MAX_REASON_CHARS)


class AiReply(BaseModel):
    model_config = ConfigDict(extra="forbid")

    traits: dict[str, TraitVerdict]


_FENCE = re.compile(r"^```[a-zA-Z]*\s*\n(.*)\n\s*```$", re.S)


def parse_reply(text: str, traits: Mapping[str, TraitRange]) -> AiReply:
    """Parse and check the reply against the traits that were asked for; raise ReplyRejected."""
    if text is None or not text.strip():
        raise ReplyRejected("empty reply")
    if len(text) > MAX_REPLY_CHARS:
        raise ReplyRejected(f"reply too long ({len(text)} characters)")
    body = text.strip()
    m = _FENCE.match(body)
    if m:
        body = m.group(1).strip()
    try:
        raw = json.loads(body)
    except json.JSONDecodeError as exc:
        raise ReplyRejected(f"malformed JSON: {exc.msg} at character {exc.pos}") from None
    if not isinstance(raw, dict):
        raise ReplyRejected("reply is not a JSON object")
    try:
        reply = AiReply.model_validate(raw)
    except ValidationError as exc:
        e = exc.errors(include_url=False)[0]
        where = ".".join(str(p) for p in e["loc"]) or "reply"
        raise ReplyRejected(f"invalid reply at {where}: {e['msg']}") from None
    asked, got = set(traits), set(reply.traits)
    if asked - got:
        raise ReplyRejected("missing trait(s): " + ", ".join(sorted(asked - got)))
    if got - asked:
        raise ReplyRejected("unexpected trait(s): " + ", ".join(sorted(got - asked)))
    for name, verdict in reply.traits.items():
        r = traits[name]
        if not r.min <= verdict.score <= r.max:
            raise ReplyRejected(f"{name} score {verdict.score} is outside {r.min}-{r.max}")
        if not verdict.reason.strip():
            raise ReplyRejected(f"{name} has an empty reason")
    return reply
