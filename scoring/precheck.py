"""What POST /score would refuse, found before a submission is accepted for later scoring.

`POST /score_async`, `/batch_score` and `/workflow/create` answer 202 at once and score later, so
anything `/score` rejects must be rejected here first, with the same field and message: the model
checks (`Submission.parse`), then per item mode
- objective: the item's own scorer (pure, microseconds, no model): out-of-range option indices, unknown
  paragraphs, wrong blank counts ... are the scorer's own errors, word for word;
- written: a response text;
- spoken: a recording reference that resolves (a stored `audio_id`, an `audio_url` on a public http(s)
  host) or a transcript; Answer Short Question needs an answer key.
Nothing here decodes audio or loads a model; it runs in the warm engine (POST /accept)."""
from __future__ import annotations

from typing import Any

from scoring.catalogue import CATALOGUE
from scoring.items.speaking import asq_keys, require_speech
from scoring.items.writing import require_text
from scoring.models import Submission
from scoring.registry import SCORERS, Resources
from scoring.speech.pipeline import check_reference


def precheck(sub: Submission, settings: Any) -> None:
    """Raises InvalidSubmission exactly as scoring `sub` would for the input's own faults."""
    mode = CATALOGUE.item(sub.item_type).mode
    if mode == "objective":
        SCORERS[sub.item_type](sub, Resources(settings))
    elif mode == "written":
        require_text(sub)
    else:
        require_speech(sub)
        if sub.response.has_audio():
            check_reference(sub, settings)
        if sub.item_type == "answer_short_question":
            asq_keys(sub.item.answer_key)
