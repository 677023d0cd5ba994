"""Submissions, local results and settings for the AI tests (test data only)."""
from __future__ import annotations

from typing import Any

from scoring.models import TraitResult
from scoring.registry import ItemScore
from scoring.results import finalize
from scoring.settings import Settings

ESSAY_PROMPT = "Some people think that university education should be free for everyone. Discuss."
ESSAY_TEXT = " ".join(
    ["Free university education is a question that divides governments and families alike."] * 4
    + ["On the one hand, tuition fees keep talented students from poorer homes out of higher education,"
       " which wastes ability that the whole society needs."] * 5
    + ["On the other hand, someone must pay, and general taxation asks workers who never studied to"
       " fund degrees that raise other people's incomes."] * 4
    + ["In my view, a mixed system with generous grants is the fairest answer."] * 2
)

ESSAY = {"item_type": "write_essay", "item": {"id": "we-1", "prompt": ESSAY_PROMPT},
         "response": {"text": ESSAY_TEXT}}
SWT = {"item_type": "summarize_written_text",
       "item": {"source_text": "Bees pollinate a third of the crops people eat. Their numbers are falling because of "
                               "pesticides, parasites and the loss of wild flowers, which threatens food supplies."},
       "response": {"text": "Bees, which pollinate a third of our crops, are declining because of pesticides, "
                            "parasites and habitat loss, and this threatens the food supply."}}
DESCRIBE_IMAGE = {"item_type": "describe_image",
                  "item": {"prompt": "A bar chart of rainfall by month in Sydney", "key_points": ["June wettest", "September driest"]},
                  "response": {"text": "The chart shows rainfall in Sydney by month. June is the wettest month and "
                                       "September the driest."}}
READ_ALOUD = {"item_type": "read_aloud", "item": {"reference_text": "The quick brown fox jumps."},
              "response": {"text": "The quick brown fox jumps."}}
MCQ = {"item_type": "multiple_choice_single_reading", "item": {"answer_key": "B", "options": ["A", "B"]},
       "response": {"answer": "B"}}


def settings(**kw: Any) -> Settings:
    base = {"ai_backoff_s": 0.01, "ai_timeout_s": 5.0, "ai_max_retries": 2, "ai_breaker_failures": 3,
            "ai_breaker_cooldown_s": 30.0, "vercel_ai_gateway_key": None, "google_genai_key": None}
    return Settings(_env_file=None, **{**base, **kw})


def fake_settings(server, providers: str = "vercel", **kw: Any) -> Settings:
    """Settings with the given providers pointed at a FakeAiServer."""
    conf: dict[str, Any] = {"ai_providers": providers}
    if "vercel" in providers:
        conf.update(vercel_ai_gateway_key=server.key, vercel_ai_gateway_url=server.openai_base,
                    vercel_ai_model="openai/gpt-4o-mini")
    if "google" in providers:
        conf.update(google_genai_key=server.key, google_genai_base_url=server.url, google_genai_model="gemini-2.0-flash")
    return settings(**{**conf, **kw})


def local_result(item_type: str, scores: dict[str, int | None], warnings: list[str] | None = None) -> dict:
    """A local ScoreResult as JSON, built through the real finalize (gates applied)."""
    from scoring.catalogue import CATALOGUE

    spec = CATALOGUE.item(item_type)
    traits = {}
    for name, t in spec.traits.items():
        mx = t.max if t.max is not None else 5
        s = scores.get(name)
        traits[name] = (TraitResult.not_scored(mx, "no data for this trait") if s is None
                        else TraitResult(score=s, max=mx, feedback=f"local {name} feedback"))
    return finalize(item_type, ItemScore(traits=traits, warnings=list(warnings or []))).model_dump()
