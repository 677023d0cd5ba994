"""The catalogue, the boundary models, the official gate and the word-counting rule."""
import pytest
from hypothesis import given, strategies as st

from scoring.catalogue import CATALOGUE, ITEM_TYPES, TRAIT_NAMES
from scoring.models import InvalidSubmission, Submission, TraitResult
from scoring.registry import ItemScore
from scoring.results import finalize
from scoring.text import count_words, sentence_spans, tokens

ISSUE_ITEM_CODES = """read_aloud repeat_sentence describe_image retell_lecture answer_short_question
summarize_group_discussion respond_to_situation summarize_written_text write_essay
reading_writing_fill_blanks multiple_choice_multiple_reading reorder_paragraphs reading_fill_blanks
multiple_choice_single_reading summarize_spoken_text multiple_choice_multiple_listening
listening_fill_blanks highlight_correct_summary multiple_choice_single_listening select_missing_word
highlight_incorrect_words write_from_dictation""".split()


def test_catalogue_has_the_22_scored_item_types():
    assert list(ITEM_TYPES) == ISSUE_ITEM_CODES
    assert CATALOGUE.rule_version == "2025-08"


def test_traits_are_the_official_ten_and_ranges_match_the_rubric():
    assert set(TRAIT_NAMES) == {"content", "form", "grammar", "vocabulary", "spelling",
                                "development_structure_coherence", "general_linguistic_range",
                                "vocabulary_range", "oral_fluency", "pronunciation"}
    we = CATALOGUE.item("write_essay")
    assert sum(t.max for t in we.traits.values()) == 26
    assert sum(t.max for t in CATALOGUE.item("summarize_written_text").traits.values()) == 9
    assert sum(t.max for t in CATALOGUE.item("summarize_spoken_text").traits.values()) == 12
    for spec in CATALOGUE.items.values():
        for name, t in spec.traits.items():
            assert name in TRAIT_NAMES
            assert (t.max is None) != (t.max_from is None), (spec.code, name)
            if t.descriptor:
                assert t.descriptor in CATALOGUE.descriptors
        assert set(spec.gates) <= set(spec.traits)


def test_every_item_feeds_a_skill_and_the_overall_score():
    for spec in CATALOGUE.items.values():
        assert spec.weights.get("overall", 0) > 0 and spec.skills
        assert set(spec.skills) <= set(CATALOGUE.skills)
    for skill in CATALOGUE.skills:  # published percentages, rounded by Pearson
        assert 99 <= sum(i.weights.get(skill, 0) for i in CATALOGUE.items.values()) <= 101


@pytest.mark.parametrize("gse,level", [(90, "C2"), (85, "C2"), (84, "C1"), (76, "C1"), (75, "B2"), (59, "B2"),
                                       (58, "B1"), (43, "B1"), (42, "A2"), (30, "A2"), (29, "A1"), (22, "A1"),
                                       (21, "below A1"), (10, "below A1")])
def test_cefr_table(gse, level):
    assert CATALOGUE.cefr_level(gse) == level


def test_every_item_type_has_a_registered_scorer():
    from scoring.engine import Engine  # noqa: F401  (imports register the scorers)
    from scoring.registry import SCORERS
    assert set(SCORERS) == set(ITEM_TYPES)


def test_invalid_submission_names_the_field():
    with pytest.raises(InvalidSubmission) as e:
        Submission.parse({"item_type": "write_essay", "response": {"text": 5}})
    assert [x.field for x in e.value.errors] == ["response.text"]
    with pytest.raises(InvalidSubmission) as e:
        Submission.parse({"item_type": "poem", "response": {}})
    assert e.value.errors[0].field == "item_type"
    with pytest.raises(InvalidSubmission) as e:
        Submission.parse({"item_type": "write_essay", "response": {"text": "x"}, "surprise": 1})
    assert e.value.errors[0].field == "surprise"
    with pytest.raises(InvalidSubmission) as e:
        Submission.parse({"item_type": "write_essay", "response": {"text": "x"}})
    assert e.value.errors[0].field == "item.prompt"
    with pytest.raises(InvalidSubmission) as e:
        Submission.parse({"item_type": "retell_lecture", "response": {"text": "x"}})
    assert e.value.errors[0].field == "item.key_points"
    with pytest.raises(InvalidSubmission) as e:
        Submission.parse([1, 2])
    assert e.value.errors[0].field == "body"
    with pytest.raises(InvalidSubmission) as e:
        Submission.parse({"item_type": "read_aloud", "item": {"reference_text": "a b"},
                          "response": {"words": [{"word": "a", "start": 2, "end": 1}]}})
    assert e.value.errors[0].field == "response.words.0"


def _trait(score, max_=2):
    return TraitResult(score=score, max=max_, evidence={"f": 1}, feedback="x")


def _swt(content, form, grammar=2, vocabulary=2):
    return ItemScore(traits={"content": _trait(content, 4), "form": _trait(form, 1),
                             "grammar": _trait(grammar), "vocabulary": _trait(vocabulary)})


def test_gate_content_zero_zeroes_the_item_and_keeps_the_assessed_scores():
    r = finalize("summarize_written_text", _swt(content=0, form=1))
    assert r.gated and r.score == 0 and "Content" in r.gate_reason
    assert r.traits["grammar"].score == 0 and r.traits["grammar"].evidence["ungated_score"] == 2
    r = finalize("summarize_written_text", _swt(content=3, form=0))
    assert r.gated and r.score == 0 and "Form" in r.gate_reason
    r = finalize("summarize_written_text", _swt(content=3, form=1, grammar=1))
    assert not r.gated and r.score == 7 and r.max_score == 9


def test_unscored_trait_is_reported_not_invented():
    traits = {"content": _trait(3, 3), "oral_fluency": TraitResult.not_scored(5, "no timed words or audio"),
              "pronunciation": TraitResult.not_scored(5, "no audio")}
    r = finalize("repeat_sentence", ItemScore(traits=traits))
    assert r.score == 3 and r.scored_max == 3 and r.max_score == 13
    assert any("pronunciation not scored" in w for w in r.warnings)


def test_a_scorer_that_forgets_a_trait_is_a_bug_not_a_zero():
    with pytest.raises(RuntimeError):
        finalize("summarize_written_text", ItemScore(traits={"content": _trait(3, 4)}))


@pytest.mark.parametrize("text,n", [
    ("Don't stop.", 2), ("A well-known e-mail", 3), ("3.5% of 1,000 people", 4), ("The U.S. economy", 3),
    ("word — word - word", 3), ("", 0), ("... !!! ,", 0), ("état naïve café", 3), ("10:30 am", 2),
])
def test_word_counting_rule(text, n):
    assert count_words(text) == n


@given(st.text(max_size=300))
def test_token_spans_point_at_their_text(text):
    for t in tokens(text):
        assert text[t.start:t.end] == t.text
    for s, e in sentence_spans(text):
        assert 0 <= s < e <= len(text)


@given(st.lists(st.sampled_from(["alpha", "beta", "don't", "3.5", "well-known", ",", ".", "!", "—"]), max_size=60))
def test_word_count_is_additive_over_whitespace(parts):
    assert count_words(" ".join(parts)) == sum(count_words(p) for p in parts)


def test_union_errors_name_the_most_specific_field_without_type_tags():
    with pytest.raises(InvalidSubmission) as e:
        Submission.parse({"item_type": "select_missing_word", "item": {"answer_key": 0}, "response": {"answer": [1, None]}})
    assert [x.field for x in e.value.errors] == ["response.answer.1"]
    with pytest.raises(InvalidSubmission) as e:  # JSON true is not the option index 1
        Submission.parse({"item_type": "select_missing_word", "item": {"answer_key": 0}, "response": {"answer": True}})
    assert [x.field for x in e.value.errors] == ["response.answer"]
