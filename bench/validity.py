"""Agreement of the written-item scores with human raters, through the API's code path.

    python_modules/bin/python bench/validity.py [--limit N] [--sets ellipse,wi,fce,commonlit]

Every response is scored with `Engine().score(submission_dict)` exactly as the API does. Prints, per
data set and score: n, Pearson r, Spearman rho, QWK (ordinal traits, against the human score mapped
onto the trait's scale) and the same r for a trivial baseline (the word count).

Essays outside PTE's Form range (120-380 words) get Form 0 and so, by the official gate, 0 for the
whole item: "gated" rows show what the engine returns, "ungated" rows the trait scores before the
gate (each trait's `evidence.ungated_score`), which is what measures the traits' validity. The
`latent` rows are the calibrated models' continuous values before cut-points.
"""
from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path
from typing import Any, Callable, Optional

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

import calibrate as CAL  # noqa: E402
from scoring import calibration as C  # noqa: E402

NEUTRAL_PROMPT = "Write an essay on the topic you were given, giving reasons and examples."  # W&I/FCE have no prompts


def ungated(t: Any) -> float:
    return float(t.evidence.get("ungated_score", t.score or 0)) if t.scored else float("nan")


def latent(t: Any) -> float:
    return float(t.evidence.get("latent", float("nan")))


def score_all(engine: Any, subs: list[dict]) -> tuple[list[Any], list[float]]:
    out, ms = [], []
    for s in subs:
        t0 = time.perf_counter()
        out.append(engine.score(s))
        ms.append((time.perf_counter() - t0) * 1000)
    return out, ms


def row(table: list, set_name: str, label: str, pred, human, words, levels: Optional[tuple] = None) -> None:
    pred, human, words = np.asarray(pred, float), np.asarray(human, float), np.asarray(words, float)
    ok = ~np.isnan(pred)
    q = float("nan")
    if levels is not None:
        lv, mx = levels
        q = C.qwk(np.asarray(lv)[ok].astype(int), pred[ok].astype(int))
    table.append((set_name, label, int(ok.sum()), C.pearson(pred[ok], human[ok]), C.spearman(pred[ok], human[ok]), q,
                  C.pearson(words[ok], human[ok])))


def held_out(set_name: str, limit) -> list[dict]:
    """Rows of a set that bench/calibrate.py did not fit on: each set is fitted on a fixed random
    sample (calibrate.DEFAULT_LIMITS: 1118 of 1491 ELLIPSE essays, 1500 of 3000 W&I, 800 of 1141 FCE,
    1500 of 4053 CommonLit), and its rows here are the others."""
    loader = CAL.LOADERS[set_name]
    rows = loader(None)
    fit_limit = CAL.DEFAULT_LIMITS.get(set_name, 0)
    if fit_limit is not None and fit_limit < len(rows) and set_name in CAL.DEFAULT_LIMITS:
        used = {r["id"] for r in loader(fit_limit)}
        rows = [r for r in rows if r["id"] not in used]
    return CAL._sample(rows, limit)


def ellipse(engine, limit, table):
    rows = held_out("ellipse", limit)
    if not rows:
        return
    res, ms = score_all(engine, [{"item_type": "write_essay", "response": {"text": r["text"]}, "item": {"prompt": r["prompt"]}} for r in rows])
    wc = [r_.traits["form"].evidence["word_count"] for r_ in res]
    H = lambda k: [r[k] for r in rows]  # noqa: E731
    glr_h = [(r["Syntax"] + r["Phraseology"] + r["Vocabulary"]) / 3 for r in rows]
    row(table, "ellipse", "total (gated) vs Overall", [x.score for x in res], H("Overall"), wc)
    row(table, "ellipse", "total (ungated) vs Overall", [sum(ungated(t) for t in x.traits.values()) for x in res], H("Overall"), wc)
    row(table, "ellipse", "estimate GSE vs Overall", [x.estimate.gse for x in res], H("Overall"), wc)
    pairs = [("content", "Overall", H("Overall"), "essay.content"), ("development_structure_coherence", "Cohesion", H("Cohesion"), "essay.dsc"),
             ("grammar", "Grammar", H("Grammar"), "essay.grammar"), ("grammar", "Syntax", H("Syntax"), "essay.grammar"),
             ("general_linguistic_range", "Syn+Phr+Voc", glr_h, "essay.glr"), ("general_linguistic_range", "Phraseology", H("Phraseology"), "essay.glr"),
             ("vocabulary_range", "Vocabulary", H("Vocabulary"), "essay.vocabulary_range"), ("spelling", "Conventions", H("Conventions"), None)]
    for trait, hname, h, model in pairs:
        mx = res[0].traits[trait].max
        levels = (CAL.human_levels(model or "x", np.asarray(h), mx), mx)
        row(table, "ellipse", f"{trait} (ungated) vs {hname}", [ungated(x.traits[trait]) for x in res], h, wc, levels)
        if model:
            row(table, "ellipse", f"{trait} latent vs {hname}", [latent(x.traits[trait]) for x in res], h, wc)
    gated = sum(1 for x in res if x.gated)
    table.append(("ellipse", f"(gated to 0: {gated}/{len(res)}; p50 {np.median(ms):.0f} ms/essay)", None, None, None, None, None))


def wi(engine, limit, table):
    rows = held_out("wi", limit)
    if not rows:
        return
    res, ms = score_all(engine, [{"item_type": "write_essay", "response": {"text": r["text"]}, "item": {"prompt": NEUTRAL_PROMPT}} for r in rows])
    wc = [x.traits["form"].evidence["word_count"] for x in res]
    gse_h = [r["gse"] for r in rows]
    pred = [x.estimate.gse for x in res]
    major_h = [CAL._major(g) for g in gse_h]
    major_p = [CAL._major(g) for g in pred]
    row(table, "wi", "estimate GSE vs CEFR (as GSE)", pred, gse_h, wc)
    row(table, "wi", "estimate CEFR vs CEFR (6 levels)", major_p, major_h, wc, (major_h, 6))
    wc_levels = _quantile_map(np.asarray(wc, float), np.asarray(major_h))
    table.append(("wi", "baseline: word count -> CEFR by quantiles", len(rows), C.pearson(wc_levels, major_h), C.spearman(wc_levels, major_h),
                  C.qwk(np.asarray(major_h), wc_levels.astype(int)), C.pearson(wc, major_h)))
    row(table, "wi", "total (ungated) vs CEFR (as GSE)", [sum(ungated(t) for t in x.traits.values()) for x in res], gse_h, wc)


def _quantile_map(x: np.ndarray, levels: np.ndarray) -> np.ndarray:
    cuts = C.quantile_cuts(x, levels, int(levels.max()))
    return np.array([max(int(levels.min()), C.cut(v, cuts)) for v in x])


def fce(engine, limit, table):
    rows = held_out("fce", limit)
    if not rows:
        return
    res, ms = score_all(engine, [{"item_type": "write_essay", "response": {"text": r["text"]}, "item": {"prompt": NEUTRAL_PROMPT}} for r in rows])
    wc = [x.traits["form"].evidence["word_count"] for x in res]
    h = [r["script_s"] for r in rows]
    row(table, "fce", "total (gated) vs script_s", [x.score for x in res], h, wc)
    row(table, "fce", "total (ungated) vs script_s", [sum(ungated(t) for t in x.traits.values()) for x in res], h, wc)
    row(table, "fce", "estimate GSE vs script_s", [x.estimate.gse for x in res], h, wc)
    table.append(("fce", f"(gated to 0: {sum(1 for x in res if x.gated)}/{len(res)})", None, None, None, None, None))


def commonlit(engine, limit, table):
    rows = held_out("commonlit", limit)
    if not rows:
        return
    res, ms = score_all(engine, [{"item_type": "summarize_written_text", "response": {"text": r["text"]},
                                  "item": {"prompt": r["prompt"], "source_text": r["source"]}} for r in rows])
    wc = [x.traits["form"].evidence["word_count"] for x in res]
    h = np.asarray([r["content"] for r in rows])
    levels = (CAL.human_levels("summary.content", h, 4), 4)
    row(table, "commonlit", "SWT content (gated) vs content", [x.traits["content"].score for x in res], h, wc)
    row(table, "commonlit", "SWT content (ungated) vs content", [ungated(x.traits["content"]) for x in res], h, wc, levels)
    row(table, "commonlit", "SWT content latent vs content", [latent(x.traits["content"]) for x in res], h, wc)
    row(table, "commonlit", "SWT vocabulary (ungated, length-neutral) vs wording", [ungated(x.traits["vocabulary"]) for x in res], [r["wording"] for r in rows], wc)
    table.append(("commonlit", f"(gated to 0: {sum(1 for x in res if x.gated)}/{len(res)}: multi-sentence summaries fail SWT Form)",
                  None, None, None, None, None))


def speed(n: int = 60) -> None:
    """Warm latency of Write Essay on distinct 250-word essays (first 250 words of ELLIPSE essays, or
    the test essay when the data is absent) and the engine's load time. Run under `taskset -c 0`
    for one core."""
    import os
    from scoring.engine import Engine
    t0 = time.perf_counter()
    engine = Engine()
    load = engine.load()
    load_s = time.perf_counter() - t0
    rows = CAL.ellipse(n + 1)
    texts = [" ".join(r["text"].split(" ")[:250]) for r in rows] or [
        " ".join((("Technology changes how people live and work in every country of the world. " * 30).split())[:250])]
    prompts = [r["prompt"] for r in rows] or ["Technology"]
    engine.score({"item_type": "write_essay", "response": {"text": texts[0]}, "item": {"prompt": prompts[0]}})
    ms, cpu = [], []
    for text, prompt in zip(texts[1:], prompts[1:]):
        t, c = time.perf_counter(), time.process_time()
        engine.score({"item_type": "write_essay", "response": {"text": text}, "item": {"prompt": prompt}})
        ms.append((time.perf_counter() - t) * 1000)
        cpu.append((time.process_time() - c) * 1000)
    aff = sorted(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else "?"
    print(f"engine load (all resources) {load_s:.2f} s: {load}")
    print(f"write_essay, {len(ms)} distinct 250-word essays, warm, cpus {aff}: p50 {np.median(ms):.1f} ms, "
          f"p90 {np.percentile(ms, 90):.1f} ms, max {max(ms):.1f} ms; CPU time (all threads) p50 {np.median(cpu):.1f} ms, "
          f"p90 {np.percentile(cpu, 90):.1f} ms; load average {os.getloadavg()[0]:.1f}")


SETS: dict[str, Callable] = {"ellipse": ellipse, "wi": wi, "fce": fce, "commonlit": commonlit}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--limit", type=int, default=None, help="rows per set (random sample, fixed seed)")
    ap.add_argument("--sets", default="ellipse,wi,fce,commonlit")
    ap.add_argument("--speed", action="store_true", help="measure warm latency and load time instead")
    args = ap.parse_args()
    if args.speed:
        speed()
        return
    from scoring.engine import Engine
    engine = Engine()
    t0 = time.perf_counter()
    engine.load()
    print(f"engine load {time.perf_counter() - t0:.2f} s")
    table: list = []
    for name in args.sets.split(","):
        SETS[name](engine, args.limit, table)
    f = lambda v: "" if v is None or (isinstance(v, float) and np.isnan(v)) else f"{v:.3f}"  # noqa: E731
    print(f"| set | score vs human | n | Pearson r | Spearman rho | QWK | baseline r (word count) |")
    print("|---|---|---|---|---|---|---|")
    for s, label, n, r, rho, q, b in table:
        print(f"| {s} | {label} | {'' if n is None else n} | {f(r)} | {f(rho)} | {f(q)} | {f(b)} |")


if __name__ == "__main__":
    main()
