"""Objective item scorers: every rule, its edge cases, and bad inputs naming the field."""
import pytest

from scoring.engine import Engine
from scoring.models import InvalidSubmission
from scoring.items.objective import align_dictation

OBJECTIVE = ["reading_writing_fill_blanks", "multiple_choice_multiple_reading", "reorder_paragraphs",
             "reading_fill_blanks", "multiple_choice_single_reading", "multiple_choice_multiple_listening",
             "listening_fill_blanks", "highlight_correct_summary", "multiple_choice_single_listening",
             "select_missing_word", "highlight_incorrect_words", "write_from_dictation"]


@pytest.fixture(scope="module")
def engine():
    return Engine()


def run(engine, item_type, answer=None, text=None, **item):
    response = {"text": text} if text is not None else {"answer": answer}
    return engine.score({"item_type": item_type, "response": response, "item": item})


def field_of(engine, item_type, answer=None, text=None, **item):
    with pytest.raises(InvalidSubmission) as exc:
        run(engine, item_type, answer, text, **item)
    return [e.field for e in exc.value.errors]


def test_every_objective_item_type_is_registered():
    from scoring.registry import SCORERS
    assert set(OBJECTIVE) <= set(SCORERS)


# ---------------------------------------------------------------- fill in the blanks

@pytest.mark.parametrize("item_type", ["reading_writing_fill_blanks", "reading_fill_blanks"])
def test_reading_blanks_case_insensitive_exact_after_trim(engine, item_type):
    r = run(engine, item_type, ["  Economy ", "grew", "rapid"], answer_key=["economy", ["grew", "rose"], "rapidly"])
    assert (r.score, r.max_score) == (2, 3)
    blanks = r.traits["content"].evidence["blanks"]
    assert [b["correct"] for b in blanks] == [True, True, False]
    assert blanks[2]["status"] == "word_form" and blanks[2]["field"] == "response.answer.2"
    assert "blank 3" in r.traits["content"].feedback.lower()


def test_reading_blank_alternatives_and_empty(engine):
    r = run(engine, "reading_fill_blanks", ["rose", ""], answer_key=[["grew", "rose"], "fast"])
    assert r.score == 1
    assert r.traits["content"].evidence["blanks"][1]["status"] == "empty"


def test_reading_blanks_no_partial_credit_for_misspelling(engine):
    r = run(engine, "reading_fill_blanks", ["econmy"], answer_key=["economy"])
    assert r.score == 0


def test_rwfib_options_per_blank_refuse_unknown_choice(engine):
    opts = [["economy", "ecology", "echo"], ["grew", "fell"]]
    r = run(engine, "reading_writing_fill_blanks", ["ECONOMY", "fell"], answer_key=["economy", "grew"], options=opts)
    assert r.score == 1
    assert field_of(engine, "reading_writing_fill_blanks", ["economy", "jumped"],
                    answer_key=["economy", "grew"], options=opts) == ["response.answer.1"]
    assert field_of(engine, "reading_writing_fill_blanks", ["economy", "grew"],
                    answer_key=["economy", "rose"], options=opts) == ["item.answer_key.1"]


def test_rfib_word_bank(engine):
    bank = ["economy", "grew", "sharply", "never"]
    r = run(engine, "reading_fill_blanks", ["economy", "never"], answer_key=["economy", "sharply"], options=bank)
    assert r.score == 1
    assert field_of(engine, "reading_fill_blanks", ["economy", "slowly"], answer_key=["economy", "sharply"],
                    options=bank) == ["response.answer.1"]


def test_listening_blanks_spelling_exact_case_and_punctuation_ignored(engine):
    r = run(engine, "listening_fill_blanks", ["Economy.", "goverment", "colour"],
            answer_key=["economy", "government", ["color", "colour"]])
    assert (r.score, r.max_score) == (2, 3)
    b = r.traits["content"].evidence["blanks"]
    assert b[1]["status"] == "misspelled"
    f = r.traits["content"].evidence["findings"][0]
    assert f["kind"] == "spelling" and f["suggestions"] == ["government"]
    assert "Spelling must be exact" in r.traits["content"].feedback


@pytest.mark.parametrize("answer,field", [("economy", "response.answer"), (["a"], "response.answer"),
                                          (["a", "b", "c"], "response.answer"), ([["x"], "b"], "response.answer")])
def test_blank_answer_shapes(engine, answer, field):
    assert field_of(engine, "listening_fill_blanks", answer, answer_key=["a", "b"])[0].startswith(field)


def test_blank_key_shapes(engine):
    assert field_of(engine, "reading_fill_blanks", ["a"], answer_key="a") == ["item.answer_key"]
    assert field_of(engine, "reading_fill_blanks", ["a", "b"], answer_key=["a", ["b", 3]]) == ["item.answer_key.1.1"]
    assert field_of(engine, "reading_fill_blanks", ["a"], answer_key=[[]]) == ["item.answer_key.0"]


def test_missing_answer_and_key(engine):
    assert field_of(engine, "reading_fill_blanks", None, answer_key=["a"]) == ["response.answer"]
    with pytest.raises(InvalidSubmission) as exc:
        engine.score({"item_type": "reading_fill_blanks", "response": {"answer": ["a"]}, "item": {}})
    assert exc.value.errors[0].field == "item.answer_key"


# ---------------------------------------------------------------- multiple choice

OPTS = [{"id": "A", "text": "Rivers"}, {"id": "B", "text": "Lakes"}, {"id": "C", "text": "Seas"},
        {"id": "D", "text": "Oceans"}, {"id": "E", "text": "Ponds"}]


@pytest.mark.parametrize("item_type", ["multiple_choice_multiple_reading", "multiple_choice_multiple_listening"])
@pytest.mark.parametrize("chosen,score", [(["A", "C"], 2), (["A"], 1), (["A", "B"], 0), (["A", "C", "B"], 1),
                                          (["B", "D"], 0), ([], 0), (["a", 2], 2), (["Rivers"], 1)])
def test_mcma_plus_minus_floor(engine, item_type, chosen, score):
    r = run(engine, item_type, chosen, answer_key=["A", "C"], options=OPTS)
    assert (r.score, r.max_score) == (score, 2)
    rows = {o["option"]: o for o in r.traits["content"].evidence["options"]}
    assert rows["A"]["correct_option"] and not rows["B"]["correct_option"]


def test_mcma_evidence_and_feedback(engine):
    r = run(engine, "multiple_choice_multiple_reading", ["A", "B"], answer_key=["A", "C", "D"], options=OPTS)
    ev = r.traits["content"].evidence
    assert (ev["correct_chosen"], ev["incorrect_chosen"], ev["missed"]) == (1, 1, ["C", "D"])
    assert r.score == 0 and r.max_score == 3
    assert "Also correct: C, D" in r.traits["content"].feedback
    assert {f["kind"] for f in ev["findings"]} == {"wrong_option", "missed_option"}


def test_mcma_without_options_compares_strings(engine):
    r = run(engine, "multiple_choice_multiple_listening", ["a", " C "], answer_key=["A", "C", "E"])
    assert (r.score, r.max_score) == (2, 3)


def test_mcma_bad_inputs(engine):
    assert field_of(engine, "multiple_choice_multiple_reading", ["A", "Z"], answer_key=["A"], options=OPTS) == ["response.answer.1"]
    assert field_of(engine, "multiple_choice_multiple_reading", ["A", 9], answer_key=["A"], options=OPTS) == ["response.answer.1"]
    assert field_of(engine, "multiple_choice_multiple_reading", "A", answer_key=["A"], options=OPTS) == ["response.answer"]
    assert field_of(engine, "multiple_choice_multiple_reading", ["A", "A"], answer_key=["A"], options=OPTS) == ["response.answer.1"]
    assert field_of(engine, "multiple_choice_multiple_reading", ["A"], answer_key=["A", "Q"], options=OPTS) == ["item.answer_key.1"]
    assert field_of(engine, "multiple_choice_multiple_reading", ["A"], answer_key=["A"], options=[{"id": "A"}, 3.5]) == ["item.options.1"]


@pytest.mark.parametrize("item_type", ["multiple_choice_single_reading", "multiple_choice_single_listening",
                                       "highlight_correct_summary", "select_missing_word"])
def test_single_answer(engine, item_type):
    opts = ["the first summary", "the second summary", "the third summary"]
    assert run(engine, item_type, "B", answer_key="B", options=opts).score == 1
    assert run(engine, item_type, 1, answer_key="B", options=opts).score == 1
    assert run(engine, item_type, ["the second summary"], answer_key=["B"], options=opts).score == 1
    r = run(engine, item_type, "C", answer_key="B", options=opts)
    assert (r.score, r.max_score) == (0, 1)
    assert "you chose C; the correct option is B" in r.traits["content"].feedback
    assert r.traits["content"].evidence["options"][2]["points"] == 0  # no penalty in single answer
    row = r.traits["content"].evidence["options"][1]
    assert row == {"option": "B", "text": "the second summary", "correct_option": True, "chosen": False, "points": 0}
    r = run(engine, item_type, [], answer_key="B", options=opts)
    assert r.score == 0 and "No option was chosen" in r.traits["content"].feedback
    assert field_of(engine, item_type, ["A", "B"], answer_key="B", options=opts) == ["response.answer"]
    assert field_of(engine, item_type, "D", answer_key="B", options=opts) == ["response.answer"]
    assert field_of(engine, item_type, ["D"], answer_key="B", options=opts) == ["response.answer.0"]
    assert field_of(engine, item_type, "A", answer_key=["A", "B"], options=opts) == ["item.answer_key"]
    assert field_of(engine, item_type, None, answer_key="B", options=opts) == ["response.answer"]


def test_option_ids_are_not_letters_when_ids_are_given(engine):
    opts = [{"id": "x1", "text": "one"}, {"id": "x2", "text": "two"}]
    assert run(engine, "select_missing_word", "x2", answer_key="x2", options=opts).score == 1
    assert run(engine, "select_missing_word", "two", answer_key="x2", options=opts).score == 1
    assert field_of(engine, "select_missing_word", "B", answer_key="x2", options=opts) == ["response.answer"]


# ---------------------------------------------------------------- re-order paragraphs

@pytest.mark.parametrize("order,score", [(["A", "B", "C", "D"], 3), (["D", "C", "B", "A"], 0),
                                         (["A", "B", "D", "C"], 1), (["B", "C", "D", "A"], 2),
                                         (["C", "D", "A", "B"], 2), (["A", "C", "B", "D"], 0),
                                         (["A", "B"], 1), ([], 0), (["C"], 0)])
def test_reorder_adjacent_pairs(engine, order, score):
    r = run(engine, "reorder_paragraphs", order, answer_key=["A", "B", "C", "D"])
    assert (r.score, r.max_score) == (score, 3)


def test_reorder_evidence(engine):
    r = run(engine, "reorder_paragraphs", ["B", "C", "A"], answer_key=["A", "B", "C"])
    ev = r.traits["content"].evidence
    assert ev["pairs"] == [{"pair": ["B", "C"], "correct": True}, {"pair": ["C", "A"], "correct": False}]
    assert ev["missed_pairs"] == [["A", "B"]]
    assert r.traits["content"].feedback.startswith("1 of 2 adjacent pairs")


def test_reorder_with_option_indices(engine):
    opts = [{"id": "p1", "text": "First."}, {"id": "p2", "text": "Second."}, {"id": "p3", "text": "Third."}]
    r = run(engine, "reorder_paragraphs", [0, "p2", "Third."], answer_key=["p1", "p2", "p3"], options=opts)
    assert r.score == 2


def test_reorder_bad_inputs(engine):
    key = ["A", "B", "C"]
    assert field_of(engine, "reorder_paragraphs", ["A", "X"], answer_key=key) == ["response.answer.1"]
    assert field_of(engine, "reorder_paragraphs", ["A", "B", "A"], answer_key=key) == ["response.answer.2"]
    assert field_of(engine, "reorder_paragraphs", "ABC", answer_key=key) == ["response.answer"]
    assert field_of(engine, "reorder_paragraphs", ["A"], answer_key=["A"]) == ["item.answer_key"]
    assert field_of(engine, "reorder_paragraphs", ["A"], answer_key=["A", "A"]) == ["item.answer_key.1"]


# ---------------------------------------------------------------- highlight incorrect words

TRANSCRIPT = "The committee decided to postpone the annual meeting until next spring."


def test_hiw_indices_with_spans(engine):
    # shown: "decided" (2) and "annual" (6) differ from the audio
    r = run(engine, "highlight_incorrect_words", [2, 6, 9], answer_key=[2, 6], source_text=TRANSCRIPT)
    assert (r.score, r.max_score) == (1, 2)
    rows = r.traits["content"].evidence["highlights"]
    assert rows[0] == {"index": 2, "word": "decided", "start": 14, "end": 21, "correct": True}
    wrong = [f for f in r.traits["content"].evidence["findings"] if f["kind"] == "wrong_highlight"][0]
    assert TRANSCRIPT[wrong["start"]:wrong["end"]] == "next"


@pytest.mark.parametrize("chosen,score", [([2, 6], 2), ([2], 1), ([], 0), ([0, 1], 0), ([2, 0, 1], 0), ([6, 2, 0], 1)])
def test_hiw_plus_minus_floor(engine, chosen, score):
    assert run(engine, "highlight_incorrect_words", chosen, answer_key=[2, 6], source_text=TRANSCRIPT).score == score


def test_hiw_words(engine):
    r = run(engine, "highlight_incorrect_words", ["Decided", "spring"], answer_key=["decided", "annual"],
            source_text=TRANSCRIPT)
    assert (r.score, r.max_score) == (0, 2)
    rows = r.traits["content"].evidence["highlights"]
    assert [TRANSCRIPT[x["start"]:x["end"]] for x in rows] == ["decided", "spring"]
    r = run(engine, "highlight_incorrect_words", ["the", "The"], answer_key=["the"], source_text=TRANSCRIPT)
    assert [x["index"] for x in r.traits["content"].evidence["highlights"]] == [0, 5]
    r = run(engine, "highlight_incorrect_words", ["the", "the"], answer_key=["the"])
    assert r.score == 0  # one right, one wrong (multiplicity counts)


def test_hiw_bad_inputs(engine):
    assert field_of(engine, "highlight_incorrect_words", [2, 40], answer_key=[2], source_text=TRANSCRIPT) == ["response.answer.1"]
    assert field_of(engine, "highlight_incorrect_words", [2, "six"], answer_key=[2], source_text=TRANSCRIPT) == ["response.answer.1"]
    assert field_of(engine, "highlight_incorrect_words", [2, 2], answer_key=[2]) == ["response.answer.1"]
    assert field_of(engine, "highlight_incorrect_words", [2], answer_key=[2, "x"]) == ["item.answer_key"]
    assert field_of(engine, "highlight_incorrect_words", [2], answer_key=[99], source_text=TRANSCRIPT) == ["item.answer_key.0"]
    assert field_of(engine, "highlight_incorrect_words", ["zebra"], answer_key=["annual"], source_text=TRANSCRIPT) == ["response.answer.0"]


# ---------------------------------------------------------------- write from dictation

REF = "Students have to submit their assignments before Friday."


def wfd(engine, text, ref=REF):
    return run(engine, "write_from_dictation", text=text, reference_text=ref)


def test_wfd_perfect_and_case_punctuation(engine):
    r = wfd(engine, "students HAVE to submit their assignments before friday")
    assert (r.score, r.max_score) == (8, 8)
    assert r.traits["content"].feedback == "8 of 8 words correct."


def test_wfd_alignment_evidence(engine):
    text = "The stundents has to submit there assignment before friday"
    r = wfd(engine, text)
    ev = r.traits["content"].evidence
    assert r.score == 4
    by = {row["expected"]: row for row in ev["alignment"]}
    assert by["Students"]["status"] == "misspelled"
    assert text[by["Students"]["start"]:by["Students"]["end"]] == "stundents"
    assert by["assignments"]["status"] == "word_form"
    assert by["have"]["status"] == "missing" and by["their"]["status"] == "missing"
    assert by["Friday"]["status"] == "matched" and by["Friday"]["in_order"] is True
    spell = [f for f in ev["findings"] if f["kind"] == "spelling"][0]
    assert spell["suggestions"] == ["Students"] and (spell["start"], spell["end"]) == (4, 13)
    assert {e["response"] for e in ev["extra"]} == {"The", "has", "there"}
    assert "misspelled" in r.traits["content"].feedback


def test_wfd_order_free_and_extra_words_free(engine):
    r = wfd(engine, "before Friday students have to submit their assignments")
    assert r.score == 8
    assert r.traits["content"].evidence["out_of_order"] == 2
    assert "out of order" in r.traits["content"].feedback
    assert wfd(engine, "all students really have to submit all of their assignments before Friday please").score == 8


def test_wfd_multiplicity(engine):
    ref = "The cat and the dog saw the bird."
    assert wfd(engine, "the the the the the", ref).score == 3
    assert wfd(engine, "cat dog the", ref).score == 3
    assert wfd(engine, "", ref).score == 0
    assert wfd(engine, "", ref).max_score == 8


def test_wfd_plural_is_not_the_word(engine):
    r = wfd(engine, "Student have to submit their assignment before Friday")
    assert r.score == 6


def test_wfd_contractions_and_hyphens_are_one_word(engine):
    r = wfd(engine, "it’s well-known", "It's a well-known fact.")
    assert (r.score, r.max_score) == (2, 4)


def test_wfd_bad_inputs(engine):
    assert field_of(engine, "write_from_dictation", answer=["x"], reference_text=REF) == ["response.text"]
    assert field_of(engine, "write_from_dictation", text="x", reference_text="...") == ["item.reference_text"]
    assert field_of(engine, "write_from_dictation", text="x") == ["item.reference_text"]


def test_align_dictation_counts():
    a = align_dictation("a b c", "c b a d")
    assert a["matched"] == 3 and a["reference_words"] == 3 and a["response_words"] == 4
    assert [e["response"] for e in a["extra"]] == ["d"]


def test_wfd_very_long_response_still_scored_by_the_rule():
    a = align_dictation("The cat sat on the mat.", "mat " + "the " * 3000 + "cat")
    assert a["matched"] == 4 and a["response_words"] == 3002
    assert len(a["extra"]) == 2998
