"""Oral fluency 0-5 from timed words (and, with audio, the silences found by the VAD).

Features (all from the timed words between the first and the last spoken word):
- rate_wps: words per second of speaking time (fillers not counted);
- pauses: silent gaps >= pause_min_s; hesitation pauses >= hesitation_pause_s; long pauses >=
  long_pause_s; pause_ratio: silent share of the speaking time; mean_run: words per pause-free run;
- events: fillers + repetitions + false starts + hesitation pauses (see scoring.speech.words);
  hesitations_scaled: hesitation pauses per `events_window_s` of speech (the count for shorter answers).

Descriptor rule (catalogue oral_fluency_0_5), with events counted per `events_window_s` and long
pauses per `long_pause_window_s` for longer answers:
  0 mostly isolated words (mean_run < isolated_run_words) or more than two long pauses;
  1 two long pauses, or one long pause with more than three events;
  2 one long pause, or more than three events;  3 more than one event;  4 one event;  5 none;
  speech slower than slow_rate_wps caps at 3 ("acceptable speed"), slower than staccato_rate_wps at 2.
The score is the calibrated linear model over these features (`fluency.model` in
speech_calibration.json) mapped to 0-5 by the model's cut-points (`model.cuts`, chosen by nested
cross-validation; see calibration.to_score), and never above the long-pause cap the
descriptors set (no long pause: 5; one: 2; two: 1; more: 0) or the disfluency cap (fillers,
repetitions and false starts: none 5; one 4; more than one 3; more than three 2)."""
from __future__ import annotations

from typing import Any, Iterable, Optional, Sequence

from scoring.catalogue import CATALOGUE
from scoring.models import Finding, TraitResult
from scoring.speech import calibration
from scoring.speech.words import Spoken, disfluencies, is_filler


def _gaps(words: list[Spoken], pauses: Optional[Sequence[tuple[float, float]]]) -> list[tuple[float, float]]:
    """Silent intervals inside the speech: VAD silences when given, else gaps between words."""
    timed = [w for w in words if w.start is not None and w.end is not None]
    if not timed:
        return []
    t0, t1 = timed[0].start, timed[-1].end
    if pauses is not None:
        return [(max(s, t0), min(e, t1)) for s, e in pauses if min(e, t1) - max(s, t0) > 0]
    return [(a.end, b.start) for a, b in zip(timed, timed[1:]) if b.start > a.end]


def features(words: list[Spoken], pauses: Optional[Sequence[tuple[float, float]]] = None,
             reference: Iterable[str] = (), params: Optional[dict] = None,
             span: Optional[tuple[float, float]] = None) -> dict[str, Any]:
    """`span`: (first word start, last word end) from forced alignment, more exact than ASR times."""
    p = params or calibration.load()["fluency"]
    reference = list(reference)
    timed = [w for w in words if w.start is not None and w.end is not None]
    dis = disfluencies(words, list(reference))
    n_words = sum(1 for w in words if w.norm and not is_filler(w.word))
    if not timed:
        return {"timed": False, "n_words": n_words}
    t0, t1 = span if span else (timed[0].start, timed[-1].end)
    span = max(t1 - t0, 1e-3)
    gaps = [(max(s, t0), min(e, t1)) for s, e in _gaps(words, pauses)]
    gaps = [(s, e) for s, e in gaps if e - s >= p["pause_min_s"]]
    hes = [(s, e) for s, e in gaps if p["hesitation_pause_s"] <= e - s < p["long_pause_s"]]
    long_ = [(s, e) for s, e in gaps if e - s >= p["long_pause_s"]]
    silent = sum(e - s for s, e in gaps)
    n_fill = sum(1 for d in dis if d.kind == "filler")
    n_rep = sum(1 for d in dis if d.kind == "repetition")
    n_fs = sum(1 for d in dis if d.kind == "false_start")
    events = n_fill + n_rep + n_fs + len(hes)
    ev_scaled = per_window(events, span, p)
    long_scaled = len(long_) * p["long_pause_window_s"] / max(p["long_pause_window_s"], span)
    rate = n_words / max(span - sum(e - s for s, e in long_), 1e-3)
    mean_run = n_words / (len(gaps) + 1)
    f = {"timed": True, "n_words": n_words, "speaking_s": round(span, 3), "rate_wps": round(rate, 3),
         "pauses": len(gaps), "hesitation_pauses": len(hes), "long_pauses": len(long_),
         "pause_ratio": round(silent / span, 4), "mean_run": round(mean_run, 3),
         "fillers": n_fill, "repetitions": n_rep, "false_starts": n_fs, "events": events,
         "events_scaled": round(ev_scaled, 3), "long_pauses_scaled": round(long_scaled, 3),
         "hesitations_scaled": round(per_window(len(hes), span, p), 3),
         "events_per_word": round(events / max(n_words, 1), 4)}
    expected = len(reference) or n_words  # words the answer should hold (the reference for RA/RS)
    f["sec_per_word"] = round(span / max(expected, 1), 4)
    f["pauses_per_word"] = round(len(gaps) / max(expected, 1), 4)
    f["rule_level"] = rule_level(f, p)
    f["long_pause_cap"] = long_pause_cap(long_scaled)
    f["disfluency_cap"] = disfluency_cap(n_fill + n_rep + n_fs, span, p)
    f["_gaps"], f["_long"], f["_hes"], f["_dis"] = gaps, long_, hes, dis
    return f


def per_window(n: float, span: float, p: dict) -> float:
    """A count per `events_window_s` of speech (the count itself for shorter answers)."""
    return n * p["events_window_s"] / max(p["events_window_s"], span)


def long_pause_cap(long_scaled: float) -> int:
    n = round(long_scaled)
    return 5 if n == 0 else 2 if n == 1 else 1 if n == 2 else 0


def disfluency_cap(n: int, span: float, p: dict) -> int:
    """Descriptor cap from fillers, repetitions and false starts (per events_window_s of speech):
    none 5; one 4; more than one 3; more than three 2."""
    x = per_window(n, span, p)
    return 5 if x < 0.5 else 4 if x < 1.5 else 3 if x <= 3.5 else 2


def rule_level(f: dict[str, Any], p: dict) -> int:
    ev, lp = f["events_scaled"], round(f["long_pauses_scaled"])
    if f["n_words"] == 0 or f["mean_run"] < p["isolated_run_words"] or lp > 2:
        level = 0
    elif lp == 2 or (lp == 1 and ev > 3):
        level = 1
    elif lp == 1 or ev > 3.5:
        level = 2
    elif ev > 1.5:
        level = 3
    elif ev > 0.5:
        level = 4
    else:
        level = 5
    if f["rate_wps"] < p["staccato_rate_wps"]:
        level = min(level, 2)
    elif f["rate_wps"] < p["slow_rate_wps"]:
        level = min(level, 3)
    return level


def score(words: list[Spoken], pauses: Optional[Sequence[tuple[float, float]]] = None,
          reference: Iterable[str] = (), source: str = "timed words",
          span: Optional[tuple[float, float]] = None, extra: Optional[dict] = None) -> TraitResult:
    """`extra`: features from elsewhere the model uses (mean_gop from the pronunciation alignment)."""
    cal = calibration.load()["fluency"]
    mx = 5
    f = features(words, pauses, reference, cal, span)
    if f.get("timed"):
        f.update(extra or {})
    if not f["timed"]:
        return TraitResult.not_scored(mx, "oral fluency needs timed words (response.words) or audio")
    if f["n_words"] == 0:
        return TraitResult(score=0, max=mx, evidence={"n_words": 0, "source": source},
                           feedback="Oral fluency 0: no words were recognised.")
    pred = calibration.linear(cal["model"], f)
    s = int(min(calibration.to_score(pred, cal["model"], mx), f["long_pause_cap"], f["disfluency_cap"]))
    findings = findings_for(f)
    public = {k: v for k, v in f.items() if not k.startswith("_")}
    public.update({"model_value": round(pred, 3), "source": source,
                   "findings": [x.model_dump(exclude_none=True) for x in findings[:40]]})
    desc = CATALOGUE.descriptors["oral_fluency_0_5"][str(s)]
    tips = []
    if f["long_pauses"]:
        tips.append(f"{f['long_pauses']} long pause(s) (>= {cal['long_pause_s']} s)")
    if f["fillers"]:
        tips.append(f"{f['fillers']} filler(s) like 'um'")
    if f["repetitions"] or f["false_starts"]:
        tips.append(f"{f['repetitions']} repetition(s), {f['false_starts']} false start(s)")
    if f["rate_wps"] < cal["slow_rate_wps"]:
        tips.append(f"slow speech ({f['rate_wps'] * 60:.0f} words/min)")
    extra = (" Found: " + "; ".join(tips) + ".") if tips else ""
    return TraitResult(score=s, max=mx, evidence=public, feedback=f"Oral fluency {s}/5: {desc}{extra}")


def findings_for(f: dict[str, Any]) -> list[Finding]:
    out: list[Finding] = []
    for s, e in f.get("_long", []):
        out.append(Finding(kind="long_pause", message=f"long pause of {e - s:.1f} s", time=round(s, 2)))
    for s, e in f.get("_hes", []):
        out.append(Finding(kind="hesitation", message=f"pause of {e - s:.1f} s", time=round(s, 2)))
    for d in f.get("_dis", []):
        msg = {"filler": "filler word", "repetition": "repeated word(s)", "false_start": "false start"}[d.kind]
        out.append(Finding(kind=d.kind, message=f"{msg}: '{d.text}'", text=d.text,
                           time=round(d.time, 2) if d.time is not None else None))
    out.sort(key=lambda x: (x.time is None, x.time or 0))
    return out
