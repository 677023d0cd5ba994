"""Written items: Write Essay, Summarize Written Text, Summarize Spoken Text.

Every trait lands on its official integer scale by an explicit rule (see docs/writing.md):
- Form: the catalogue's word-count bands (word-counting rule in scoring/text.py), plus Form 0 for all
  capitals, no punctuation, bullet points only, or (essays) only very short sentences; SWT: one
  complete sentence (one terminal mark, a finite verb) of 5-75 words.
- Spelling: the descriptor literally: 0 errors -> 2, 1 error -> 1, more -> 0 (mixing British and
  American spelling counts as one error).
- Content: 0 for off-topic (embedding relevance below a threshold and few of the prompt's topic words;
  essays also: no closer to this prompt than to other prompts, see docs/gaming.md) or memorised
  template text (high template share, little prompt-specific content); otherwise a calibrated model,
  at least 1; summaries that copy the source are capped (>= half copied: at most 2; >= 80%: at most 1).
- Advisories (docs/gaming.md, `assess_gaming`): not English, word salad, off-topic, repetition and
  template language, each with evidence; they set Content 0 (the official gate), cap traits, or have
  the traits scored on the text without repeats / template phrases.
- Grammar, Vocabulary (range), General Linguistic Range, Development/Structure/Coherence: calibrated
  linear models over named features with cut-points (scoring/calibration.py, data/calibration.json).
Written items also carry a GSE/CEFR `estimate` from the calibrated writing-level model.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field, replace
from typing import Any, Mapping, Optional

from scoring.calibration import WRITING_LEVEL, Calibration, TraitModel, load_calibration
from scoring.catalogue import CATALOGUE, ItemSpec
from scoring.features.analysis import Analysis, analyze
from scoring.features import advisories, similarity, nlp, spelling, grammar  # noqa: F401  (register resources)
from scoring.models import Advisory, Estimate, Finding, Submission, TraitResult
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
    prompt or source and the rule parameters `p`; None when the gates pass. Essays are also off-topic
    when they use few topic words and are no closer to this prompt than to other prompts
    (`prompt_specificity`: a template that fits every prompt, an essay written for another one)."""
    thr = p["offtopic_relevance_summary"] if summary else p["offtopic_relevance_essay"]
    if f["relevance"] < thr and f["topic_overlap"] < p["offtopic_topic_overlap"]:
        return (f"off-topic: relevance {f['relevance']:.2f} to the {'source' if summary else 'prompt'} is below {thr} "
                f"and only {f['topic_overlap']:.0%} of its topic words are used")
    if f["template_ratio"] >= p["template_ratio"] and f["topic_overlap"] < p["template_topic_overlap"]:
        return (f"memorised template: {f['template_ratio']:.0%} of the words are template phrases and only "
                f"{f['topic_overlap']:.0%} of the {'source' if summary else 'prompt'}'s key words are used")
    spec, own = f.get("prompt_specificity"), f.get("own_specificity")
    if (summary or spec is None or f.get("prompt_words", 0) < p["offtopic_prompt_words"]
            or f.get("prompt_topic_words", 0) < p["offtopic_prompt_topic_words"]):
        return None  # a title, or an instruction without a topic, is too little to compare an essay with (docs/gaming.md)
    if spec < p["offtopic_specificity_essay"] and f["topic_overlap"] < p["offtopic_topic_overlap"]:
        return (f"off-topic: no closer to this prompt than to other prompts (specificity {spec:+.2f} < "
                f"{p['offtopic_specificity_essay']}) and only {f['topic_overlap']:.0%} of its topic words are used")
    if own is not None and own < p["offtopic_own_specificity_essay"]:
        return (f"off-topic: with the prompt's own words set aside, the essay is no closer to this prompt than to "
                f"other prompts (own specificity {own:+.2f} < {p['offtopic_own_specificity_essay']}): pasting the "
                f"prompt's words into an essay about something else does not make it an answer")
    return None


def score_content(item_type: str, a: Analysis, cal: Calibration, feats: dict[str, float], summary: bool,
                  gate: Optional[str] = None, cap: Optional[int] = None, cap_note: Optional[str] = None) -> TraitResult:
    """Content: 0 with `gate` (the advisories' and prompt rules' reason), else the calibrated model,
    at least 1, at most `cap` (an advisory's cap, with `cap_note`) and the copy caps for summaries."""
    mx = CATALOGUE.item(item_type).traits["content"].max
    model = cal.model("summary.content" if summary else "essay.content")
    findings = a.findings["content"]
    if gate:
        return TraitResult(score=0, max=mx, evidence={"gate": gate, "relevance": a.features["relevance"],
                                                      "template_ratio": a.features["template_ratio"],
                                                      "topic_overlap": a.features["topic_overlap"],
                                                      "findings": _fdump(findings)},
                           feedback=_feedback(item_type, "content", 0, f"Content 0: {gate}."))
    note = cap_note
    if summary:
        p = cal.raw["params"]
        cr = a.features.get("copied_ratio", 0.0)
        if cr >= p["copy_cap1_ratio"] and (cap is None or cap > 1):
            cap, note = 1, f"{cr:.0%} copied from the source: at most 1"
        elif cr >= p["copy_cap2_ratio"] and (cap is None or cap > 2):
            cap, note = 2, f"{cr:.0%} copied from the source: at most 2"
    missed = [f for f in findings if f.kind == "missed_key_point"]
    extra = ""
    if missed:
        extra = f"{len(missed)} key idea(s) not covered, e.g. \"{missed[0].text[:90]}\"."
    if note and note != cap_note:
        extra = (extra + f" Paraphrase instead of copying ({note}).").strip()
    elif note:
        extra = (extra + f" {note}.").strip()
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


# ------------------------------------------------------------------------------------ advisories

@dataclass
class Gaming:
    """The advisories of a response and what they do to its traits (docs/gaming.md)."""

    advisories: list[Advisory] = field(default_factory=list)
    content_gate: Optional[str] = None  # Content 0 (the official gate) and why
    content_cap: Optional[tuple[int, str]] = None  # Content at most this, and why
    caps: dict[str, tuple[int, str]] = field(default_factory=dict)  # other traits: at most this, and why
    form_cut: list[tuple[int, int]] = field(default_factory=list)  # spans not counted for Form (repeats)
    language_cut: list[tuple[int, int]] = field(default_factory=list)  # spans cut before the other traits are scored

    def lower(self, kind: str, trait: str, effect: str) -> None:
        for adv in self.advisories:
            if adv.kind == kind:
                adv.lowers[trait] = effect


SALAD_CAPS = {"grammar": 0, "general_linguistic_range": 1, "development_structure_coherence": 1, "vocabulary_range": 1, "vocabulary": 1}


def assess_gaming(a: Analysis, cal: Calibration, summary: bool) -> Gaming:
    """The advisories of analysis `a` (scoring/features/advisories.py) and their trait effects:
    - not English, word salad, off-topic, a template with few topic words: Content 0 (official gate:
      the response does not deal with the prompt in English; templates and off-topic answers get
      Content 0 under Pearson's human content review);
    - word salad also caps Grammar at 0 and the range and structure traits at 1 (no sentence structure
      to assess);
    - template (on topic): Content at most 1, DSC at most 1 (the structure is the template's), and the
      language traits are scored on the learner's own words (template phrases cut: memorised language
      shows no range of your own);
    - repetition: every trait, Form included, is scored on the text without the repeats (padding is
      not counted)."""
    p, cp = advisories.params(), cal.raw["params"]
    g = Gaming(advisories=advisories.detect(a.gaming, p, essay=not summary))
    kinds = {x.kind for x in g.advisories}
    gate = content_gate(a.features, cp, summary) if a.content is not None else None
    if gate and gate.startswith("off-topic"):
        f = a.features
        g.advisories.append(Advisory(kind="off_topic", message=f"The response does not address the {'source' if summary else 'prompt'}: {gate}.",
                                     evidence={"relevance": f["relevance"], "prompt_specificity": f.get("prompt_specificity"),
                                               "topic_overlap": f["topic_overlap"], "topic_words": a.gaming["topic_words"],
                                               "topic_words_used": a.gaming["topic_words_used"]}))
        kinds.add("off_topic")
    if gate and gate.startswith("memorised template") and "template" not in kinds:
        tpl = a.gaming["template"]
        g.advisories.append(Advisory(kind="template", message=f"{tpl['template_share']:.0%} of the words are memorised template phrases.",
                                     evidence=tpl))
        kinds.add("template")
    for kind, why in (("not_english", "not in English"), ("word_salad", "no sentences with grammatical structure, so nothing that deals with the prompt")):
        if kind in kinds:
            gate = gate or f"{why} ({next(x.message for x in g.advisories if x.kind == kind)})"
    if "word_salad" in kinds:
        for trait, mx in SALAD_CAPS.items():
            g.caps[trait] = (mx, "word salad: no sentence structure to assess")
    if "template" in kinds and not gate:
        g.content_cap = (1, "memorised template language: at most 1")
        g.caps["development_structure_coherence"] = (1, "memorised template: the structure is the template's, not developed by the writer")
        g.language_cut += [(x["start"], x["end"]) for x in a.gaming["template"]["phrases"]]
    if "repetition" in kinds:
        g.form_cut = list(a.gaming["repetition"]["spans"])
        g.language_cut += g.form_cut
    g.content_gate = gate
    if gate:
        cause = next((k for k in ("not_english", "word_salad", "off_topic", "template") if k in kinds), None)
        if cause:
            g.lower(cause, "content", "0: the response does not deal with the prompt (official gate: the whole item scores 0)")
    if g.content_cap:
        g.lower("template", "content", "at most 1: template phrases show no content of your own")
        g.lower("template", "language traits", "scored on your own words, the template phrases cut out")
    if g.form_cut:
        g.lower("repetition", "all traits", "scored on the text without the repeated material (Form too, when that is lower)")
    for trait, (mx, why) in g.caps.items():
        g.lower("word_salad" if why.startswith("word salad") else "template", trait, f"at most {mx}")
    return g


def _apply_cap(tr: TraitResult, cap: Optional[tuple[int, str]]) -> TraitResult:
    if cap is None or tr.score is None or tr.score <= cap[0]:
        return tr
    tr.evidence = {**tr.evidence, "advisory_cap": {"cap": cap[0], "why": cap[1], "assessed": tr.score}}
    tr.score = cap[0]
    tr.feedback = f"{tr.feedback} Capped at {cap[0]}: {cap[1]}."
    return tr


def _language_analysis(sub: Submission, resources: Resources, cal: Calibration, a: Analysis, g: Gaming, summary: bool) -> Analysis:
    """The analysis the language traits read: `a` itself, or that of the text with the advisories'
    cuts, its findings' spans mapped back onto the response."""
    if not g.language_cut:
        return a
    kept, segs = advisories.without_spans(a.text, g.language_cut)
    item = sub.item
    la = analyze(kept if count_words(kept) else ".", resources, prompt=item.prompt, source=item.source_text if summary else None,
                 key_points=item.key_points if summary else None, cover_threshold=cal.raw["params"]["cover_threshold"])

    def back(f: Finding) -> Finding:
        if f.start is None or f.end is None:
            return f
        start, end = advisories.to_original(f.start, segs), advisories.to_original(max(f.end - 1, f.start), segs) + 1
        return f.model_copy(update={"start": start, "end": end, "text": a.text[start:end]})
    return replace(la, text=a.text, findings={k: [back(f) for f in v] for k, v in la.findings.items()})


def _form(item_type: str, text: str, a: Analysis, g: Gaming, params: dict) -> TraitResult:
    """Form on the text as written, or on the text without the repeats when that scores lower
    (padding does not count towards the length; cutting it never lifts an over-long response)."""
    full = score_form(item_type, text, a, params)
    if not g.form_cut:
        return full
    cut = score_form(item_type, advisories.without_spans(text, g.form_cut)[0], a, params)
    if cut.score >= full.score:
        return full
    cut.evidence = {**cut.evidence, "word_count_as_written": full.evidence["word_count"]}
    return cut


@scorer("write_essay")
def score_write_essay(sub: Submission, resources: Resources) -> ItemScore:
    text = require_text(sub)
    cal = load_calibration()
    a = _analysis(sub, resources, cal, summary=False)
    g = assess_gaming(a, cal, summary=False)
    la = _language_analysis(sub, resources, cal, a, g, summary=False)
    feats = model_inputs(la, cal)
    it = "write_essay"
    traits = {
        "content": score_content(it, a if g.content_gate else la, cal, feats, summary=False, gate=g.content_gate,
                                 cap=g.content_cap[0] if g.content_cap else None, cap_note=g.content_cap[1] if g.content_cap else None),
        "form": _form(it, text, la, g, cal.raw["params"]),
        "development_structure_coherence": _modelled(it, "development_structure_coherence", cal.model("essay.dsc"), feats,
                                                     la.findings["run_on"],
                                                     f"{int(la.features['n_paragraphs'])} paragraph(s), {int(la.features['connectives'])} connectives of {int(la.features['connective_types'])} kinds."),
        "grammar": _modelled(it, "grammar", cal.model("essay.grammar"), feats, la.findings["grammar"] + la.findings["mechanics"], _grammar_extra(la),
                             profile=la.pos_profile),
        "general_linguistic_range": _modelled(it, "general_linguistic_range", cal.model("essay.glr"), feats, [],
                                              f"Lexical diversity (MTLD) {la.features['mtld']:.0f}; {la.features['clauses_per_sentence']:.1f} subordinate clauses per sentence."),
        "vocabulary_range": _modelled(it, "vocabulary_range", cal.model("essay.vocabulary_range"), feats, [], _vocab_extra(la)),
        "spelling": score_spelling(it, la),
    }
    for name, cap in g.caps.items():
        if name in traits:
            _apply_cap(traits[name], cap)
    return ItemScore(traits=traits, estimate=writing_estimate(la, feats), advisories=g.advisories)


def _score_summary(sub: Submission, resources: Resources, it: str) -> ItemScore:
    text = require_text(sub)
    cal = load_calibration()
    a = _analysis(sub, resources, cal, summary=True)
    g = assess_gaming(a, cal, summary=True)
    la = _language_analysis(sub, resources, cal, a, g, summary=True)
    spec = CATALOGUE.item(it)
    neutral = model_inputs(la, cal, length_neutral=True)  # summary.content uses no LENGTH_FEATURES (its own capped length)
    traits = {
        "content": score_content(it, a if g.content_gate else la, cal, neutral, summary=True, gate=g.content_gate,
                                 cap=g.content_cap[0] if g.content_cap else None, cap_note=g.content_cap[1] if g.content_cap else None),
        "form": _form(it, text, la, g, cal.raw["params"]),
        "grammar": _modelled(it, "grammar", cal.model("essay.grammar"), neutral, la.findings["grammar"] + la.findings["mechanics"], _grammar_extra(la),
                             profile=la.pos_profile),
        "vocabulary": _modelled(it, "vocabulary", cal.model("essay.vocabulary_range"), neutral, [], _vocab_extra(la)),
    }
    if "spelling" in spec.traits:
        traits["spelling"] = score_spelling(it, la)
    for name, cap in g.caps.items():
        if name in traits:
            _apply_cap(traits[name], cap)
    return ItemScore(traits=traits, estimate=writing_estimate(la, neutral), advisories=g.advisories)


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
