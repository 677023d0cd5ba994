"""Skill / overall / CEFR estimate from item results."""
import pytest
from hypothesis import given, settings, strategies as st

from scoring.catalogue import CATALOGUE, ITEM_TYPES
from scoring.engine import Engine
from scoring.models import InvalidSubmission
from scoring.skills import ItemOutcome, assess, gse_from_fraction


def test_perfect_and_zero_everywhere():
    full = assess([{"item_type": t, "score": 3, "max_score": 3} for t in ITEM_TYPES])
    assert full.label == "estimate"
    assert full.overall.gse == 90 and full.overall.cefr == "C2" and full.overall.coverage == 1.0
    assert {s: e.gse for s, e in full.skills.items()} == {s: 90 for s in CATALOGUE.skills}
    zero = assess([{"item_type": t, "score": 0, "max_score": 3} for t in ITEM_TYPES])
    assert zero.overall.gse == 10 and zero.overall.cefr == "below A1"
    assert not full.notes


def test_weights_renormalised_over_present_types():
    # listening: WFD weight 13, SMW weight 1 -> (13 * 1.0 + 1 * 0.0) / 14
    a = assess([{"item_type": "write_from_dictation", "score": 8, "max_score": 8},
                {"item_type": "select_missing_word", "score": 0, "max_score": 1}])
    lis = a.skills["listening"]
    assert lis.fraction == pytest.approx(13 / 14, abs=1e-4)
    assert lis.gse == round(10 + 80 * 13 / 14)
    assert lis.item_types == {"write_from_dictation": pytest.approx(13 / 14, abs=1e-4),
                              "select_missing_word": pytest.approx(1 / 14, abs=1e-4)}
    assert lis.coverage == pytest.approx(14 / sum(i.weights.get("listening", 0) for i in CATALOGUE.items.values()), abs=1e-4)
    # writing is fed by WFD alone
    assert a.skills["writing"].gse == 90 and a.skills["writing"].items == 1
    # overall: WFD 5, SMW 1
    assert a.overall.fraction == pytest.approx(5 / 6, abs=1e-4)
    # no item feeds reading or speaking
    assert a.skills["reading"].gse is None and a.skills["speaking"].gse is None
    assert any("no assessed item feeds speaking" in n for n in a.notes)


def test_several_results_of_one_type_are_averaged():
    a = assess([{"item_type": "reorder_paragraphs", "score": 3, "max_score": 3},
                {"item_type": "reorder_paragraphs", "score": 0, "max_score": 4}])
    assert a.skills["reading"].fraction == 0.5 and a.skills["reading"].gse == 50
    assert a.skills["reading"].cefr == "B1" and a.skills["reading"].items == 2


def test_score_results_use_scored_max():
    e = Engine()
    r = e.score({"item_type": "multiple_choice_single_listening", "response": {"answer": "A"},
                 "item": {"answer_key": "A", "options": ["x", "y"]}})
    a = assess([r, r.model_dump(mode="json"), ItemOutcome(item_type="select_missing_word", score=0, max_score=1)])
    assert a.items == 3
    assert a.skills["listening"].fraction == pytest.approx(2 / 3, abs=1e-4)


def test_unscored_items_are_noted_not_counted():
    a = assess([{"item_type": "write_essay", "score": 0, "max_score": 0},
                {"item_type": "reading_fill_blanks", "score": 2, "max_score": 4}])
    assert a.skills["writing"].gse is None
    assert any("results.0" in n for n in a.notes)


@pytest.mark.parametrize("bad,field", [
    ({"item_type": "nope", "score": 1, "max_score": 1}, "results.1.item_type"),
    ({"item_type": "select_missing_word", "score": 2, "max_score": 1}, "results.1"),
    ({"item_type": "select_missing_word", "score": -1, "max_score": 1}, "results.1.score"),
    ({"item_type": "select_missing_word", "max_score": 1}, "results.1.score"),
    ("select_missing_word", "results.1"),
])
def test_bad_input_names_the_field(bad, field):
    with pytest.raises(InvalidSubmission) as exc:
        assess([{"item_type": "select_missing_word", "score": 1, "max_score": 1}, bad])
    assert exc.value.errors[0].field == field


def test_gse_mapping_and_cefr_boundaries():
    assert gse_from_fraction(0) == 10 and gse_from_fraction(1) == 90 and gse_from_fraction(0.5) == 50
    assert gse_from_fraction(1.5) == 90 and gse_from_fraction(-1) == 10


@given(st.lists(st.tuples(st.sampled_from(ITEM_TYPES), st.integers(0, 10), st.integers(1, 10)), min_size=1, max_size=30))
@settings(max_examples=100, deadline=None)
def test_estimates_in_range_and_monotone(rows):
    data = [{"item_type": t, "score": min(s, m), "max_score": m} for t, s, m in rows]
    a = assess(data)
    for est in [a.overall, *a.skills.values()]:
        if est.gse is not None:
            assert 10 <= est.gse <= 90 and est.cefr == CATALOGUE.cefr_level(est.gse)
            assert 0 < est.coverage <= 1.0001
    better = [{**d, "score": d["max_score"]} if i == 0 else d for i, d in enumerate(data)]
    b = assess(better)
    assert b.overall.fraction >= a.overall.fraction
