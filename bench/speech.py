"""Speech bench: agreement with human raters on speechocean762 and scoring speed.

    python -m bench.speech [--limit N] [--fit] [--no-cache]

Each clip is scored as Read Aloud (labels' `text` as reference) by the real engine (faster-whisper
tiny.en, webrtcvad, pocketsphinx GOP). Prints Pearson r of
- oral fluency (0-5) vs human `fluency`, pronunciation (0-5) vs human `accuracy`,
- item total (share of points) vs human `total`,
each as the integer trait score and as the continuous model value, with 5-fold cross-validation of
the fitted coefficients (folds by clip; the reported r are out-of-fold). The integer score is the
model value mapped to 0-5 by cut-points (scoring.speech.calibration.to_score), then the fluency rule
caps. Cut-points put the same share of clips at each score as the human scores have at that level
(human 0-10 scores mapped onto PTE 0-5 by the rubric bands, LEVELS), or shares optimised for the
integer r within scoring.calibration.share_bounds when that wins by scoring.calibration.CUT_GAIN;
either way chosen by nested cross-validation (each outer fold's coefficients and cut-points from its
training folds only), so the reported integer r are out-of-fold too; the r of plain rounding is
printed beside them (cv_r_int_by_mapping). `--fit` refits the few linear coefficients and the cut-points of fluency and
pronunciation on all clips and writes them into scoring/data/speech_calibration.json. Features are
cached in bench/out/speech_features.jsonl (recomputed when the speech code or the ASR settings change:
features_fingerprint).
Speed: seconds of compute per second of audio, and the time to score a 40-second Read Aloud and
Describe Image answer with warm models on 2 threads. Skips when the data folder is absent."""
from __future__ import annotations

import argparse
import json
import os
import random
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench import feature_cache  # noqa: E402
from scoring import calibration as C  # noqa: E402  (cut-point helpers shared with the written traits)
from scoring.speech import calibration as S  # noqa: E402
DATA = Path(os.environ.get("SHARED_DATA", ROOT.parent / "shared" / "data")) / "speechocean762"
CACHE = ROOT / "bench" / "out" / "speech_features.jsonl"
FLU = ["sec_per_word", "pause_ratio", "mean_gop", "hesitations_scaled"]
PRON = ["mean_gop", "recognised_share", "pause_ratio"]


def pearson(a, b) -> float:
    a, b = np.asarray(a, float), np.asarray(b, float)
    if a.std() == 0 or b.std() == 0:
        return float("nan")
    return float(np.corrcoef(a, b)[0, 1])


def load_labels(limit: int | None) -> list[dict]:
    rows = []
    with open(DATA / "labels.tsv") as f:
        head = f.readline().rstrip("\n").split("\t")
        for line in f:
            rows.append(dict(zip(head, line.rstrip("\n").split("\t"))))
    if limit:
        rows = random.Random(762).sample(rows, min(limit, len(rows)))
    return rows


def _numeric(ev: dict) -> dict:
    return {k: v for k, v in ev.items() if isinstance(v, (int, float)) and not isinstance(v, bool)}


def features_fingerprint() -> str:
    """What the cached clip features depend on: the speech code and the ASR settings (model, compute
    type, instruction set). Not the stored calibration, which --fit rewrites: the cached integer
    scores (engine_*_r) are those of the calibration in place when the clips were scored."""
    from scoring.settings import get_settings
    s = get_settings()
    code = sorted((ROOT / "scoring" / "speech").glob("*.py")) + [ROOT / "scoring" / "items" / "speaking.py"]
    return feature_cache.fingerprint(code, s.whisper_model, s.whisper_compute_type, s.whisper_cpu_isa)


def extract(rows: list[dict], use_cache: bool) -> list[dict]:
    from scoring.engine import Engine
    cached = {}
    cache = CACHE if use_cache else CACHE.with_suffix(".fresh.jsonl")
    if not use_cache and cache.exists():
        cache.unlink()
    if use_cache:
        feature_cache.drop_stale(CACHE.with_suffix(".fingerprint"), [CACHE], features_fingerprint())
    if use_cache and CACHE.exists():
        for line in CACHE.read_text().splitlines():
            r = json.loads(line)
            cached[r["utt_id"]] = r
    todo = [r for r in rows if r["utt_id"] not in cached]
    if todo:
        eng = Engine()
        eng.resources.load_all(["asr", "aligner"])
        cache.parent.mkdir(parents=True, exist_ok=True)
        with open(cache, "a") as out:
            for k, r in enumerate(todo):
                t0 = time.perf_counter()
                res = eng.score({"item_type": "read_aloud", "response": {"audio_path": str(DATA / "wav" / f"{r['utt_id']}.wav")},
                                 "item": {"reference_text": r["text"]}})
                dt = time.perf_counter() - t0
                fl, pr, ct = res.traits["oral_fluency"], res.traits["pronunciation"], res.traits["content"]
                rec = {"utt_id": r["utt_id"], "seconds": dt, "duration_s": ct.evidence.get("asr", {}).get("duration_s") or fl.evidence.get("duration_s"),
                       "content": ct.score, "content_max": ct.max, "gated": res.gated,
                       # trait scores before the official content gate (a 0 on content zeroes the item)
                       "fluency": fl.evidence.get("ungated_score", fl.score), "pronunciation": pr.evidence.get("ungated_score", pr.score),
                       "flu": _numeric(fl.evidence), "pron": {**_numeric(pr.evidence), "gops": [w["gop"] for w in pr.evidence.get("words", [])]},
                       "pron_scored": pr.scored,
                       "asr": ct.evidence.get("asr", {})}
                out.write(json.dumps(rec) + "\n")
                cached[r["utt_id"]] = rec
                if (k + 1) % 25 == 0:
                    print(f"  scored {k + 1}/{len(todo)}", file=sys.stderr, flush=True)
    return [dict(cached[r["utt_id"]], human=r) for r in rows]


def _X(recs, names, key):
    """Design matrix; a feature is looked up in this trait's evidence first, then the other trait's
    (fluency uses the alignment's mean_gop; pronunciation uses the alignment pause_ratio)."""
    from scoring.speech.fluency import per_window
    other = "pron" if key == "flu" else "flu"
    p = S.load()["fluency"]
    rows = []
    for r in recs:
        ev = {**(r[other] or {}), **(r[key] or {})}
        if "hesitations_scaled" not in ev and "hesitation_pauses" in ev:  # a cache from before the feature
            ev["hesitations_scaled"] = per_window(ev["hesitation_pauses"], ev.get("speaking_s") or 1.0, p)
        rows.append([1.0] + [float(ev.get(n) or 0.0) for n in names])
    return np.array(rows)


def fit(X, y):
    """Least squares, then stretched so the predictions have the human scores' spread (least
    squares shrinks them towards the mean, and rounding to 0-5 would then lose the extremes)."""
    b = np.linalg.lstsq(X, y, rcond=None)[0]
    p = X @ b
    sc = y.std() / max(p.std(), 1e-9)
    b = b * sc
    b[0] += p.mean() * (1 - sc)
    return b


def cv_predict(X, y, folds=5, seed=0):
    idx = np.random.default_rng(seed).permutation(len(y))
    pred = np.zeros(len(y))
    for k in range(folds):
        test = idx[k::folds]
        train = np.setdiff1d(idx, test)
        pred[test] = X[test] @ fit(X[train], y[train])
    return pred


# speechocean762's 0-10 rubric bands mapped onto the PTE 0-5 descriptors (score k from LEVELS[trait][k-1]
# up; a median between two bands goes to the upper one). Fluency: 8-10 "fluent without noticeable pauses
# or stammering" -> 5 (9-10) and 4 (8); 6-7 "fluent in general, with a few pauses, repetition and
# stammering" -> 3 (PTE "good": more than one hesitation, most words in continuous phrases); 4-5 "many
# pauses, repetition and stammering" -> 2; 0-3 "intermittent" -> 1 (2-3) and 0 (0-1). Accuracy: 9-10
# "excellent, no obvious mistakes" -> 5; 7-8 "good, with a few mistakes" -> 4 (8) and 3 (7); 5-6
# "understandable, many mistakes and accent" -> 2; 3-4 "poor, serious mistakes" -> 1; 0-2 "only one or
# two words recognisable" -> 0. The human shares of these levels anchor the cut-points.
LEVELS = {"fluency": [1.5, 3.5, 5.5, 7.5, 9.0], "accuracy": [2.5, 4.5, 6.5, 7.5, 9.0]}


def human_levels(y: np.ndarray, trait: str) -> np.ndarray:
    """Human 0-10 scores on the PTE 0-5 scale (LEVELS)."""
    return np.array([C.cut(v, LEVELS[trait]) for v in y], float)


def choose_cuts(X, y, levels, seed=1) -> dict:
    """Cut-points for 1..5 on the model value fitted on (X, y): quantile-matched to the human shares
    of each level, and optimised shares (maximising the integer r on out-of-fold model values,
    within share_bounds); both as quantiles of the in-sample model values."""
    lat = X @ fit(X, y)
    oof = cv_predict(X, y, seed=seed)
    shares = C.optimised_shares(oof, y, levels, 5)
    return {"quantile": C.quantile_cuts(lat, levels, 5), "optimised": C.share_cuts(lat, shares), "shares": shares}


def nested_integer(X, y, levels, cap, folds=5, seed=0) -> dict[str, np.ndarray]:
    """Out-of-fold integer scores (after the rule caps `cap`) by three mappings: plain rounding,
    quantile-matched cut-points and optimised shares. Each outer fold's coefficients and cut-points
    come from its training folds only (the same folds as cv_predict)."""
    idx = np.random.default_rng(seed).permutation(len(y))
    out = {m: np.zeros(len(y)) for m in ("round", "quantile", "optimised")}
    for k in range(folds):
        test = idx[k::folds]
        train = np.setdiff1d(idx, test)
        v = X[test] @ fit(X[train], y[train])
        cuts = choose_cuts(X[train], y[train], levels[train], seed + 1)
        out["round"][test] = [S.to_score(x, {}) for x in v]
        for m in ("quantile", "optimised"):
            out[m][test] = [S.to_score(x, {"cuts": cuts[m]}) for x in v]
    return {m: np.minimum(a, cap) for m, a in out.items()}


def agreement(recs: list[dict], do_fit: bool) -> dict:
    ok = [r for r in recs if r["pron_scored"] and r["fluency"] is not None]
    hf = np.array([float(r["human"]["fluency"]) for r in ok])
    ha = np.array([float(r["human"]["accuracy"]) for r in ok])
    ht = np.array([float(r["human"]["total"]) for r in ok])
    Xf, Xp = _X(ok, FLU, "flu"), _X(ok, PRON, "pron")
    from scoring.speech.fluency import disfluency_cap
    pf_ = S.load()["fluency"]
    cap = np.array([min(r["flu"].get("long_pause_cap", 5),
                        r["flu"].get("disfluency_cap", disfluency_cap(int(r["flu"].get("fillers", 0) + r["flu"].get("repetitions", 0)
                                                                          + r["flu"].get("false_starts", 0)), r["flu"].get("speaking_s", 1.0), pf_)))
                    for r in ok])
    pf = cv_predict(Xf, hf / 2)
    pp = cv_predict(Xp, ha / 2)
    lf, la = human_levels(hf, "fluency"), human_levels(ha, "accuracy")
    nf = nested_integer(Xf, hf / 2, lf, cap)
    npr = nested_integer(Xp, ha / 2, la, np.full(len(ok), 5))
    method = {}
    for name, n, h in (("fluency", nf, hf), ("pronunciation", npr, ha)):
        method[name] = "optimised shares" if pearson(n["optimised"], h) >= pearson(n["quantile"], h) + C.CUT_GAIN else "quantile-matched"
    pick = {"optimised shares": "optimised", "quantile-matched": "quantile"}
    sf, spr = nf[pick[method["fluency"]]], npr[pick[method["pronunciation"]]]
    content = np.array([r["content"] / max(r["content_max"], 1) for r in ok])
    total_cv = (content + sf / 5 + spr / 5) / 3
    cal_now = S.load()
    out = {"clips": len(recs), "scored": len(ok),
           "cv_fluency_r_int": pearson(sf, hf), "cv_fluency_r_cont": pearson(pf, hf),
           "cv_pronunciation_r_int": pearson(spr, ha), "cv_pronunciation_r_cont": pearson(pp, ha),
           "cv_total_r": pearson(total_cv, ht), "cv_total_r_cont": pearson((content + np.clip(pf, 0, 5) / 5 + np.clip(pp, 0, 5) / 5) / 3, ht),
           "cuts_method": method,
           "cv_r_int_by_mapping": {f"{name}_{m}": round(pearson(n[m], h), 3) for name, n, h in (("fluency", nf, hf), ("pronunciation", npr, ha))
                                   for m in ("round", "quantile", "optimised")},
           "cv_total_r_round": pearson((content + nf["round"] / 5 + npr["round"] / 5) / 3, ht),
           "cv_shares": {name: _shares(sc) for name, sc in (("fluency", sf), ("pronunciation", spr))},
           "human_shares": {name: _shares(lv) for name, lv in (("fluency", lf), ("pronunciation", la))},
           "engine_fluency_r": pearson([r["fluency"] for r in ok], hf),
           "engine_pronunciation_r": pearson([r["pronunciation"] for r in ok], ha),
           "engine_total_r": pearson([(r["content"] / max(r["content_max"], 1) + r["fluency"] / 5 + r["pronunciation"] / 5) / 3 for r in ok], ht),
           "gated_clips": sum(1 for r in ok if r.get("gated")),
           "content_vs_completeness_r": pearson(content, [float(r["human"]["completeness"]) for r in ok]),
           "calibration_version": cal_now.get("version")}
    cuts = {}
    for name, X, y, lv, feats in (("fluency", Xf, hf / 2, lf, FLU), ("pronunciation", Xp, ha / 2, la, PRON)):
        b = fit(X, y)
        out[f"{name}_coef"] = {"intercept": round(float(b[0]), 4), **{n: round(float(c), 4) for n, c in zip(feats, b[1:])}}
        cuts[name] = choose_cuts(X, y, lv)
        out[f"{name}_cuts"] = cuts[name][pick[method[name]]]
    if do_fit:
        path = S.PATH
        cal = json.loads(path.read_text())
        for name, X, feats in (("fluency", Xf, FLU), ("pronunciation", Xp, PRON)):
            c = dict(out[f"{name}_coef"])
            defaults = {n: round(float(X[:, i + 1].mean()), 4) for i, n in enumerate(feats)}
            if name == "fluency":
                defaults["mean_gop"] = 0.0  # timed words without audio: no GOP term (timing only)
            cal[name]["model"] = {"intercept": c.pop("intercept"), "coef": c,
                                  "defaults": defaults,  # used when a feature is missing (e.g. no reference)
                                  "cuts": out[f"{name}_cuts"], "cuts_method": method[name],
                                  "human_levels": LEVELS["fluency" if name == "fluency" else "accuracy"],
                                  **({"shares": cuts[name]["shares"]} if method[name] == "optimised shares" else {}),
                                  "cv_r_integer": round(out[f"cv_{name}_r_int"], 4), "cv_r": round(out[f"cv_{name}_r_cont"], 4)}
        cal["version"] = f"fitted on speechocean762 ({len(ok)} clips), {time.strftime('%Y-%m-%d')}"
        cal["fitted_by"] = ("python -m bench.speech --fit (writes the fluency and pronunciation models: coefficients, and cut-points "
                            "for scores 1-5 matched to the human shares of the speechocean762 levels `human_levels`)")
        path.write_text(json.dumps(cal, indent=2) + "\n")
        out["wrote"] = str(path)
    return out


def _shares(scores) -> list[float]:
    return [round(float(x), 3) for x in np.bincount(np.asarray(scores, int), minlength=6) / max(len(scores), 1)]


def speed(recs: list[dict]) -> dict:
    secs = sum(r["seconds"] for r in recs)
    dur = sum(r["duration_s"] or 0 for r in recs)
    out = {"seconds_per_audio_second": round(secs / max(dur, 1e-9), 3), "mean_clip_s": round(dur / max(len(recs), 1), 2)}
    from scoring.engine import Engine
    from scoring.settings import Settings
    text = ("Urban gardens have become a common sight in many large cities over the past two decades. They give "
            "people who live in apartments a place to grow fresh vegetables, they bring neighbours together, and "
            "they make streets cooler in the summer. However, they also need water, time and careful planning, and "
            "many of them depend on volunteers who may not stay for long. City councils that support these gardens "
            "usually provide land, tools and training, and in return the gardens help schools teach children where "
            "food comes from. Researchers also point out that gardens can reduce flooding, because the soil absorbs "
            "rain water that would otherwise run into the drains. Overall, the evidence suggests that small green spaces can improve the health of a city.")
    with tempfile.TemporaryDirectory() as d:
        wav = Path(d) / "long.wav"
        subprocess.run(["flite", "-voice", "slt", "-t", text, "-o", str(wav)], check=True)
        eng = Engine(Settings(engine_workers=2))
        eng.resources.load_all(["asr", "aligner", "embedder"])
        eng.score({"item_type": "read_aloud", "response": {"audio_path": str(wav)}, "item": {"reference_text": text}})  # warm
        times = {}
        for it, item in (("read_aloud", {"reference_text": text}),
                         ("describe_image", {"key_points": ["urban gardens are common in cities", "they provide food and community",
                                                            "they need water, time and volunteers", "councils support them"]})):
            ts = []
            for _ in range(2):
                t0 = time.perf_counter()
                r = eng.score({"item_type": it, "response": {"audio_path": str(wav)}, "item": item})
                ts.append(time.perf_counter() - t0)
            times[it] = round(min(ts), 2)
        out["answer_seconds"] = r.traits["content"].evidence.get("asr", {}).get("duration_s")
        out["time_to_score_s"] = times
    return out


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--limit", type=int, default=None)
    ap.add_argument("--fit", action="store_true")
    ap.add_argument("--no-cache", action="store_true")
    ap.add_argument("--no-speed", action="store_true")
    a = ap.parse_args()
    if not (DATA / "labels.tsv").exists():
        print(f"skip: {DATA} not found")
        return
    recs = extract(load_labels(a.limit), not a.no_cache)
    res = agreement(recs, a.fit)
    if not a.no_speed:
        res.update(speed(recs))
    for k, v in res.items():
        print(f"{k}: {round(v, 3) if isinstance(v, float) else v}")


if __name__ == "__main__":
    main()
