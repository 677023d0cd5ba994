"""Gaming advisories (scoring/features/advisories.py) and their trait effects (scoring/items/writing.py):
property tests of the rules, and the adversarial set (tests/gaming_set.py) scored through the engine
against the targets of docs/gaming.md. Real models (spaCy, MiniLM, symspell, Harper, wordfreq)."""
from __future__ import annotations

import re

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import gaming_set as G
from scoring.engine import Engine
from scoring.features import advisories
from scoring.text import count_words, sentence_spans, tokens

M = G.material()
WORDS = st.sampled_from("the river city market teacher bright slowly carry green window seven morning open".split())
SENTENCE = st.lists(WORDS, min_size=4, max_size=12).map(lambda ws: " ".join(ws).capitalize() + ".")


@pytest.fixture(scope="module")
def engine() -> Engine:
    return Engine()


def essay(engine: Engine, text: str, prompt: str):
    return engine.score({"item_type": "write_essay", "response": {"text": text}, "item": {"prompt": prompt}})


def kinds(result) -> set[str]:
    return {a.kind for a in result.advisories}


# ------------------------------------------------------------------------------- rules (pure)

def _rep(text: str) -> dict:
    return advisories.repetition(text, sentence_spans(text), tokens(text))


@settings(max_examples=60, deadline=None)
@given(st.lists(SENTENCE, min_size=1, max_size=6, unique=True), st.integers(2, 6))
def test_repeating_a_text_makes_the_copies_repeated(sents, times):
    base = " ".join(sents)
    rep = _rep(" ".join([base] * times))
    n = count_words(base)
    assert rep["repeated_words"] >= (times - 1) * n  # every sentence has >= MIN_SENTENCE_WORDS words: each copy repeats
    for s, e in rep["spans"]:  # evidence: spans inside the text, in order, not overlapping
        assert 0 <= s < e
    assert rep["spans"] == advisories.merge_spans(rep["spans"])


@settings(max_examples=60, deadline=None)
@given(st.lists(SENTENCE, min_size=1, max_size=8, unique=True))
def test_distinct_sentences_without_long_shared_runs_are_not_repeated(sents):
    text = " ".join(sents)
    norms = [t.norm for t in tokens(text)]
    grams = [tuple(norms[i:i + advisories.BLOCK_WORDS]) for i in range(len(norms) - advisories.BLOCK_WORDS + 1)]
    if len(set(grams)) == len(grams):
        assert _rep(text)["repeated_share"] == 0.0


@settings(max_examples=40, deadline=None)
@given(st.lists(SENTENCE, min_size=2, max_size=6, unique=True), st.integers(2, 5))
def test_cutting_the_repeats_leaves_each_sentence_once(sents, times):
    text = " ".join(sents * times)
    rep = _rep(text)
    kept, segs = advisories.without_spans(text, rep["spans"])
    assert count_words(kept) <= count_words(" ".join(sents)) + 1
    assert _rep(kept)["repeated_share"] <= rep["repeated_share"]
    for t in tokens(kept):  # every word of the cut text maps back onto the same word of the response
        s = advisories.to_original(t.start, segs)
        assert text[s:s + len(t.text)] == t.text


def test_repetition_evidence_names_the_sentences():
    s = M["repeat_sentences"]["space"]
    text = " ".join([s] * 3)
    rep = _rep(text)
    assert [(x["sentence"], x["repeats"]) for x in rep["sentences"]] == [(1, 0), (2, 0)]
    assert all(text[x["start"]:x["end"]] == s and s.startswith(x["text"].rstrip(".")) for x in rep["sentences"])
    assert len(rep["spans"]) == 1 and rep["spans"][0][0] == len(s) + 1 and text[rep["spans"][0][1]:] == "."


@settings(max_examples=50, deadline=None)
@given(st.text(alphabet=st.characters(blacklist_categories=("Cs",)), max_size=200))
def test_template_share_is_a_share_and_spans_match_the_text(text):
    from scoring.features.content import template_spans
    tpl = advisories.template(text, tokens(text), template_spans(text))
    assert 0.0 <= tpl["template_share"] <= 1.0
    assert all(text[p["start"]:p["end"]] == p["text"] for p in tpl["phrases"])


@settings(max_examples=50, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.sampled_from(M["salad_words"]), min_size=10, max_size=60), st.integers(0, 10_000))
def test_words_of_no_language_are_not_foreign_and_foreign_share_is_bounded(words, seed):
    text = " ".join(words)
    lang = advisories.language(text, tokens(text))
    assert lang["foreign_share"] == 0.0  # English words, however random, are English
    fr = M["other_languages"]["fr"]
    mixed = text + " " + fr
    share = advisories.language(mixed, tokens(mixed))["foreign_share"]
    assert 0.0 < share < 1.0


def test_not_english_evidence_names_words_spans_and_language():
    for code, text in M["other_languages"].items():
        lang = advisories.language(text, tokens(text))
        assert lang["likely_language"] == code and lang["foreign_share"] > 0.8
        assert all(text[w["start"]:w["end"]] == w["text"] for w in lang["words"])


def test_specificity_prefers_the_prompt_it_answers(engine):
    import numpy as np
    emb = engine.resources.get("embedder")
    bg = emb.embed(advisories.config()["background_prompts"])
    v = emb.embed([M["on_topic"]["homework"]], 96)[0]
    own = advisories.prompt_specificity(v, emb.embed([M["prompts"]["homework"]])[0], bg, 0.6)
    other = advisories.prompt_specificity(v, emb.embed([M["prompts"]["space"]])[0], bg, 0.6)
    assert own > 0.2 > other and np.isfinite(own)


# ------------------------------------------------------------------------- the adversarial set

GENUINE = {key: text for key, text in M["on_topic"].items()}


@pytest.fixture(scope="module")
def genuine_scores(engine) -> dict[str, float]:
    return {key: essay(engine, text, M["prompts"][key]).score for key, text in GENUINE.items()}


def test_genuine_essays_get_no_advisory_and_full_credit(engine):
    for key, text in GENUINE.items():
        r = essay(engine, text, M["prompts"][key])
        assert r.advisories == [] and r.score >= 20, (key, r.score, r.advisories)


# a known miss (docs/gaming.md, Left to do): the cities prompt has four topic words, and the homework essay
# with them pasted in stays above the own-specificity rule (specificity 0.22, own -0.026)
KNOWN_MISSES = {"stuffed:homework essay with the cities keywords"}


def _case(r: dict):
    rid = f"{r['kind']}:{r['source']}"
    marks = [pytest.mark.xfail(strict=True, reason="known miss, docs/gaming.md")] if rid in KNOWN_MISSES else []
    return pytest.param(r, id=rid, marks=marks)


@pytest.mark.parametrize("resp", [_case(r) for r in G.generated()])
def test_gamed_response_gets_its_advisory_and_scores_low(engine, genuine_scores, resp):
    r = essay(engine, resp["text"], resp["prompt"])
    found = kinds(r)
    content = r.traits["content"]
    content_assessed = content.evidence.get("ungated_score", content.score)
    expected = {"template_no_topic": {"template", "off_topic"}, "template_keywords": {"template"},
                "repeat_sentence": {"repetition"}, "repeat_paragraph": {"repetition"},
                "salad_advanced": {"word_salad"}, "salad_shuffled": {"word_salad"}, "other_language": {"not_english"},
                "swapped": {"off_topic"}, "stuffed": {"off_topic"}}[resp["kind"]]
    assert found & expected, (resp["kind"], found, r.score)
    assert r.score < min(genuine_scores.values()) - 6
    if resp["kind"] in ("template_no_topic", "swapped", "stuffed"):
        assert content_assessed <= 1
    if resp["kind"] in ("salad_advanced", "salad_shuffled", "other_language"):
        assert r.score <= 3
    for adv in r.advisories:  # every advisory carries evidence and says what it lowered
        assert adv.evidence and adv.message
    for adv in r.advisories:
        for key in ("spans",):
            for s, e in adv.evidence.get(key, []):
                assert resp["text"][s:e].strip()
        for item in adv.evidence.get("sentences", []) + adv.evidence.get("phrases", []):
            assert resp["text"][item["start"]:item["end"]].strip()


def test_content_gate_from_an_advisory_zeroes_the_item(engine):
    r = essay(engine, M["other_languages"]["fr"], M["prompts"]["space"])
    assert r.gated and r.score == 0 and r.traits["content"].evidence.get("gate")
    adv = next(a for a in r.advisories if a.kind == "not_english")
    assert "content" in adv.lowers


def test_word_salad_lowers_grammar_and_range(engine):
    r = essay(engine, G.salad_advanced(M["salad_words"], 3), M["prompts"]["cities"])
    ung = {k: t.evidence.get("ungated_score", t.score) for k, t in r.traits.items()}
    assert ung["grammar"] == 0 and ung["general_linguistic_range"] <= 1 and ung["vocabulary_range"] <= 1


def test_repetition_counts_only_first_occurrences_for_form(engine):
    text = G.repeat(M["repeat_paragraphs"]["homework"], 7)
    r = essay(engine, text, M["prompts"]["homework"])
    assert "repetition" in kinds(r)
    assert r.traits["form"].evidence["word_count"] == count_words(M["repeat_paragraphs"]["homework"])


def test_findings_of_a_cut_text_point_into_the_response(engine):
    text = G.repeat("Childs has to many homeworks and they is tired every nigth after the school day.", 12)
    r = essay(engine, text, M["prompts"]["homework"])
    assert "repetition" in kinds(r)
    found = [f for t in r.traits.values() for f in t.evidence.get("findings", []) if f.get("start") is not None]
    assert found and all(text[f["start"]:f["end"]] == f["text"] for f in found)


def test_template_phrases_are_cut_before_the_language_traits(engine):
    prompt = M["prompts"]["space"]
    text = G.template_keywords(M["templates"][1], M["keywords"]["space"])
    r = essay(engine, text, prompt)
    adv = next(a for a in r.advisories if a.kind == "template")
    assert adv.evidence["phrases"] and all(re.search(re.escape(p["text"]), text) for p in adv.evidence["phrases"])
    assert r.traits["content"].evidence.get("ungated_score", r.traits["content"].score) <= 1
    assert r.traits["general_linguistic_range"].score <= 3


# ------------------------------------------------------------------------------ spoken transcripts

RL_POINTS = ["Bees pollinate most of the flowering crops that people eat.",
             "Bee populations are declining because of pesticides and habitat loss.",
             "Without bees food would become scarcer and more expensive."]
RL_ANSWER = ("The lecture explained that bees pollinate most flowering crops we eat. Their numbers are falling because "
             "of pesticides and the loss of habitats. Without bees, food would be scarcer and prices would rise.")


def retell(engine: Engine, text: str):
    return engine.score({"item_type": "retell_lecture", "response": {"text": text}, "item": {"key_points": RL_POINTS}})


def test_spoken_answer_in_another_language_is_content_zero(engine):
    fr = ("Le conférencier a expliqué que les abeilles pollinisent la plupart des cultures que nous mangeons. Leur nombre "
          "diminue à cause des pesticides et de la perte des habitats, et sans elles la nourriture serait plus chère.")
    r = retell(engine, fr)
    assert r.traits["content"].score == 0 and r.gated
    adv = next(a for a in r.advisories if a.kind == "not_english")
    assert adv.evidence["likely_language"] == "fr" and "content" in adv.lowers


def test_spoken_repeats_do_not_count_towards_length(engine):
    once = retell(engine, "Bees pollinate crops. Pesticides harm bees.")
    padded = retell(engine, " ".join(["Bees pollinate crops. Pesticides harm bees."] * 8))
    assert "repetition" in kinds(padded) and not once.advisories
    assert padded.traits["content"].evidence["words_counted"] <= 2 * once.traits["content"].evidence["words_counted"]
    assert padded.traits["content"].score <= once.traits["content"].score


def test_spoken_template_and_off_topic_answers_are_advisories(engine):
    tmpl = retell(engine, "The speaker was talking about. The lecturer also talked about. In conclusion, the lecture was very informative.")
    assert tmpl.traits["content"].score == 0 and "template" in kinds(tmpl)
    off = retell(engine, "My favourite football team won the championship last weekend in a great match")
    assert off.traits["content"].score == 0 and "off_topic" in kinds(off)
    assert not retell(engine, RL_ANSWER).advisories
