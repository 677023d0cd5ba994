"""The AI rater as the engine exposes it: policy first (mode, data-sharing switch, per-submission
opt-out, item type), then the prompt, then the safe client. Always answers with a partial:
`{"source": "ai", "status": ..., "reason": ..., "traits": {...}, ...}`, never raises for a provider.

status: ok | failed | not_configured | disabled (by policy) | off (AI_MODE=off) | skipped (nothing an
AI may judge here: objective item, no AI-judged trait, no text, item already gated) | pending (only
with `await_transcript`: would be judged once the transcript exists)."""
from __future__ import annotations

from typing import Any, Optional

from pydantic import BaseModel, ConfigDict, Field

from scoring.ai.client import AiClient
from scoring.ai.policy import partial, policy_block
from scoring.ai.prompts import build_prompt, response_text
from scoring.models import Submission
from scoring.settings import Settings, get_settings


class AiScoreRequest(BaseModel):
    """Body of POST /ai/score."""

    model_config = ConfigDict(extra="forbid")

    submission: dict[str, Any]
    local_result: Optional[dict[str, Any]] = None  # when known: a gated item is not sent at all
    transcript: Optional[str] = Field(default=None, max_length=20_000)  # for spoken items without text
    submission_id: Optional[str] = Field(default=None, max_length=200)
    # a spoken submission whose transcript is still being made: answer "pending" instead of
    # "skipped" when the AI would judge it once the transcript exists (the caller asks again then)
    await_transcript: bool = False


class AiService:
    def __init__(self, settings: Optional[Settings] = None, client: Optional[AiClient] = None):
        self.settings = settings or get_settings()
        self.config_error: Optional[str] = None
        if client is None:
            try:
                client = AiClient(self.settings)
            except ValueError as exc:  # e.g. an unknown name in AI_PROVIDERS: no AI, said plainly
                self.config_error = str(exc)
                client = AiClient(self.settings, providers=[])
        self.client = client
        self.blocked: dict[str, int] = {}

    async def score(self, req: AiScoreRequest) -> dict[str, Any]:
        """`req.submission` must already be valid (the HTTP layer parses it and answers 422 otherwise)."""
        sub = Submission.parse(req.submission)
        out = self._decide(sub, req)
        if out is None:
            prompt = build_prompt(sub, req.transcript)
            assert prompt is not None  # _decide checked traits and text
            outcome = await self.client.score(prompt)
            out = partial(**{k: v for k, v in outcome.to_dict().items()})
        else:
            self._count_blocked(out)
        out["item_type"] = sub.item_type
        if req.submission_id:
            out["submission_id"] = req.submission_id
        return out

    def plan(self, sub: Submission) -> Optional[dict[str, Any]]:
        """The AI partial when it is already decided before anything is scored (policy, item type, no
        provider configured), else None (the AI step asks /ai/score once the local result or transcript
        exists). Used when a submission is accepted, so the AI step need not call the engine at all."""
        out = self._decide(sub, AiScoreRequest(submission={}, await_transcript=True))
        if out is None or out["status"] == "pending":
            return None
        self._count_blocked(out)
        return {**out, "item_type": sub.item_type}

    def _count_blocked(self, out: dict[str, Any]) -> None:
        self.blocked[out["status"]] = self.blocked.get(out["status"], 0) + 1

    def _decide(self, sub: Submission, req: AiScoreRequest) -> Optional[dict[str, Any]]:
        block = policy_block(self.settings, sub)
        if block is not None:
            return block
        if response_text(sub, req.transcript) is None:
            if req.await_transcript:
                return partial("pending", "waiting for the transcript")
            return partial("skipped", "no response text or transcript to judge")
        if req.local_result and req.local_result.get("gated"):
            return partial("skipped", "the item is already gated by the official rule "
                           f"({req.local_result.get('gate_reason')}); an AI cannot lift it, so nothing was sent")
        if self.config_error:
            return partial("not_configured", f"AI misconfigured: {self.config_error}")
        if not self.client.configured:
            return partial("not_configured", "no AI provider configured (set VERCEL_AI_GATEWAY_KEY or GOOGLE_GENAI_KEY)")
        return None

    def stats(self) -> dict[str, Any]:
        s = self.settings
        return {"mode": s.ai_mode, "config_error": self.config_error, "share_responses": s.ai_share_responses, "weight": s.ai_weight,
                **self.client.snapshot(), "blocked_by_policy": dict(self.blocked)}
