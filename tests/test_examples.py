"""The sample submissions (examples/batch.jsonl: one per item type, shown by the practice page and used by the
README) score without errors, the objective ones to the hand-computed values."""
import json
from pathlib import Path

import pytest

from scoring.catalogue import CATALOGUE
from scoring.engine import Engine

SAMPLES = [json.loads(line) for line in
           (Path(__file__).resolve().parents[1] / "examples" / "batch.jsonl").read_text().splitlines() if line.strip()]
HAND_COMPUTED = {  # objective rules, worked by hand
    "write_from_dictation": 6,  # of 8: 'their' missing, 'assignments' misspelled
    "reading_writing_fill_blanks": 2,  # 'risen' for 'fallen'
    "reading_fill_blanks": 2,  # 'although' for 'yet'
    "listening_fill_blanks": 2,  # 'presure' misspelled
    "multiple_choice_multiple_reading": 0,  # option 1 right (+1), option 3 wrong (-1)
    "multiple_choice_multiple_listening": 1,  # options 1 and 3 right (+2), option 2 wrong (-1)
    "reorder_paragraphs": 0,  # no adjacent pair of the key kept
    "highlight_incorrect_words": 0,  # one right (+1), one wrong (-1)
    "multiple_choice_single_reading": 1,
    "multiple_choice_single_listening": 0,
    "highlight_correct_summary": 1,
    "select_missing_word": 1,
    "answer_short_question": 1,
}


@pytest.fixture(scope="module")
def engine():
    return Engine()


def test_one_sample_per_item_type():
    assert sorted(s["item_type"] for s in SAMPLES) == sorted(CATALOGUE.items)


@pytest.mark.parametrize("sub", SAMPLES, ids=[s["item_type"] for s in SAMPLES])
def test_samples_score(engine, sub):
    r = engine.score(sub)
    assert 0 <= r.score <= r.scored_max <= r.max_score
    if sub["item_type"] in HAND_COMPUTED:
        assert r.score == HAND_COMPUTED[sub["item_type"]]


def test_essay_sample_is_in_form(engine):
    essay = engine.score(next(s for s in SAMPLES if s["item_type"] == "write_essay"))
    assert not essay.gated and essay.traits["form"].score == 2 and essay.estimate is not None
