"""Pronunciation 0-5 from the recording: forced-alignment GOP (scoring.speech.align) plus the
recogniser's word confidence.

Words aligned: the words the speaker attempted. For Read Aloud / Repeat Sentence that is the
transcript with each replaced word put back to the reference word it replaced (so a mispronounced
word is judged against what it should have been); for other items, the transcript. Fillers are
left out.

Features: mean_gop (mean word GOP, <= 0), bad_word_share (share of words with GOP below
`bad_word_gop`), asr_confidence (mean word probability from the recogniser).
Score = the linear model `pronunciation.model` in speech_calibration.json, mapped to 0-5 by the
model's cut-points (`model.cuts`; calibration.to_score). An answer longer than `chunk_over_s` is
aligned in pieces of `chunk_min_s`-`chunk_max_s` cut in pauses (align_answer), as long as the
calibration clips: aligned whole, a 40-second answer gets lower GOPs for the same sounds.
Findings: each word below `bad_word_gop` (`mispronounced_word`, with its time and worst phone)."""
from __future__ import annotations

from typing import Any, Optional

import numpy as np

from scoring.catalogue import CATALOGUE
from scoring.models import Finding, TraitResult
from scoring.speech import calibration
from scoring.speech.words import is_filler, norm_word


def target_words(sp: Any, reference: Optional[str]) -> tuple[list[str], list[int], Optional[float]]:
    """(words to align, index of the spoken word each came from, share of the reference words the
    recogniser understood as said: an intelligibility measure, for RA/RS only)."""
    from scoring.items.speaking import _ref_words, align_words
    from scoring.speech.words import content_words
    if reference:
        ref = _ref_words(reference)
        keep = content_words(sp.words, ref)
        ops = align_words(ref, [sp.words[i].norm for i in keep])
        out, src = [], []
        recognised = sum(1 for op, _, _ in ops if op == "match") / max(len(ref), 1)
        for op, ri, hi in ops:
            if op in ("match", "sub"):
                out.append(ref[ri]); src.append(keep[hi])
            elif op == "ins":
                out.append(sp.words[keep[hi]].norm); src.append(keep[hi])
        return out, src, recognised
    idx = [i for i, w in enumerate(sp.words) if w.norm and not is_filler(w.word)]
    return [sp.words[i].norm for i in idx], idx, None


def features(res: Any, sp: Any, params: dict) -> dict[str, float]:
    gops = [max(w.gop, params["gop_floor"]) for w in res.words]
    conf = [w.confidence for w in sp.words if w.confidence is not None and not is_filler(w.word)]
    return {"words_aligned": len(gops), "mean_gop": round(float(np.mean(gops)), 3) if gops else 0.0,
            "bad_word_share": round(sum(g < params["bad_word_gop"] for g in gops) / max(len(gops), 1), 4),
            "asr_confidence": round(float(np.mean(conf)), 4) if conf else 1.0}


def score(sp: Any, reference: Optional[str], resources: Any) -> TraitResult:
    from scoring.speech.align import AlignError
    p = calibration.load()["pronunciation"]
    words, src, recognised = target_words(sp, reference)
    if not words:
        return TraitResult(score=0, max=5, evidence={"words_aligned": 0}, feedback="Pronunciation 0: no words were recognised.")
    aligner = resources.get("aligner")
    res, why, src = align_answer(aligner, sp, words, src, p)
    if res is None:
        return TraitResult.not_scored(5, why)
    sp.alignment = res
    f = features(res, sp, p)
    sp.mean_gop = f["mean_gop"]
    if recognised is not None:
        f["recognised_share"] = round(recognised, 4)
    # connected speech: silent share between the first and last aligned word (pauses >= pause_min_s,
    # the same rule as oral fluency's pause_ratio)
    if res.words:
        t0, t1 = res.words[0].start, res.words[-1].end
        pmin = calibration.load()["fluency"]["pause_min_s"]
        gaps = [(max(a, t0), min(b, t1)) for a, b in res.silences if a >= t0 - 0.01 and b <= t1 + 0.01]
        sil = sum(b - a for a, b in gaps if b - a >= pmin)
        f["pause_ratio"] = round(sil / max(t1 - t0, 1e-3), 4)
    pred = calibration.linear(p["model"], f)
    s = calibration.to_score(pred, p["model"], 5)
    findings = []
    for w in res.words:
        if w.gop < p["bad_word_gop"]:
            worst = min(w.phones, key=lambda x: x.gop) if w.phones else None
            i = src[w.index] if 0 <= w.index < len(src) else None
            sw = sp.words[i] if i is not None else None
            findings.append(Finding(kind="mispronounced_word", text=w.word, time=w.start,
                                    start=getattr(sw, "cstart", None), end=getattr(sw, "cend", None),
                                    message=f"'{w.word}' at {w.start:.1f} s sounds unclear (GOP {w.gop:.1f}"
                                            + (f"; weakest sound /{worst.phone}/" if worst else "") + ")"))
    ev = {**f, "model_value": round(pred, 3), "oov": res.oov[:20], "align_s": res.seconds, "align_pieces": res.pieces,
          "words": [{"word": w.word, "start": w.start, "end": w.end, "gop": w.gop} for w in res.words[:200]],
          "findings": [x.model_dump(exclude_none=True) for x in findings[:40]]}
    desc = CATALOGUE.descriptors["pronunciation_0_5"][str(s)]
    extra = ""
    if findings:
        extra = " Unclear words: " + ", ".join(f"'{x.text}' ({x.time:.1f} s)" for x in findings[:6]) + "."
    return TraitResult(score=s, max=5, evidence=ev, feedback=f"Pronunciation {s}/5: {desc}{extra}")


def chunk_bounds(times: list[tuple[float, float]], duration: float, p: dict) -> list[tuple[int, float, float]]:
    """Cut a long answer into pieces about as long as the calibration clips: [(first word index, start s,
    end s)], contiguous, each cut in the middle of the longest gap between words that keeps the piece
    between `chunk_min_s` and `chunk_max_s` (or the last gap that keeps it under the maximum). Answers up
    to `chunk_over_s` are one piece. `times`: each word's (start, end) as the recogniser heard it."""
    if duration <= p["chunk_over_s"] or len(times) < 2:
        return [(0, 0.0, duration)]
    out, i, t0 = [], 0, 0.0
    while i < len(times):
        best, best_gap = None, -1.0
        for j in range(i + 1, len(times)):
            cut = (times[j - 1][1] + times[j][0]) / 2
            if cut - t0 > p["chunk_max_s"]:
                break
            gap = times[j][0] - times[j - 1][1]
            if cut - t0 >= p["chunk_min_s"] and gap > best_gap:
                best, best_gap = j, gap
            elif best is None and j == i + 1:
                best = j  # a first word longer than the minimum: cut after it rather than not at all
        if best is None or duration - t0 <= p["chunk_max_s"]:
            out.append((i, t0, duration))
            break
        cut = (times[best - 1][1] + times[best][0]) / 2
        out.append((i, t0, cut))
        i, t0 = best, cut
    return out


def align_answer(aligner: Any, sp: Any, words: list[str], src: list[int], p: dict):
    """Forced alignment of the whole answer, piece by piece when it is long (chunk_bounds): GOP is
    calibrated on clips of a few seconds, and aligning 40 s at once lowers every word's GOP (by ~3 on
    speechocean762 clips joined into 22-28 s recordings). Returns what _align_with_retries returns,
    with times, word indices and silences of all pieces merged; a piece that cannot be aligned is
    left out (its words count as not aligned), and only when none can be is the trait not scored."""
    times = [(sp.words[i].start or 0.0, sp.words[i].end or 0.0) for i in src]
    pieces = chunk_bounds(times, sp.audio.duration_s, p)
    if len(pieces) == 1:
        return _align_with_retries(aligner, sp, words, src, p)
    from types import SimpleNamespace
    from scoring.speech.align import AlignmentResult
    merged, all_src, first_error, sr = AlignmentResult([], [], [], 0.0), [], None, sp.audio.sr
    for k, (i, a, b) in enumerate(pieces):
        j = pieces[k + 1][0] if k + 1 < len(pieces) else len(words)
        audio = type(sp.audio)(samples=sp.audio.samples[int(a * sr):int(b * sr)], format=sp.audio.format)
        segs = [(max(x, a) - a, min(y, b) - a) for x, y in (getattr(sp, "segments", None) or []) if y > a and x < b]
        piece = SimpleNamespace(audio=audio, segments=segs, words=sp.words)
        res, why, piece_src = _align_with_retries(aligner, piece, words[i:j], src[i:j], p)
        if res is None:
            first_error = first_error or why
            continue
        res = _shift(res, a)
        for w in res.words:
            w.index += len(all_src)
        all_src += piece_src
        merged.words += res.words
        merged.silences += res.silences
        merged.oov += res.oov
        merged.seconds = round(merged.seconds + res.seconds, 3)
    if not merged.words:
        return None, first_error, src
    merged.silences = _join_touching(merged.silences)
    merged.pieces = len(pieces)
    return merged, None, all_src


def _join_touching(spans: list[tuple[float, float]]) -> list[tuple[float, float]]:
    """A pause cut in two at a piece boundary is one pause."""
    out: list[tuple[float, float]] = []
    for a, b in sorted(spans):
        if out and a - out[-1][1] <= 0.05:
            out[-1] = (out[-1][0], max(out[-1][1], b))
        else:
            out.append((a, b))
    return out


def _align_with_retries(aligner: Any, sp: Any, words: list[str], src: list[int], p: dict):
    """Forced alignment, retried (1) on the audio trimmed to the voice activity (noise before or
    after the speech can make pocketsphinx's word search fail), (2) without the words the recogniser
    was unsure of (often words it invented). Returns (result, None, src) or (None, reason, src), src
    mapping each aligned word back to the spoken word list."""
    from scoring.speech.align import AlignError
    try:
        return aligner.align(sp.audio, words), None, src
    except AlignError as e:
        first = str(e)
    segs = getattr(sp, "segments", None)
    if segs:
        a0 = max(segs[0][0] - 0.15, 0.0)
        a1 = min(segs[-1][1] + 0.15, sp.audio.duration_s)
        trimmed = type(sp.audio)(samples=sp.audio.samples[int(a0 * sp.audio.sr):int(a1 * sp.audio.sr)], format=sp.audio.format)
        try:
            return _shift(aligner.align(trimmed, words), a0), None, src
        except AlignError:
            pass
    sure = [k for k, i in enumerate(src) if sp.words[i].confidence is None or sp.words[i].confidence >= p["retry_min_confidence"]]
    if sure and len(sure) < len(src):
        try:
            return aligner.align(sp.audio, [words[k] for k in sure]), None, [src[k] for k in sure]
        except AlignError:
            pass
    return None, first, src


def _shift(res: Any, off: float) -> Any:
    if not off:
        return res
    for w in res.words:
        w.start, w.end = round(w.start + off, 3), round(w.end + off, 3)
        for ph in w.phones:
            ph.start, ph.end = round(ph.start + off, 3), round(ph.end + off, 3)
    res.silences = [(round(a + off, 3), round(b + off, 3)) for a, b in res.silences]
    return res
