"""Written items: Write Essay, Summarize Written Text, Summarize Spoken Text.

Every trait lands on its official integer scale by an explicit rule (see docs/writing.md):
- Form: the catalogue's word-count bands (word-counting rule in scoring/text.py), plus Form 0 for all
  capitals, no punctuation, bullet points only, or (essays) only very short sentences; SWT: one
  complete sentence (one terminal mark, a finite verb) of 5-75 words.
- Spelling: the descriptor literally: 0 errors -> 2, 1 error -> 1, more -> 0 (mixing British and
  American spelling counts as one error).
- Content: 0 for off-topic (embedding relevance below a threshold and few of the prompt's topic words) or memorised template text (high template
  share, little prompt-specific content); otherwise a calibrated model, at least 1; summaries that
  copy the source are capped (>= half copied: at most 2; >= 80%: at most 1).
- Grammar, Vocabulary (range), General Linguistic Range, Development/Structure/Coherence: calibrated
  linear models over named features with cut-points (scoring/calibration.py, data/calibration.json).
Written items also carry a GSE/CEFR `estimate` from the calibrated writing-level model.
"""
from __future__ import annotations

import re
from typing import Any, Mapping, Optional

from scoring.calibration import WRITING_LEVEL, Calibration, TraitModel, load_calibration
from scoring.catalogue import CATALOGUE, ItemSpec
from scoring.features.analysis import Analysis, analyze
from scoring.features import similarity, nlp, spelling, grammar  # noqa: F401  (register resources)
from scoring.models import Estimate, Finding, Submission, TraitResult
from scoring.registry import ItemScore, Resources, scorer
from scoring.text import count_words

LENGTH_FEATURES = ("log_words", "log_words_cap300", "lemma_types")  # replaced by their calibration mean for summaries
_BULLET_RE = re.compile(r"^\s*(?:[-*•·▪●◦]|\d{1,2}[.)]|[a-zA-Z][.)])\s+")
_TERMINAL_RE = re.compile(r"[.!?][\"'”’)]*\s*$")


def _descriptor(item: str, trait: str, score: Optional[int]) -> str:
    d = CATALOGUE.descriptor(item, trait)
    return d.get(str(score), "") if score is not None else ""


def _feedback(item: str, trait: str, score: int, extra: str = "") -> str:
    label = CATALOGUE.traits[trait]["label"]
    mx = CATALOGUE.item(item).traits[trait].max
    text = f"{label} {score}/{mx}: {_descriptor(item, trait, score)}"
    return f"{text} {extra}".strip()


def _fdump(findings: list[Finding], limit: int = 25) -> list[dict]:
    return [f.model_dump(exclude_none=True) for f in findings[:limit]]


# ------------------------------------------------------------------------------------------- Form

def form_problems(text: str, params: dict, essay: bool) -> Optional[str]:
    """The non-count reasons for Form 0 (all capitals, no punctuation, bullets only, very short
    sentences); None when there are none."""
    letters = [c for c in text if c.isalpha()]
    if len(letters) >= 20 and sum(c.isupper() for c in letters) / len(letters) >= params["all_caps_share"]:
        return "written all in capital letters"
    if not re.search(r"[.,;:!?]", text):
        return "no punctuation"
    lines = [ln for ln in text.splitlines() if ln.strip()]
    if len(lines) >= 2 and sum(1 for ln in lines if _BULLET_RE.match(ln)) / len(lines) >= params["bullet_share"]:
        return "bullet points instead of continuous text"
    if essay:
        sents = _sentences(text)
        lens = [count_words(s) for s in sents]
        if len(lens) >= 4 and sum(lens) / len(lens) < params["short_sentence_mean_words"]:
            return "only very short sentences"
    return None


def _sentences(text: str) -> list[str]:
    """Sentences by terminal punctuation, re-joining splits after abbreviations ("e.g. the", "U.S. economy")."""
    from scoring.text import sentence_spans
    out: list[str] = []
    for s, e in sentence_spans(text):
        seg = text[s:e]
        first = seg.lstrip()[:1]
        if out and first and (first.islower() or first.isdigit()):
            out[-1] = out[-1] + " " + seg
        else:
            out.append(seg)
    return out


def word_count_form(spec: ItemSpec, n_words: int) -> int:
    for band in spec.form_rule.bands:
        if band.min_words <= n_words <= band.max_words:
            return band.score
    return 0


def score_form(item_type: str, text: str, a: Optional[Analysis], params: dict) -> TraitResult:
    spec = CATALOGUE.item(item_type)
    n = count_words(text)
    mx = spec.traits["form"].max
    ev: dict[str, Any] = {"word_count": n, "bands": [b.model_dump() for b in spec.form_rule.bands]}
    if spec.form_rule.kind == "one_sentence":
        band = spec.form_rule.bands[0]
        problem = form_problems(text, params, essay=False)
        sents = _sentences(text.strip())
        ev["sentences"] = len(sents)
        if problem is None:
            if not (band.min_words <= n <= band.max_words):
                problem = f"{n} words (must be {band.min_words}-{band.max_words})"
            elif len(sents) != 1:
                problem = f"{len(sents)} sentences (must be exactly one)"
            elif not _TERMINAL_RE.search(text.strip()):
                problem = "the sentence does not end with a full stop"
            elif a is not None and not any(t.tag_ in ("VBZ", "VBP", "VBD", "MD") for t in a.doc):
                problem = "not a complete sentence (no main verb)"
        score = 0 if problem else 1
        ev["problem"] = problem
        fb = f"Form {score}/{mx}: " + (f"Form 0 because of {problem}." if problem else "one complete sentence of the right length.")
        return TraitResult(score=score, max=mx, evidence=ev, feedback=fb)
    score = word_count_form(spec, n)
    problem = form_problems(text, params, essay=item_type == "write_essay")
    if problem:
        score = 0
    ev["problem"] = problem
    extra = f"Form 0 because of {problem}." if problem else f"{n} words."
    return TraitResult(score=score, max=mx, evidence=ev, feedback=_feedback(item_type, "form", score, extra))


# ------------------------------------------------------------------------------------- other traits

SPELLING_RULE = "0 errors: 2, 1 error: 1, more: 0"  # the Spelling descriptor (0-2), literally


def spelling_score(n_errors: int) -> int:
    """Spelling by SPELLING_RULE."""
    return 2 if n_errors == 0 else 1 if n_errors == 1 else 0


def score_spelling(item_type: str, a: Analysis) -> TraitResult:
    mx = CATALOGUE.item(item_type).traits["spelling"].max
    errs = a.findings["spelling"]
    n = len(errs)
    score = spelling_score(n)
    extra = "" if n == 0 else f"{n} spelling issue(s), e.g. " + ", ".join(f"'{f.text}'" + (f" -> '{f.suggestions[0]}'" if f.suggestions else "") for f in errs[:3]) + "."
    return TraitResult(score=min(score, mx), max=mx, evidence={"errors": n, "rule": SPELLING_RULE,
                                                               "findings": _fdump(errs)},
                       feedback=_feedback(item_type, "spelling", score, extra))


def model_inputs(a: Analysis, cal: Calibration, length_neutral: bool = False) -> dict[str, float]:
    """The calibrated models' inputs: the analysis features plus `writing_level`, the writing-level
    model's GSE latent (fitted on W&I and FCE scripts: other learners, other prompts), which every
    essay trait model weighs. `length_neutral` (summaries, short by rule): the length features are left
    out, so they take their calibration mean and an essay-fitted model does not punish a summary for
    being short."""
    feats = {k: v for k, v in a.features.items() if not (length_neutral and k in LENGTH_FEATURES)}
    feats[WRITING_LEVEL] = cal.model("writing.gse").latent(feats)
    return feats


def _modelled(item_type: str, trait: str, model: TraitModel, feats: dict[str, float], findings: list[Finding],
              extra: str = "", floor: int = 0, cap: Optional[int] = None, note: Optional[str] = None,
              profile: Optional[list[dict]] = None) -> TraitResult:
    """A calibrated trait from the model inputs (`model_inputs`). `profile`: the POS profile's patterns,
    shown in this trait's evidence (the profile feeds every modelled trait; one trait shows it)."""
    mx = CATALOGUE.item(item_type).traits[trait].max
    latent = model.latent(feats)
    score = min(max(model.score(feats), floor), mx)
    if cap is not None:
        score = min(score, cap)
    ev: dict[str, Any] = {"model": model.name, "latent": round(latent, 3), "cuts": list(model.cuts),
                          "features": {f: feats.get(f) for f in model.features},
                          "contributions": model.contributions(feats), "findings": _fdump(findings)}
    if not any(f in feats for f in LENGTH_FEATURES):
        ev["length_neutral"] = list(LENGTH_FEATURES)
    if profile:
        ev["pos_profile"] = profile
    if note:
        ev["rule"] = note
    return TraitResult(score=score, max=mx, evidence=ev, feedback=_feedback(item_type, trait, score, extra))


def _grammar_extra(a: Analysis) -> str:
    errs = a.findings["grammar"]
    if not errs:
        return "No grammar errors found."
    ex = errs[0]
    fix = f" -> '{ex.suggestions[0]}'" if ex.suggestions else ""
    return f"{len(errs)} grammar issue(s), e.g. '{ex.text}'{fix}: {ex.message}"


def _vocab_extra(a: Analysis) -> str:
    from scoring.features.vocabulary import basic_words
    rep = basic_words(a.doc)
    return f"Often repeated: {', '.join(rep)}; try more precise alternatives." if rep else ""


def content_gate(f: Mapping[str, float], p: Mapping[str, Any], summary: bool) -> Optional[str]:
    """Why Content is 0 (off-topic or a memorised template), from the features `f` of a response to a
    prompt or source and the rule parameters `p`; None when the gates pass."""
    thr = p["offtopic_relevance_summary"] if summary else p["offtopic_relevance_essay"]
    if f["relevance"] < thr and f["topic_overlap"] < p["offtopic_topic_overlap"]:
        return (f"off-topic: relevance {f['relevance']:.2f} to the {'source' if summary else 'prompt'} is below {thr} "
                f"and only {f['topic_overlap']:.0%} of its topic words are used")
    if f["template_ratio"] >= p["template_ratio"] and f["topic_overlap"] < p["template_topic_overlap"]:
        return (f"memorised template: {f['template_ratio']:.0%} of the words are template phrases and only "
                f"{f['topic_overlap']:.0%} of the {'source' if summary else 'prompt'}'s key words are used")
    return None


def score_content(item_type: str, a: Analysis, cal: Calibration, feats: dict[str, float], summary: bool) -> TraitResult:
    mx = CATALOGUE.item(item_type).traits["content"].max
    model = cal.model("summary.content" if summary else "essay.content")
    gate = None if a.content is None else content_gate(a.features, cal.raw["params"], summary)
    findings = a.findings["content"]
    if gate:
        return TraitResult(score=0, max=mx, evidence={"gate": gate, "relevance": a.features["relevance"],
                                                      "template_ratio": a.features["template_ratio"],
                                                      "topic_overlap": a.features["topic_overlap"],
                                                      "findings": _fdump(findings)},
                           feedback=_feedback(item_type, "content", 0, f"Content 0: {gate}."))
    cap, note = None, None
    if summary:
        p = cal.raw["params"]
        cr = a.features.get("copied_ratio", 0.0)
        if cr >= p["copy_cap1_ratio"]:
            cap, note = 1, f"{cr:.0%} copied from the source: at most 1"
        elif cr >= p["copy_cap2_ratio"]:
            cap, note = 2, f"{cr:.0%} copied from the source: at most 2"
    missed = [f for f in findings if f.kind == "missed_key_point"]
    extra = ""
    if missed:
        extra = f"{len(missed)} key idea(s) not covered, e.g. \"{missed[0].text[:90]}\"."
    if note:
        extra = (extra + f" Paraphrase instead of copying ({note}).").strip()
    elif summary and not a.content.copied:
        extra = (extra + " No copied excerpts found.").strip()
    return _modelled(item_type, "content", model, feats, findings, extra, floor=1, cap=cap, note=note)


def writing_estimate(a: Analysis, feats: dict[str, float]) -> Estimate:
    """The writing-level estimate: the writing-level model's latent among the model inputs (for
    summaries, short by rule, length-neutral: it then rests on accuracy and range)."""
    gse = int(round(min(90.0, max(10.0, feats[WRITING_LEVEL])))) if a.n_words else 10  # no words: the scale's floor
    return Estimate(gse=gse, cefr=CATALOGUE.cefr_level(gse))


def _analysis(sub: Submission, resources: Resources, cal: Calibration, summary: bool) -> Analysis:
    text = sub.response.transcript() or ""
    item = sub.item
    return analyze(text, resources, prompt=item.prompt, source=item.source_text if summary else None,
                   key_points=item.key_points if summary else None,
                   cover_threshold=cal.raw["params"]["cover_threshold"])


def require_text(sub: Submission) -> str:
    from scoring.models import InvalidSubmission
    text = sub.response.transcript()
    if text is None or not text.strip():
        raise InvalidSubmission.one("response.text", f"{sub.item_type} needs the written response text")
    return text


@scorer("write_essay")
def score_write_essay(sub: Submission, resources: Resources) -> ItemScore:
    text = require_text(sub)
    cal = load_calibration()
    a = _analysis(sub, resources, cal, summary=False)
    feats = model_inputs(a, cal)
    it = "write_essay"
    traits = {
        "content": score_content(it, a, cal, feats, summary=False),
        "form": score_form(it, text, a, cal.raw["params"]),
        "development_structure_coherence": _modelled(it, "development_structure_coherence", cal.model("essay.dsc"), feats,
                                                     a.findings["run_on"],
                                                     f"{int(a.features['n_paragraphs'])} paragraph(s), {int(a.features['connectives'])} connectives of {int(a.features['connective_types'])} kinds."),
        "grammar": _modelled(it, "grammar", cal.model("essay.grammar"), feats, a.findings["grammar"] + a.findings["mechanics"], _grammar_extra(a),
                             profile=a.pos_profile),
        "general_linguistic_range": _modelled(it, "general_linguistic_range", cal.model("essay.glr"), feats, [],
                                              f"Lexical diversity (MTLD) {a.features['mtld']:.0f}; {a.features['clauses_per_sentence']:.1f} subordinate clauses per sentence."),
        "vocabulary_range": _modelled(it, "vocabulary_range", cal.model("essay.vocabulary_range"), feats, [], _vocab_extra(a)),
        "spelling": score_spelling(it, a),
    }
    return ItemScore(traits=traits, estimate=writing_estimate(a, feats))


def _score_summary(sub: Submission, resources: Resources, it: str) -> ItemScore:
    text = require_text(sub)
    cal = load_calibration()
    a = _analysis(sub, resources, cal, summary=True)
    spec = CATALOGUE.item(it)
    neutral = model_inputs(a, cal, length_neutral=True)  # summary.content uses no LENGTH_FEATURES (its own capped length)
    traits = {
        "content": score_content(it, a, cal, neutral, summary=True),
        "form": score_form(it, text, a, cal.raw["params"]),
        "grammar": _modelled(it, "grammar", cal.model("essay.grammar"), neutral, a.findings["grammar"] + a.findings["mechanics"], _grammar_extra(a),
                             profile=a.pos_profile),
        "vocabulary": _modelled(it, "vocabulary", cal.model("essay.vocabulary_range"), neutral, [], _vocab_extra(a)),
    }
    if "spelling" in spec.traits:
        traits["spelling"] = score_spelling(it, a)
    return ItemScore(traits=traits, estimate=writing_estimate(a, neutral))


@scorer("summarize_written_text")
def score_summarize_written_text(sub: Submission, resources: Resources) -> ItemScore:
    return _score_summary(sub, resources, "summarize_written_text")


@scorer("summarize_spoken_text")
def score_summarize_spoken_text(sub: Submission, resources: Resources) -> ItemScore:
    if not sub.item.source_text and not sub.item.key_points:
        return _missing_source(sub)
    return _score_summary(sub, resources, "summarize_spoken_text")


def _missing_source(sub: Submission) -> ItemScore:  # check_requirements already rejects this; kept for direct calls
    from scoring.models import InvalidSubmission
    raise InvalidSubmission.one("item.source_text", "summarize_spoken_text needs item.source_text or item.key_points")
