"""The combination rule: weighted per trait, gates recomputed and never lifted, disagreements flagged,
the local score standing (with the reason) whenever the AI is not usable."""
import pytest
from hypothesis import given, settings as hsettings, strategies as st

from fakes.ai_samples import local_result, settings
from scoring.ai.hybrid import blend, combine, round_half_up
from scoring.ai.prompts import ai_traits
from scoring.catalogue import CATALOGUE
from scoring.models import ScoreResult

S = settings()
SWT_LOCAL = {"content": 2, "form": 1, "grammar": 2, "vocabulary": 1}


def ai(traits: dict, **kw):
    return {"source": "ai", "status": "ok", "provider": "vercel", "model": "m", "cached": False,
            "traits": {k: {"score": v, "reason": f"AI says {k}"} for k, v in traits.items()}, **kw}


def test_half_and_half_per_trait_rounded_half_up():
    out = combine(local_result("summarize_written_text", SWT_LOCAL), ai({"content": 3, "grammar": 1, "vocabulary": 2}), S)
    t = out["traits"]
    assert (t["content"]["score"], t["grammar"]["score"], t["vocabulary"]["score"]) == (3, 2, 2)  # 2.5, 1.5, 1.5 -> up
    assert t["form"]["score"] == 1 and t["form"]["source"] == "local" and t["form"]["detail"] is None
    assert t["content"]["source"] == "hybrid"
    assert t["content"]["detail"]["local"] == 2 and t["content"]["detail"]["ai"] == 3 and t["content"]["detail"]["combined"] == 3
    assert "AI rater: AI says content" in t["content"]["feedback"]
    assert out["score"] == 3 + 1 + 2 + 2 and out["ai"]["status"] == "ok"
    ScoreResult.model_validate(out)  # still a valid result


def test_partial_wrapped_by_the_pipeline_is_unwrapped():
    wrapped = {"job_id": "j", "source": "ai", "status": "completed", "result": ai({"content": 3, "grammar": 1, "vocabulary": 2})}
    out = combine(local_result("summarize_written_text", SWT_LOCAL), wrapped, S)
    assert out["ai"]["status"] == "ok" and out["traits"]["content"]["score"] == 3


def test_weight_setting_is_honoured():
    local = local_result("summarize_written_text", SWT_LOCAL)
    assert combine(local, ai({"content": 4, "grammar": 0, "vocabulary": 0}), settings(ai_weight=0.0))["score"] == 6
    out = combine(local, ai({"content": 4, "grammar": 0, "vocabulary": 0}), settings(ai_weight=1.0))
    assert {k: v["score"] for k, v in out["traits"].items()} == {"content": 4, "form": 1, "grammar": 0, "vocabulary": 0}


def test_ai_cannot_lift_a_content_zero_gate():
    local = local_result("write_essay", {"content": 0, "form": 2, "development_structure_coherence": 4, "grammar": 1,
                                         "general_linguistic_range": 4, "vocabulary_range": 1, "spelling": 2})
    assert local["gated"] and local["score"] == 0
    out = combine(local, ai({"content": 6, "development_structure_coherence": 6, "grammar": 2,
                             "general_linguistic_range": 6, "vocabulary_range": 2, "spelling": 2}), S)
    assert out["gated"] and out["score"] == 0 and "Content scored 0" in out["gate_reason"]
    c = out["traits"]["content"]
    assert c["score"] == 0 and c["detail"]["rule"].startswith("gate trait scored 0 locally")
    assert out["traits"]["grammar"]["evidence"]["ungated_score"] == 2  # the combined, ungated value is kept
    assert out["review"]["required"] and "content" in out["review"]["traits"]


def test_form_zero_gate_kept_form_never_sent_to_ai():
    local = local_result("write_essay", {"content": 5, "form": 0, "development_structure_coherence": 4, "grammar": 1,
                                         "general_linguistic_range": 4, "vocabulary_range": 1, "spelling": 2})
    out = combine(local, ai({"content": 6, "form": 2, "spelling": 2}), S)  # a stray form score is ignored
    assert out["gated"] and out["score"] == 0 and out["traits"]["form"]["score"] == 0
    assert out["traits"]["form"]["source"] == "local"


def test_gate_is_recomputed_on_combined_traits():
    local = local_result("summarize_written_text", {**SWT_LOCAL, "content": 1})
    out = combine(local, ai({"content": 0, "grammar": 2, "vocabulary": 2}), settings(ai_weight=0.6))
    assert out["traits"]["content"]["score"] == 0 and out["gated"] and out["score"] == 0  # 0.4*1 -> 0


def test_large_disagreement_flags_human_review():
    local = local_result("write_essay", {"content": 1, "form": 2, "development_structure_coherence": 4, "grammar": 1,
                                         "general_linguistic_range": 4, "vocabulary_range": 1, "spelling": 2})
    out = combine(local, ai({"content": 6, "development_structure_coherence": 5, "grammar": 1,
                             "general_linguistic_range": 4, "vocabulary_range": 1, "spelling": 2}), S)
    assert out["review"] == {"required": True, "traits": {"content": "local 1, AI 6 (range 0-6)"}}
    assert out["traits"]["content"]["detail"]["review"] is True
    assert out["traits"]["development_structure_coherence"]["detail"]["review"] is False  # 1/6 < 0.34
    assert any(w.startswith("human review suggested: content") for w in out["warnings"])


def test_local_not_scored_takes_ai_alone_for_review():
    local = local_result("summarize_written_text", {**SWT_LOCAL, "content": None})
    assert "content not scored: no data for this trait" in local["warnings"]
    out = combine(local, ai({"content": 3, "grammar": 2, "vocabulary": 1}), S)
    c = out["traits"]["content"]
    assert c["scored"] and c["score"] == 3 and c["source"] == "ai" and out["review"]["traits"]["content"].startswith("no local")
    assert not any(w.startswith("content not scored") for w in out["warnings"])


@pytest.mark.parametrize("partial, status, reason", [
    (None, "missing", "no AI result arrived"),
    ({"status": "failed", "reason": "every AI provider failed (vercel: timeout)"}, "failed", "vercel: timeout"),
    ({"status": "not_configured", "reason": "no AI provider configured"}, "not_configured", "no AI provider"),
    ({"status": "skipped", "reason": "no response text"}, "skipped", "no response text"),
])
def test_local_score_stands_with_the_reason_when_ai_unusable(partial, status, reason):
    local = local_result("summarize_written_text", SWT_LOCAL)
    out = combine(local, partial, S)
    assert out["ai"]["status"] == status and reason in out["ai"]["reason"]
    assert out["score"] == local["score"] and out["traits"] == local["traits"]


def test_policy_switch_off_ignores_even_an_ai_answer():
    out = combine(local_result("summarize_written_text", SWT_LOCAL), ai({"content": 4, "grammar": 0, "vocabulary": 0}),
                  settings(ai_share_responses=False))
    assert out["ai"]["status"] == "disabled" and "disabled by policy" in out["ai"]["reason"] and out["score"] == 6
    assert combine(local_result("summarize_written_text", SWT_LOCAL), ai({"content": 4}), settings(ai_mode="off"))["ai"]["status"] == "off"


def test_objective_items_never_use_ai():
    local = local_result("multiple_choice_single_reading", {"content": 1})
    out = combine(local, ai({"content": 0}), S)
    assert out["score"] == 1 and out["ai"]["status"] == "not_used"


def test_out_of_range_ai_score_is_ignored_not_clamped():
    out = combine(local_result("summarize_written_text", SWT_LOCAL), ai({"content": 9, "grammar": 2, "vocabulary": 1}), S)
    assert out["traits"]["content"]["score"] == 2 and out["traits"]["content"]["source"] == "local"
    assert any("content (AI score 9 outside 0-4)" in w for w in out["warnings"])


def test_round_half_up():
    assert [round_half_up(x) for x in (0.5, 1.5, 2.5, 2.49, 0.0)] == [1, 2, 3, 2, 0]


HYBRID_ITEMS = [c for c in CATALOGUE.items if ai_traits(c) and all(t.max is not None for t in CATALOGUE.item(c).traits.values())]


@st.composite
def case(draw):
    code = draw(st.sampled_from(HYBRID_ITEMS))
    spec = CATALOGUE.item(code)
    local = {n: draw(st.integers(t.min, t.max)) for n, t in spec.traits.items()}
    aiv = {n: draw(st.integers(spec.traits[n].min, spec.traits[n].max)) for n in ai_traits(code)}
    w = draw(st.sampled_from([0.0, 0.25, 0.5, 0.75, 1.0]))
    return code, local, aiv, w


@given(case())
@hsettings(max_examples=150, deadline=None)
def test_properties_of_the_combination(c):
    code, local, aiv, w = c
    spec = CATALOGUE.item(code)
    out = combine(local_result(code, local), ai(aiv), settings(ai_weight=w))
    locally_gated = any(local[g] == 0 for g in spec.gates)
    if locally_gated:
        assert out["gated"] and out["score"] == 0  # never lifted
    for name, t in out["traits"].items():
        raw = t["evidence"].get("ungated_score", t["score"])
        if name in aiv:
            lo, hi = sorted((local[name], aiv[name]))
            assert lo <= raw <= hi  # between the two raters
            if not (name in spec.gates and local[name] == 0):
                assert raw == blend(local[name], aiv[name], w)
            assert t["detail"]["review"] == (abs(aiv[name] - local[name]) / (t["max"] - spec.traits[name].min) > 0.34)
        else:
            assert raw == local[name]  # traits the AI may not judge keep the local score
    assert out["gated"] == any(out["traits"][g]["evidence"].get("ungated_score", out["traits"][g]["score"]) == 0 for g in spec.gates)


def test_local_advisories_survive_the_combination():
    local = local_result("summarize_written_text", SWT_LOCAL)
    local["advisories"] = [{"kind": "repetition", "message": "m", "evidence": {"repeated_share": 0.5}, "lowers": {"all traits": "x"}}]
    out = combine(local, ai({"content": 3, "grammar": 1, "vocabulary": 2}), S)
    assert [a["kind"] for a in out["advisories"]] == ["repetition"]
