"""Spoken items scored from transcripts and timed words (no audio)."""
from __future__ import annotations

import pytest
from hypothesis import assume, given, settings, strategies as st

from scoring.engine import Engine
from scoring.items.speaking import align_words, asq_norm, lcs_len
from scoring.models import InvalidSubmission
from scoring.speech.words import Spoken, disfluencies

REF = "The quick brown fox jumps over the lazy dog near the river bank."
KP = ["The lecture explains that bees pollinate most flowering crops",
      "Bee populations are declining because of pesticides",
      "Losing bees would raise food prices"]
GOOD_RL = ("The lecturer talked about bees, which pollinate many crops. Their numbers are falling due to "
           "pesticides, and this could make food more expensive.")


@pytest.fixture(scope="module")
def engine():
    return Engine()


def timed(text: str, gap: float = 0.08, dur: float = 0.3, pauses: dict[int, float] | None = None) -> list[dict]:
    out, t = [], 0.2
    for i, w in enumerate(text.split()):
        t += (pauses or {}).get(i, 0.0)
        out.append({"word": w, "start": round(t, 3), "end": round(t + dur, 3)})
        t += dur + gap
    return out


def test_read_aloud_content_counts_each_error(engine):
    r = engine.score({"item_type": "read_aloud", "response": {"text": REF}, "item": {"reference_text": REF}})
    c = r.traits["content"]
    assert (c.score, c.max) == (13, 13)
    r = engine.score({"item_type": "read_aloud", "response": {"text": "the quick brown cat jumps over the lazy dog near the big river bank"},
                      "item": {"reference_text": REF}})
    c = r.traits["content"]
    assert c.evidence["replaced"] == 1 and c.evidence["inserted"] == 1 and c.score == 11
    kinds = {f["kind"] for f in c.evidence["findings"]}
    assert {"replaced_word", "inserted_word"} <= kinds
    rep = [f for f in c.evidence["findings"] if f["kind"] == "replaced_word"][0]
    assert rep["text"] == "cat" and rep["suggestions"] == ["fox"] and rep["start"] is not None
    # omitted words, fillers and a repetition: fillers/repetition are fluency events, not content errors
    r = engine.score({"item_type": "read_aloud", "response": {"text": "um the quick quick brown fox jumps over the dog"},
                      "item": {"reference_text": REF}})
    c = r.traits["content"]
    assert c.evidence["omitted"] == 5 and c.evidence["inserted"] == 0 and c.score == 8
    assert r.traits["pronunciation"].scored is False and "recording" in r.traits["pronunciation"].reason
    assert r.traits["oral_fluency"].scored is False


def test_read_aloud_nothing_right_gates_the_item(engine):
    r = engine.score({"item_type": "read_aloud", "response": {"words": timed("hello there my friend")},
                      "item": {"reference_text": "Cats sleep."}})
    assert r.traits["content"].score == 0 and r.gated and r.score == 0


def test_repeat_sentence_official_bands(engine):
    def rs(text):
        return engine.score({"item_type": "repeat_sentence", "response": {"text": text},
                             "item": {"reference_text": REF}}).traits["content"].score
    assert rs(REF) == 3
    assert rs("er so " + REF + " okay that's it") == 3  # talk before/after and fillers ignored
    assert rs("the quick brown fox jumps over the river") == 2  # 8 of 13 in order
    assert rs("the quick fox near") == 1
    assert rs("hello") == 0


@pytest.mark.parametrize("item_type,item", [
    ("retell_lecture", {"key_points": KP}),
    ("summarize_group_discussion", {"key_points": KP}),
    ("describe_image", {"key_points": KP}),
    ("respond_to_situation", {"key_points": KP}),
])
def test_open_content_orders_answers(engine, item_type, item):
    def content(text):
        return engine.score({"item_type": item_type, "response": {"text": text}, "item": item}).traits["content"]
    good, short, off = content(GOOD_RL), content("bees pollinate crops"), content(
        "My favourite football team won the championship last weekend in a great match")
    assert good.score >= 5 and 1 <= short.score < good.score and off.score == 0
    assert "unrelated" in off.evidence["gate"]
    missed = [f for f in short.evidence["findings"] if f["kind"] == "missed_key_point"]
    assert missed and all(f["text"] in KP for f in missed)
    tmpl = content("The image shows information about. We can see that the highest value is. "
                   "In conclusion, it is clear that this image is very informative.")
    assert tmpl.score == 0


def test_open_content_from_source_text(engine):
    lecture = ("Bees pollinate most of the flowering crops that people eat. In many countries bee populations are "
               "declining, mainly because of pesticides and habitat loss. If bees disappeared, food would become "
               "scarcer and prices would rise sharply.")
    r = engine.score({"item_type": "retell_lecture", "response": {"text": GOOD_RL}, "item": {"source_text": lecture}})
    assert r.traits["content"].score >= 4 and r.traits["content"].evidence["key_points_given"] is False
    r = engine.score({"item_type": "respond_to_situation", "response": {"text": "I would like to order a pizza with cheese please"},
                      "item": {"prompt": "Your lecturer asks you why your assignment is late. Explain and ask for an extension."}})
    assert r.traits["content"].score <= 1


def test_asq(engine):
    def asq(text, key):
        return engine.score({"item_type": "answer_short_question", "response": {"text": text},
                             "item": {"answer_key": key}})
    r = asq("It's a thermometer.", ["thermometer"])
    assert r.score == 1 and r.estimate is None
    assert asq("um thermometers", "thermometer").score == 1
    assert asq("three", ["3"]).score == 1
    assert asq("a barometer", ["thermometer"]).score == 0
    assert asq("the answer is " + "word " * 30 + "thermometer", ["thermometer"]).score == 0
    with pytest.raises(InvalidSubmission):
        asq("x", [])


def test_needs_some_response(engine):
    with pytest.raises(InvalidSubmission) as e:
        engine.score({"item_type": "describe_image", "response": {}, "item": {"prompt": "a bar chart"}})
    assert e.value.errors[0].field == "response.text"


def test_timed_word_fluency_orders_deliveries(engine):
    sub = lambda words: {"item_type": "read_aloud", "response": {"words": words}, "item": {"reference_text": REF}}
    clean = engine.score(sub(timed(REF)))
    hes = engine.score(sub(timed("the quick um brown fox fox jumps over uh the lazy dog near the river bank")))
    long1 = engine.score(sub(timed(REF, pauses={5: 1.6})))
    long3 = engine.score(sub(timed(REF, pauses={3: 1.6, 6: 2.0, 9: 1.5})))
    slow = engine.score(sub(timed(REF, gap=0.6, dur=0.4)))
    f = lambda r: r.traits["oral_fluency"].score
    assert f(clean) == 5
    assert f(hes) < f(clean)
    assert f(long1) <= 2 and f(long3) == 0
    assert f(slow) < f(clean)
    ev = long1.traits["oral_fluency"].evidence
    lp = [x for x in ev["findings"] if x["kind"] == "long_pause"]
    assert ev["long_pauses"] == 1 and len(lp) == 1 and lp[0]["time"] > 1.0
    kinds = {x["kind"] for x in hes.traits["oral_fluency"].evidence["findings"]}
    assert {"filler", "repetition"} <= kinds
    assert clean.estimate is not None and clean.estimate.gse > long3.estimate.gse


def test_repetition_in_the_reference_is_content():
    ws = [Spoken(w) for w in "he had had enough".split()]
    assert disfluencies(ws, "he had had enough".split()) == []
    assert [d.kind for d in disfluencies(ws)] == ["repetition"]


def test_disfluency_detection():
    ws = [Spoken(w) for w in "i i went to the the mar- market uh to buy pro produce".split()]
    kinds = [(d.kind, d.text) for d in disfluencies(ws, ["produce"])]
    assert ("repetition", "i") in kinds and ("repetition", "the") in kinds
    assert ("false_start", "mar-") in kinds and ("false_start", "pro") in kinds and ("filler", "uh") in kinds


def test_asq_norm():
    assert asq_norm("The Three thermometers!") == ["3", "thermometer"]


words = st.lists(st.sampled_from("a b c d e f g".split()), max_size=12)


@settings(max_examples=200, deadline=None)
@given(words, words)
def test_alignment_properties(ref, hyp):
    ops = align_words(ref, hyp)
    assert sum(1 for o in ops if o[0] != "ins") == len(ref)
    assert sum(1 for o in ops if o[0] != "del") == len(hyp)
    errors = sum(1 for o in ops if o[0] != "match")
    assert errors <= max(len(ref), len(hyp))
    n, used = lcs_len(ref, hyp)
    assert n == len(used) <= min(len(ref), len(hyp))
    if ref == hyp:
        assert errors == 0 and n == len(ref)


@settings(max_examples=100, deadline=None)
@given(st.lists(st.tuples(st.sampled_from(["go", "um", "the", "cat"]), st.floats(0, 3), st.floats(0.05, 1)), min_size=1, max_size=30))
def test_fluency_always_in_range(spec):
    from scoring.speech import fluency
    t, ws = 0.0, []
    for w, gap, d in spec:
        t += gap
        ws.append(Spoken(w, t, t + d))
        t += d
    r = fluency.score(ws)
    assert r.scored and 0 <= r.score <= 5


@settings(max_examples=150, deadline=None)
@given(st.lists(st.booleans(), min_size=13, max_size=13), st.integers(0, 3))
def test_rs_and_ra_rules_on_random_omissions(keep, n_fillers):
    """Saying a subset of the reference in order: RS follows the 50 % rule, RA loses one point per
    omitted word, and fillers change neither."""
    from scoring.items.speaking import Speech, score_read_aloud_content, score_repeat_sentence_content, _from_text
    ref_words = REF.rstrip(".").split()
    said = [w for w, k in zip(ref_words, keep) if k]
    assume(all(a.lower() != b.lower() for a, b in zip(said, said[1:])))  # "the the" is a repetition, not content
    text = " ".join(["um"] * n_fillers + said)
    sp = Speech(words=_from_text(text), text=text, source="text", timed=False)
    ra_c = score_read_aloud_content(sp, REF)
    assert ra_c.score == len(said) and ra_c.evidence["omitted"] == 13 - len(said)
    rs_c = score_repeat_sentence_content(sp, REF).score
    if len(said) == 13:
        assert rs_c == 3
    elif len(said) >= 6.5:
        assert rs_c == 2
    elif len(said) >= 2:
        assert rs_c == 1
    else:
        assert rs_c == 0


# ------------------------------------------------------------------ model value -> integer 0-5 (cut-points)

@settings(max_examples=200, deadline=None)
@given(st.lists(st.floats(-10, 10), min_size=5, max_size=5), st.floats(-20, 20), st.floats(-20, 20))
def test_cut_point_mapping_is_monotone_and_in_range(raw, a, b):
    from scoring.speech.calibration import to_score
    model = {"cuts": sorted(raw)}
    lo, hi = sorted((a, b))
    s_lo, s_hi = to_score(lo, model), to_score(hi, model)
    assert 0 <= s_lo <= s_hi <= 5
    assert to_score(-1e9, model) == 0 and to_score(1e9, model) == 5
    assert to_score(lo, {}) == min(max(round(lo), 0), 5)  # no cuts: the model value rounded


def test_stored_cut_points_are_monotone():
    from scoring.speech import calibration
    cal = calibration.load()
    for trait in ("fluency", "pronunciation"):
        cuts = cal[trait]["model"]["cuts"]
        assert len(cuts) == 5 and cuts == sorted(cuts)
        assert all(calibration.to_score(c, cal[trait]["model"]) >= k for k, c in enumerate(cuts, 1))


def test_cut_points_are_applied_and_rule_caps_still_apply(monkeypatch):
    import copy
    from scoring.speech import calibration, fluency
    cal = copy.deepcopy(calibration.load())
    words = lambda pauses=None: [Spoken(w["word"], w["start"], w["end"]) for w in timed(REF, pauses=pauses)]
    cal["fluency"]["model"]["cuts"] = [-100, -99, -98, -97, -96]  # every model value maps to 5 ...
    monkeypatch.setattr(calibration, "load", lambda: cal)
    assert fluency.score(words()).score == 5
    assert fluency.score(words({5: 1.6})).score <= 2  # ... but one long pause still caps at 2
    fill = [Spoken(w, 0.2 + 0.38 * i, 0.5 + 0.38 * i) for i, w in enumerate("the quick um brown uh fox er jumps".split())]
    assert fluency.score(fill).score <= 3  # fillers: disfluency cap
    cal["fluency"]["model"]["cuts"] = [96, 97, 98, 99, 100]  # ... and to 0
    r = fluency.score(words())
    assert r.score == 0 and r.evidence["model_value"] < 96


# ---------------------------------------------------------------- long answers are aligned in pieces

from scoring.speech.pronunciation import _join_touching, chunk_bounds  # noqa: E402

CHUNKS = {"chunk_over_s": 15.0, "chunk_min_s": 4.0, "chunk_max_s": 10.0}


@st.composite
def word_times(draw):
    """(word times, duration): words of 0.1-0.9 s with gaps of 0-2.5 s, as a recogniser gives them."""
    n = draw(st.integers(1, 120))
    t, out = draw(st.floats(0, 2)), []
    for _ in range(n):
        d = draw(st.floats(0.1, 0.9))
        out.append((t, t + d))
        t += d + draw(st.floats(0, 2.5))
    return out, t + draw(st.floats(0, 2))


@settings(max_examples=300, deadline=None)
@given(word_times())
def test_pieces_cover_the_answer_in_order_and_cut_only_between_words(wt):
    times, duration = wt
    pieces = chunk_bounds(times, duration, CHUNKS)
    assert pieces[0][:2] == (0, 0.0) and pieces[-1][2] == duration
    for (i, a, b), (j, c, _) in zip(pieces, pieces[1:]):
        assert i < j and b == c  # contiguous, each starting at a later word
        assert times[j - 1][1] <= b <= times[j][0]  # cut in the gap between two words, never inside one
        assert b - a <= CHUNKS["chunk_max_s"] or j == i + 1  # only a single long word may overflow a piece
    if duration <= CHUNKS["chunk_over_s"]:
        assert len(pieces) == 1


def test_a_pause_cut_at_a_piece_boundary_is_one_pause():
    assert _join_touching([(5.0, 5.4), (1.0, 1.2), (5.42, 6.1)]) == [(1.0, 1.2), (5.0, 6.1)]
