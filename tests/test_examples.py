"""The example submissions shipped with the README score without errors, to the hand-computed values."""
import json
from pathlib import Path

import pytest

from scoring.engine import Engine

EXAMPLES = Path(__file__).resolve().parents[1] / "examples"
HAND_COMPUTED = {  # objective rules, worked by hand
    "write_from_dictation": 6,  # 'their' and 'assignments' missing of 8
    "reading_fill_blanks": 2,
    "multiple_choice_multiple_listening": 1,  # B, D right (+2), C wrong (-1)
    "reorder_paragraphs": 0,  # no adjacent pair of the key kept
    "highlight_incorrect_words": 0,  # one right (+1), one wrong (-1)
    "select_missing_word": 1,
    "answer_short_question": 1,
}


@pytest.fixture(scope="module")
def engine():
    return Engine()


def test_batch_examples(engine):
    for line in (EXAMPLES / "batch.jsonl").read_text().splitlines():
        sub = json.loads(line)
        r = engine.score(sub)
        assert 0 <= r.score <= r.scored_max <= r.max_score
        if sub["item_type"] in HAND_COMPUTED:
            assert r.score == HAND_COMPUTED[sub["item_type"]], sub["item_type"]


def test_essay_and_dictation_examples(engine):
    essay = engine.score(json.loads((EXAMPLES / "essay.json").read_text()))
    assert not essay.gated and essay.traits["form"].score == 2 and essay.estimate is not None
    assert engine.score(json.loads((EXAMPLES / "dictation.json").read_text())).score == 6
