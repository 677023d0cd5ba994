"""The seven spoken item types: Read Aloud, Repeat Sentence, Describe Image, Retell Lecture,
Answer Short Question, Summarize Group Discussion, Respond to a Situation.

Input: `response.words` (timed words), `response.text` (a transcript), or audio
(`response.audio_id` / `audio_path` / `audio_url`, transcribed by the "asr" resource and aligned
by the "aligner" resource). Traits:
- content: RA = reference words minus errors (replaced, omitted, inserted; word alignment);
  RS 0-3 by words of the sentence said in order (fillers, repetitions, talk before/after ignored);
  DI/RL/SGD/RTS 0-6 from coverage of key points / reference material (sentence embeddings plus
  word overlap), 0 for unrelated or template-only answers; ASQ vocabulary 0-1 against answer_key.
- oral fluency 0-5: scoring.speech.fluency (needs timed words or audio);
- pronunciation 0-5: scoring.speech.pronunciation (needs audio; a transcript's word confidences
  only say how sure the recogniser was, so without audio pronunciation is not scored).
Rules and parameters: docs/speech.md and scoring/data/speech_calibration.json."""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any, Callable, Optional

import numpy as np

from scoring.catalogue import CATALOGUE
from scoring.features import advisories
from scoring.features.content import SPOKEN_TEMPLATE_PHRASES
from scoring.models import Advisory, Estimate, Finding, InvalidSubmission, Submission, TraitResult
from scoring.registry import ItemScore, Resources, scorer
from scoring.speech import align as _align, asr as _asr, calibration, fluency  # noqa: F401 (align, asr register the "aligner" and "asr" resources)
from scoring.speech.words import Spoken, content_words, is_filler, norm_word
from scoring.text import sentence_spans, tokens

STOP = frozenset("""a an the and or but if of to in on at by for with from as is are was were be been being it its this
that these those there their they them he she his her we our you your i me my so than then also very can could would
should will shall may might must do does did have has had not no about into over under more most some any such which
who whom what when where why how all each other just only own same too up down out off again further once here""".split())

_SPOKEN_TEMPLATES = re.compile(r"\b(?:" + "|".join(f"(?:{p})" for p in SPOKEN_TEMPLATE_PHRASES) + ")", re.I)


@dataclass
class Speech:
    """A spoken response as the scorers see it."""

    words: list[Spoken]
    text: str
    source: str  # "text" | "timed words" | "audio (<engine>)"
    timed: bool
    pauses: Optional[list[tuple[float, float]]] = None  # VAD silences, with audio
    audio: Any = None  # decoded audio (scoring.speech.audio.Audio) when there is audio
    asr: dict[str, Any] = field(default_factory=dict)
    warnings: list[str] = field(default_factory=list)
    alignment: Any = None  # scoring.speech.align.AlignmentResult once pronunciation has run
    mean_gop: Optional[float] = None  # from the pronunciation alignment
    silent: Optional[str] = None  # why the recording counts as silent (every trait then scores 0)
    segments: Optional[list[tuple[float, float]]] = None  # VAD speech segments, with audio


def _words_with_spans(words: list[Spoken]) -> str:
    parts, pos = [], 0
    for w in words:
        w.cstart, w.cend = pos, pos + len(w.word)  # type: ignore[attr-defined]
        parts.append(w.word)
        pos += len(w.word) + 1
    return " ".join(parts)


def _from_text(text: str) -> list[Spoken]:
    out = []
    for m in re.finditer(r"\S+", text):
        if norm_word(m.group(0)):
            w = Spoken(m.group(0))
            w.cstart, w.cend = m.start(), m.end()  # type: ignore[attr-defined]
            out.append(w)
    return out


def speech_of(sub: Submission, resources: Resources) -> Speech:
    r = sub.response
    if r.words:
        words = [Spoken(w.word, w.start, w.end, w.confidence) for w in r.words]
        text = _words_with_spans(words)
        sp = Speech(words=words, text=text, source="timed words", timed=True)
        if r.has_audio():  # given words and a recording: the words are the transcript, the audio is for pronunciation
            from scoring.speech.pipeline import load_audio
            sp.audio = load_audio(sub, resources.settings)
        return sp
    if r.has_audio():
        from scoring.speech.pipeline import transcribe_response
        return transcribe_response(sub, resources)
    require_speech(sub)
    return Speech(words=_from_text(r.text), text=r.text, source="text", timed=False)


def require_speech(sub: Submission) -> None:
    """A spoken item needs timed words, a transcript or a recording."""
    r = sub.response
    if not (r.words or r.has_audio() or (r.text is not None and r.text.strip())):
        raise InvalidSubmission.one("response.text", f"{sub.item_type} needs response.words, response.text or audio "
                                    "(response.audio_id / audio_url / audio_path)")


# ---------------------------------------------------------------- word alignment (RA, RS)

def _same(a: str, b: str) -> bool:
    return a == b or a.replace("'", "").replace("-", "") == b.replace("'", "").replace("-", "")


def align_words(ref: list[str], hyp: list[str]) -> list[tuple[str, Optional[int], Optional[int]]]:
    """Levenshtein word alignment: ops (match|sub|del|ins, ref index, hyp index)."""
    n, m = len(ref), len(hyp)
    d = np.zeros((n + 1, m + 1), dtype=np.int32)
    d[:, 0] = np.arange(n + 1)
    d[0, :] = np.arange(m + 1)
    for i in range(1, n + 1):
        for j in range(1, m + 1):
            d[i, j] = min(d[i - 1, j - 1] + (0 if _same(ref[i - 1], hyp[j - 1]) else 1), d[i - 1, j] + 1, d[i, j - 1] + 1)
    ops = []
    i, j = n, m
    while i or j:
        if i and j and d[i, j] == d[i - 1, j - 1] + (0 if _same(ref[i - 1], hyp[j - 1]) else 1):
            ops.append(("match" if _same(ref[i - 1], hyp[j - 1]) else "sub", i - 1, j - 1))
            i, j = i - 1, j - 1
        elif i and d[i, j] == d[i - 1, j] + 1:
            ops.append(("del", i - 1, None))
            i -= 1
        else:
            ops.append(("ins", None, j - 1))
            j -= 1
    return ops[::-1]


def lcs_len(ref: list[str], hyp: list[str]) -> tuple[int, list[int]]:
    """Longest common subsequence: its length and the reference indices it uses."""
    n, m = len(ref), len(hyp)
    d = np.zeros((n + 1, m + 1), dtype=np.int32)
    for i in range(1, n + 1):
        for j in range(1, m + 1):
            d[i, j] = d[i - 1, j - 1] + 1 if _same(ref[i - 1], hyp[j - 1]) else max(d[i - 1, j], d[i, j - 1])
    used, i, j = [], n, m
    while i and j:
        if _same(ref[i - 1], hyp[j - 1]) and d[i, j] == d[i - 1, j - 1] + 1:
            used.append(i - 1)
            i, j = i - 1, j - 1
        elif d[i - 1, j] >= d[i, j - 1]:
            i -= 1
        else:
            j -= 1
    return int(d[n, m]), used[::-1]


def _ref_words(reference: str) -> list[str]:
    return [t.norm for t in tokens(reference)]


def _span(w: Spoken) -> dict[str, Any]:
    return {"start": getattr(w, "cstart", None), "end": getattr(w, "cend", None),
            "time": round(w.start, 2) if w.start is not None else None}


def _fd(findings: list[Finding], limit: int = 60) -> list[dict]:
    return [f.model_dump(exclude_none=True) for f in findings[:limit]]


def score_read_aloud_content(sp: Speech, reference: str) -> TraitResult:
    ref = _ref_words(reference)
    keep = content_words(sp.words, ref)
    hyp = [sp.words[i].norm for i in keep]
    ops = align_words(ref, hyp)
    findings: list[Finding] = []
    ref_toks = tokens(reference)
    counts = {"match": 0, "sub": 0, "del": 0, "ins": 0}
    for op, ri, hi in ops:
        counts[op] += 1
        w = sp.words[keep[hi]] if hi is not None else None
        if op == "sub":
            findings.append(Finding(kind="replaced_word", message=f"said '{w.word}' instead of '{ref_toks[ri].text}'",
                                    text=w.word, suggestions=[ref_toks[ri].text], **_span(w)))
        elif op == "del":
            findings.append(Finding(kind="omitted_word", message=f"'{ref_toks[ri].text}' was not read",
                                    text=ref_toks[ri].text))
        elif op == "ins":
            findings.append(Finding(kind="inserted_word", message=f"'{w.word}' is not in the text", text=w.word, **_span(w)))
    errors = counts["sub"] + counts["del"] + counts["ins"]
    mx = len(ref)
    s = max(0, mx - errors)
    ev = {"reference_words": mx, "errors": errors, "replaced": counts["sub"], "omitted": counts["del"],
          "inserted": counts["ins"], "matched": counts["match"], "transcript_source": sp.source,
          "rule": "reference words minus replaced, omitted and inserted words (fillers and repeated words are fluency, not content)",
          "findings": _fd(findings)}
    fb = f"Content {s}/{mx}: {counts['match']} of {mx} words read correctly"
    fb += f"; {counts['sub']} replaced, {counts['del']} omitted, {counts['ins']} inserted." if errors else "."
    return TraitResult(score=s, max=mx, evidence=ev, feedback=fb)


def score_repeat_sentence_content(sp: Speech, reference: str) -> TraitResult:
    ref = _ref_words(reference)
    keep = content_words(sp.words, ref)
    hyp = [sp.words[i].norm for i in keep]
    n_in_order, used = lcs_len(ref, hyp)
    ratio = n_in_order / max(len(ref), 1)
    almost_nothing = n_in_order < max(2, 0.1 * len(ref)) if len(ref) > 2 else n_in_order == 0
    s = 3 if n_in_order == len(ref) else 2 if ratio >= 0.5 else 0 if almost_nothing else 1
    ref_toks = tokens(reference)
    missed = [Finding(kind="omitted_word", message=f"'{ref_toks[i].text}' missing or out of order", text=ref_toks[i].text)
              for i in range(len(ref)) if i not in set(used)]
    desc = CATALOGUE.descriptors["rs_content_0_3"][str(s)]
    ev = {"reference_words": len(ref), "words_in_order": n_in_order, "ratio": round(ratio, 3),
          "transcript_source": sp.source,
          "rule": "3 all words in order; 2 >= 50% in order; 1 < 50%; 0 almost nothing (< max(2, 10%) words); fillers, repetitions, talk before/after ignored",
          "findings": _fd(missed)}
    return TraitResult(score=s, max=3, evidence=ev,
                       feedback=f"Content {s}/3: {desc} ({n_in_order} of {len(ref)} words in order).")


# ---------------------------------------------------------------- open content (DI, RL, SGD, RTS)

def _content_terms(text: str) -> set[str]:
    return {t.norm for t in tokens(text) if len(t.norm) > 3 and t.norm not in STOP}


def _lexical_share(idea: str, resp_terms: set[str]) -> float:
    terms = _content_terms(idea)
    if not terms:
        return 0.0
    hits = sum(1 for w in terms if w in resp_terms or any(r[:5] == w[:5] for r in resp_terms if len(w) >= 6 and len(r) >= 5))
    return hits / len(terms)


def template_share(text: str) -> tuple[float, list[tuple[int, int]]]:
    from scoring.features.content import template_spans
    spans = [(m.start(), m.end()) for m in _SPOKEN_TEMPLATES.finditer(text)] + template_spans(text)
    toks = tokens(text)
    inside = sum(1 for t in toks if any(s <= t.start < e for s, e in spans))
    return inside / max(len(toks), 1), spans


def score_open_content(item_type: str, sp: Speech, sub: Submission, resources: Resources) -> tuple[TraitResult, list[Advisory]]:
    """Content of DI, RL, SGD, RTS, and the advisories of the transcript (docs/gaming.md): not English
    (Content 0), repetition (repeated words do not count towards the length), and the template and
    off-topic gates as advisories."""
    from scoring.features.content import key_ideas
    p = calibration.load()["content"]
    item = sub.item
    mx = CATALOGUE.item(item_type).traits["content"].max
    keep = content_words(sp.words)
    said = [sp.words[i] for i in keep]
    said_text = " ".join(w.word for w in said)
    material_src = {"describe_image": [item.reference_text, item.prompt],
                    "retell_lecture": [item.source_text, item.reference_text],
                    "summarize_group_discussion": [item.source_text, item.reference_text],
                    "respond_to_situation": [item.reference_text, item.prompt]}[item_type]
    source = next((m for m in material_src if m and m.strip()), None)
    if len(said) < p["min_words"]:
        return TraitResult(score=0, max=mx, evidence={"words": len(said), "transcript_source": sp.source,
                                                      "gate": f"fewer than {p['min_words']} words"},
                           feedback=f"Content 0: {CATALOGUE.descriptors['spoken_content_0_6']['0']} (almost nothing was said).",
                           ), []
    adv = advisories.detect({"language": advisories.language(sp.text, tokens(sp.text)),
                             "repetition": advisories.repetition(sp.text, sentence_spans(sp.text), tokens(sp.text))},
                            advisories.params())
    emb = resources.get("embedder")
    ideas = key_ideas(source, item.key_points, emb.embed)
    if ideas is None:
        return TraitResult.not_scored(mx, "no key_points or reference material to compare with"), adv
    material = " ".join(ideas.texts + ([source] if source and not ideas.given else []))
    n = len(said)
    win = int(p["window_words"])
    chunks = [" ".join(w.word for w in said[i:i + win]) for i in range(0, max(n - win // 2, 1), max(win // 2, 1))]
    vecs = emb.embed(chunks + [said_text, material])
    chunk_vecs, resp_vec, mat_vec = vecs[:len(chunks)], vecs[len(chunks)], vecs[len(chunks) + 1]
    relevance = float(resp_vec @ mat_vec)
    cands = np.vstack([chunk_vecs, resp_vec[None, :]])
    best = (ideas.vecs @ cands.T).max(axis=1)
    resp_terms = _content_terms(said_text)
    lo, hi = p["soft_low_cos"], p["soft_high_cos"]
    per, findings = [], []
    for idea, cos in zip(ideas.texts, best):
        lex = _lexical_share(idea, resp_terms)
        soft = max(min(max((float(cos) - lo) / (hi - lo), 0.0), 1.0), min(lex / p["lexical_cover"], 1.0) * 0.9)
        covered = float(cos) >= p["cover_cos"] or lex >= p["lexical_cover"]
        per.append({"key_point": idea, "cosine": round(float(cos), 3), "word_overlap": round(lex, 3),
                    "credit": round(soft, 3), "covered": covered})
        if not covered:
            findings.append(Finding(kind="missed_key_point", message=f"key point not covered: {idea[:120]}", text=idea))
    mean_credit = float(np.mean([x["credit"] for x in per]))
    full_words = min(max(p["words_per_key_point"] * len(per), p["full_words_min"]), p["full_words_max"])
    rep = next((a for a in adv if a.kind == "repetition"), None)
    n_counted = max(n - rep.evidence["repeated_words"], 0) if rep else n  # padding does not count towards the length
    if rep:
        rep.lowers["content"] = "the repeated words do not count towards the length"
    length_factor = min(1.0, n_counted / full_words) ** 0.5
    tshare, tspans = template_share(sp.text)
    for s, e in tspans:
        findings.append(Finding(kind="template_phrase", message="memorised template phrase", text=sp.text[s:e], start=s, end=e))
    gate = None
    foreign = next((a for a in adv if a.kind == "not_english"), None)
    if foreign:
        gate = f"not in English ({foreign.message})"
    elif relevance < p["offtopic_relevance"] and not any(x["covered"] for x in per):
        gate = f"unrelated to the task (relevance {relevance:.2f} < {p['offtopic_relevance']})"
        adv.append(Advisory(kind="off_topic", message=f"The answer is {gate}.", evidence={"relevance": round(relevance, 3), "key_points": per}))
    elif tshare >= p["template_ratio"] and mean_credit < 0.25:
        gate = f"template language only ({tshare:.0%} of the words are memorised phrases, no key point covered)"
    if tshare >= p["template_ratio"]:
        adv.append(Advisory(kind="template", message=f"{tshare:.0%} of the words are memorised template phrases.", evidence={
            "template_share": round(tshare, 3), "phrases": [{"text": sp.text[s_:e_], "start": s_, "end": e_} for s_, e_ in tspans]}))
    if gate:
        for a in adv:
            if a.kind in ("not_english", "off_topic", "template"):
                a.lowers["content"] = "0: the answer does not deal with the task (official gate: the whole item scores 0)"
    ev = {"relevance": round(relevance, 3), "key_points_given": ideas.given, "key_points": per, "words_counted": n_counted,
          "covered": sum(x["covered"] for x in per), "total": len(per), "mean_credit": round(mean_credit, 3),
          "template_share": round(tshare, 3), "words": n, "length_factor": round(length_factor, 3), "transcript_source": sp.source, "findings": _fd(findings)}
    if gate:
        ev["gate"] = gate
        return TraitResult(score=0, max=mx, evidence=ev, feedback=f"Content 0: {gate}."), adv
    s = int(min(max(round(1 + (mx - 1) * mean_credit * length_factor), 1), mx))
    desc = CATALOGUE.descriptors["spoken_content_0_6"][str(s)]
    extra = f" Covered {ev['covered']} of {len(per)} key points."
    missed = [x["key_point"] for x in per if not x["covered"]]
    if missed:
        extra += f" Missed e.g.: \"{missed[0][:90]}\"."
    return TraitResult(score=s, max=mx, evidence=ev, feedback=f"Content {s}/{mx}: {desc}{extra}"), adv


# ---------------------------------------------------------------- Answer Short Question

_NUM = {w: str(i) for i, w in enumerate("zero one two three four five six seven eight nine ten eleven twelve thirteen fourteen fifteen sixteen seventeen eighteen nineteen twenty".split())}
_ASQ_DROP = frozenset("a an the".split())


def asq_norm(text: str) -> list[str]:
    """Answer normalisation: lower case, punctuation dropped, number words as digits, fillers and
    articles dropped, plural 's' folded ("thermometers" ~ "thermometer")."""
    out = []
    for t in tokens(text):
        w = _NUM.get(t.norm, t.norm)
        if w in _ASQ_DROP or is_filler(w):
            continue
        if len(w) > 3 and w.endswith("s") and not w.endswith("ss"):
            w = w[:-1]
        out.append(w)
    return out


def asq_keys(answer_key: Any) -> list[str]:
    """The acceptable answers of an Answer Short Question item (at least one)."""
    keys = [answer_key] if isinstance(answer_key, (str, int)) else list(answer_key or [])
    keys = [str(k) for k in keys if str(k).strip()]
    if not keys:
        raise InvalidSubmission.one("item.answer_key", "needs at least one acceptable answer")
    return keys


def score_asq(sp: Speech, answer_key: Any) -> TraitResult:
    keys = asq_keys(answer_key)
    said = asq_norm(" ".join(w.word for w in sp.words))
    mxw = calibration.load()["asq"]["max_words"]
    hit = None
    for k in keys:
        kn = asq_norm(k)
        if kn and any(said[i:i + len(kn)] == kn for i in range(len(said) - len(kn) + 1)):
            hit = k
            break
    if hit and len(said) > mxw:
        s, why = 0, f"the answer is there but buried in {len(said)} words (answer in one or a few words)"
    elif hit:
        s, why = 1, f"'{hit}' is an acceptable answer"
    else:
        s, why = 0, "no acceptable answer was said" + (f" (expected e.g. '{keys[0]}')" if keys else "")
    ev = {"acceptable": keys, "said": " ".join(said), "matched": hit, "transcript_source": sp.source,
          "rule": "1 when an acceptable answer occurs as whole words after normalisation (case, punctuation, articles, fillers, number words, plural s) within max_words words"}
    return TraitResult(score=s, max=1, evidence=ev, feedback=f"Vocabulary {s}/1: {why}.")


# ---------------------------------------------------------------- fluency, pronunciation, estimate

def score_fluency(sp: Speech, reference: str = "") -> TraitResult:
    if not sp.timed:
        return TraitResult.not_scored(5, "oral fluency needs timed words (response.words) or audio; a plain transcript has no timing")
    pauses, span, source, extra = sp.pauses, None, sp.source, {}
    al = sp.alignment
    if al is not None and al.words:  # forced alignment: exact word edges and silences
        span = (al.words[0].start, al.words[-1].end)
        pauses = [(a, b) for a, b in al.silences if a >= span[0] - 0.01 and b <= span[1] + 0.01]
        source += ", forced-alignment timing"
        if sp.mean_gop is not None:
            extra["mean_gop"] = sp.mean_gop
    return fluency.score(sp.words, pauses, _ref_words(reference) if reference else (), source=source, span=span, extra=extra)


def score_pronunciation(sp: Speech, reference: Optional[str], resources: Resources) -> TraitResult:
    if sp.audio is None:
        why = ("pronunciation needs the recording (response.audio_id / audio_url / audio_path); "
               "word confidences from a recogniser measure its certainty, not the speaker's pronunciation")
        return TraitResult.not_scored(5, why)
    from scoring.speech import pronunciation
    return pronunciation.score(sp, reference, resources)


def spoken_estimate(traits: dict[str, TraitResult]) -> Optional[Estimate]:
    """GSE estimate: 10 + 80 x (points / scored maximum) over the scored traits, labelled an
    estimate (Pearson's IRT conversion is not published). Needs a trait finer than 0/1."""
    scored = [t for t in traits.values() if t.scored and t.score is not None]
    if not scored or all(t.max <= 1 for t in scored):
        return None
    e = calibration.load()["estimate"]
    frac = sum(t.score for t in scored) / sum(t.max for t in scored)
    gse = int(round(e["gse_min"] + (e["gse_max"] - e["gse_min"]) * frac))
    return Estimate(gse=gse, cefr=CATALOGUE.cefr_level(gse))


def silent_result(item_type: str, sp: Speech, reference: Optional[str] = None) -> ItemScore:
    """A silent recording: every trait 0, with the reason."""
    traits = {}
    for name, spec in CATALOGUE.item(item_type).traits.items():
        mx = spec.max if spec.max is not None else len(_ref_words(reference or ""))
        traits[name] = TraitResult(score=0, max=mx, evidence={"silent": sp.silent, **sp.asr},
                                   feedback=f"{CATALOGUE.traits[name]['label']} 0: {sp.silent}.")
    return ItemScore(traits=traits, warnings=[f"silent recording: {sp.silent}"], estimate=spoken_estimate(traits))


def _finish(traits: dict[str, TraitResult], sp: Speech) -> ItemScore:
    w = list(sp.warnings)
    if sp.asr:
        for t in traits.values():
            if t.scored:
                t.evidence = {**t.evidence, "asr": {k: v for k, v in sp.asr.items() if k != "transcript"}}
        if "content" in traits or "vocabulary" in traits:
            key = "content" if "content" in traits else "vocabulary"
            traits[key].evidence = {**traits[key].evidence, "transcript": sp.text}
    return ItemScore(traits=traits, warnings=w, estimate=spoken_estimate(traits))


def _score_with_reference(sub: Submission, resources: Resources,
                          content_of: Callable[[Speech, str], TraitResult]) -> ItemScore:
    """Items spoken from a reference text (Read Aloud, Repeat Sentence): content by the item's rule,
    pronunciation and oral fluency against the reference."""
    ref = sub.item.reference_text or ""
    sp = speech_of(sub, resources)
    if sp.silent:
        return silent_result(sub.item_type, sp, ref)
    traits = {"content": content_of(sp, ref), "pronunciation": score_pronunciation(sp, ref, resources),
              "oral_fluency": score_fluency(sp, ref)}
    return _finish(traits, sp)


@scorer("read_aloud")
def score_read_aloud(sub: Submission, resources: Resources) -> ItemScore:
    return _score_with_reference(sub, resources, score_read_aloud_content)


@scorer("repeat_sentence")
def score_repeat_sentence(sub: Submission, resources: Resources) -> ItemScore:
    return _score_with_reference(sub, resources, score_repeat_sentence_content)


def _open(item_type: str):
    def fn(sub: Submission, resources: Resources) -> ItemScore:
        sp = speech_of(sub, resources)
        if sp.silent:
            return silent_result(item_type, sp)
        content, adv = score_open_content(item_type, sp, sub, resources)
        pron = score_pronunciation(sp, None, resources)
        traits = {"content": content, "pronunciation": pron, "oral_fluency": score_fluency(sp)}
        out = _finish(traits, sp)
        out.advisories = adv
        return out
    fn.__name__ = f"score_{item_type}"
    return fn


for _code in ("describe_image", "retell_lecture", "summarize_group_discussion", "respond_to_situation"):
    scorer(_code)(_open(_code))


@scorer("answer_short_question")
def score_answer_short_question(sub: Submission, resources: Resources) -> ItemScore:
    sp = speech_of(sub, resources)
    if sp.silent:
        return silent_result("answer_short_question", sp)
    traits = {"vocabulary": score_asq(sp, sub.item.answer_key)}
    return _finish(traits, sp)
