"""The POS profile feature (scoring/features/pos_ngrams.py): symbols, n-grams, the fitting code and
the stored model, with the real spaCy parser."""
from __future__ import annotations

import json

import numpy as np
import pytest
from hypothesis import given, settings, strategies as st

from scoring.features import nlp, pos_ngrams


@pytest.fixture(scope="module")
def parser():
    return nlp.Parser(nlp.load_nlp())


def test_symbols_keep_function_words_and_tag_content_words(parser):
    syms = pos_ngrams.symbols(parser("The students is happy; they goes home."))
    assert syms[:5] == ["<s>", "the", "NNS", "is", "JJ"]
    assert "P" in syms and syms[-1] == "."
    assert "VBZ" in syms and "students" not in syms and "home" not in syms  # no topic words


def test_only_the_most_common_content_words_stay_themselves(parser):
    syms = pos_ngrams.symbols(parser("People think school is very good for students."))
    assert syms == ["<s>", "people", "think", "NN", "is", "very", "good", "for", "NNS", "."]  # topic words stay tags


def test_misspelled_content_words_are_marked(parser):
    text = "The studnets goes home."
    syms = pos_ngrams.symbols(parser(text), {text.index("studnets")})
    assert syms[:3] == ["<s>", "the", "NNS" + pos_ngrams.MISSPELLED] and "VBZ" in syms
    assert pos_ngrams.reads("NNS?") == "[plural noun, misspelled]" and pos_ngrams.reads("?") == "?"


def test_words_where_grammar_errors_start_are_marked(parser):
    text = "He go to school.  I am agree."
    doc = parser(text)
    syms = pos_ngrams.symbols(doc, (), {text.index("go"), text.index("I am"), text.index("  ") + 1})
    err = pos_ngrams.GRAMMAR_ERROR
    assert syms[:4] == ["<s>", "he", "go" + err, "to"]  # `go` is a common word: it stays itself
    assert "i" + err in syms and "am" in syms and sum(s.endswith(err) for s in syms) == 2  # not the space
    assert pos_ngrams.symbols(doc) == [s.removesuffix(err) for s in syms]
    assert pos_ngrams.reads("VBP" + err) == "[verb, present, grammar error]"
    assert pos_ngrams.reads("i" + err) == "i [grammar error]" and pos_ngrams.reads("!") == "!"
    assert pos_ngrams.reads("NN?" + err) == "[noun, misspelled, grammar error]"


ERR_TEXT = "Me and my friend thinks that technology is good thing. They makes our life easy, every days."


@settings(max_examples=60, deadline=None)
@given(st.sets(st.integers(min_value=0, max_value=len(ERR_TEXT) - 1), max_size=12))
def test_grammar_marks_only_add_suffixes(parser, offsets):
    """Marks never change a symbol otherwise, fall on words holding an offset, and at most one per word."""
    doc = parser(ERR_TEXT)
    plain, marked = pos_ngrams.symbols(doc), pos_ngrams.symbols(doc, (), offsets)
    err = pos_ngrams.GRAMMAR_ERROR
    assert [s.removesuffix(err) if s != err else s for s in marked] == plain
    words = [t for t in doc if t.pos_ != "SPACE"]
    holding = sum(1 for t in words if any(t.idx <= o < t.idx + len(t.text) for o in offsets))
    assert sum(1 for s in marked if len(s) > 1 and s.endswith(err)) == holding


def test_ngrams_count_unigrams_and_bigrams():
    c = pos_ngrams.ngrams(["<s>", "the", "NN", "the", "NN"])
    assert c["the"] == 2 and c["the NN"] == 2 and c["NN the"] == 1 and c["<s> the"] == 1
    assert sum(1 for t in c if " " not in t) == 3


def _toy(n: int, seed: int) -> tuple[list[list[str]], np.ndarray]:
    """Texts whose level is the share of `VBZ`-after-`they` errors they avoid."""
    rng = np.random.default_rng(seed)
    docs, y = [], []
    for _ in range(n):
        k = int(rng.integers(0, 6))
        docs.append(["<s>", "they"] + ["VBZ" if i < k else "VBP" for i in range(5)] + ["the", "NN", "."])
        y.append(5 - k + rng.normal(0, 0.3))
    return docs, np.array(y)


def test_fit_learns_and_ranks_unseen_texts():
    docs, y = _toy(200, 1)
    model = pos_ngrams.fit(docs, y, alpha=0.5, min_df=3)
    test_docs, test_y = _toy(100, 2)
    pred = np.array([model.level(d) for d in test_docs])
    assert np.corrcoef(pred, test_y)[0, 1] > 0.9
    assert set(model.terms) >= {"they VBZ", "they VBP"}
    assert model.terms["they VBZ"][1] < 0 < model.terms["they VBP"][1]


def test_level_of_unknown_text_is_zero_and_the_saved_model_round_trips(tmp_path):
    docs, y = _toy(50, 3)
    model = pos_ngrams.fit(docs, y, alpha=1.0, min_df=2)
    assert model.level(["xyz"]) == 0.0
    model.save(tmp_path / "m.json", note="x")
    assert json.loads((tmp_path / "m.json").read_text())["note"] == "x"
    again = pos_ngrams.load_model(tmp_path / "m.json")
    for d in docs[:10]:
        assert again.level(d) == pytest.approx(model.level(d), abs=2e-4)


@settings(max_examples=60, deadline=None)
@given(st.lists(st.sampled_from(["<s>", "the", "a", "NN", "NNS", "VBZ", "VBP", "of", ",", "."]), min_size=1, max_size=60))
def test_level_is_bounded_by_the_weights(syms):
    """tf-idf vectors are l2-normalised, so a level never leaves intercept +- the weight vector's norm."""
    docs, y = _toy(80, 4)
    model = pos_ngrams.fit(docs, y, alpha=1.0, min_df=2)
    bound = float(np.linalg.norm([w for _, w in model.terms.values()]))
    assert abs(model.level(syms) - model.intercept) <= bound + 1e-3


def test_stored_model_orders_learner_and_proficient_writing(parser):
    model = pos_ngrams.load_model()
    assert model is not None and len(model.terms) > 1000
    weak = ("me and my friend goes to school every days and we is very happy . i like school because "
            "the teacher is good and i learn many thing . my mother say school is important for me")
    strong = ("Although schools are often criticised for resisting change, the evidence suggests that "
              "well-designed programmes, which combine structured teaching with independent projects, "
              "can improve both attainment and motivation. Teachers who are given time to plan together "
              "tend to adopt such approaches more readily.")
    lw, ls = (model.level(pos_ngrams.symbols(parser(t))) for t in (weak, strong))
    assert ls > lw + 1.0
    ev = model.assess(pos_ngrams.symbols(parser(weak)))[1]
    assert ev["lowering"] and all(e["effect"] < 0 for e in ev["lowering"])
    assert all("[" in e["reads"] or e["reads"] == e["pattern"] for e in ev["lowering"] + ev["raising"])
    assert all(pos_ngrams.reads(x).startswith("[") for t in model.terms for x in t.split() if x.isupper() or x in ("<s>", "P"))
