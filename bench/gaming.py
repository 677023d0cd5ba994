"""Gaming responses next to genuine essays, through the API's code path (docs/gaming.md).

    python_modules/bin/python bench/gaming.py [--limit N] [--sets ellipse,wi,fce]

Scores the adversarial Write Essay set (tests/gaming_set.py: templates with and without the prompt's
words, repeated sentences and paragraphs, word salad of advanced words and of shuffled essays,
other languages, essays swapped between prompts, keyword stuffing), plus shuffled, swapped and
keyword-stuffed versions of genuine ELLIPSE essays rated 3.5+, with `Engine().score` exactly as the
API does. Prints, per kind, the distribution of the total (as returned, after the official gates)
and of Content, next to the genuine essays of each level (ELLIPSE by Overall, W&I by CEFR, FCE by
script score), then the targets of issue 22 and the false-advisory rate on every genuine essay
scored (ELLIPSE with its prompt title; W&I and FCE have no prompts, so they are scored with a
neutral instruction; and, as the set `ellipse-pte`, the ELLIPSE essays against PTE-style prompts
written from their titles, where the off-topic rules for prompts of 12+ words apply).
"""
from __future__ import annotations

import argparse
import random
import sys
from collections import Counter, defaultdict
from pathlib import Path
from typing import Any

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))
sys.path.insert(0, str(ROOT / "tests"))

import calibrate as CAL  # noqa: E402
import gaming_set as G  # noqa: E402
from scoring.text import count_words  # noqa: E402
from validity import NEUTRAL_PROMPT  # noqa: E402

PTE_LENGTH = (200, 300)  # words: the targets compare with genuine essays of Write Essay's length, as issue 22 did
GENUINE_SAMPLE = 40  # genuine ELLIPSE essays rated 3.5+ turned into shuffled / swapped / stuffed responses
# PTE-style prompts written from the ELLIPSE titles (tests/data/gaming_set.json): the set `ellipse-pte`
# scores the ELLIPSE essays against them, where the off-topic rules for prompts of 12+ words apply
ELLIPSE_PROMPTS: dict[str, str] = G.material()["ellipse_prompts"]
# ELLIPSE prompt titles whose essays mostly answer another prompt (letters to an employer under
# "Controlling extracurricular involvement", "Seeking multiple opinions" under "Trying something
# beyond ..."): label noise, reported apart in the false-advisory rate
NOISY_TITLES = ("Controlling extracurricular involvement", "Trying something beyond what you have mastered")


def _score(engine: Any, text: str, prompt: str) -> Any:
    return engine.score({"item_type": "write_essay", "response": {"text": text}, "item": {"prompt": prompt}})


def genuine(limit: Any, sets: list[str]) -> list[dict]:
    out = []
    for name in sets:
        rows = CAL._sample(CAL.LOADERS[name.replace("-pte", "")](None), limit)
        for r in rows:
            if name in ("ellipse", "ellipse-pte"):
                level = f"ELLIPSE {r['Overall']:.1f}" if r["Overall"] < 3.5 else "ELLIPSE 3.5+"
                b1 = False
            elif name == "wi":
                level = f"W&I {r['cefr'][:2]}"
                b1 = r["cefr"].startswith("B1")
            else:
                level = f"FCE {'<20' if r['script_s'] < 20 else '20-29' if r['script_s'] < 30 else '30+'}"
                b1 = False
            prompt = r["prompt"] if name == "ellipse" else ELLIPSE_PROMPTS[r["prompt"]] if name == "ellipse-pte" else NEUTRAL_PROMPT
            out.append({"set": name, "level": level, "b1": b1, "high": name == "ellipse" and r["Overall"] >= 3.5,
                        "pte_length": PTE_LENGTH[0] <= count_words(r["text"]) <= PTE_LENGTH[1],
                        "text": r["text"], "prompt": prompt, "title": r.get("prompt")})
    return out


def from_genuine(rows: list[dict], seed: int = 0) -> list[dict]:
    """Shuffled, swapped and stuffed versions of genuine ELLIPSE essays rated 3.5+ (swapped: scored
    against another ELLIPSE prompt, in its PTE-style wording, and against a PTE prompt of the set;
    stuffed: that prompt's keywords pasted in)."""
    rng = random.Random(seed)
    m = G.material()
    high = [r for r in rows if r["high"] and r["pte_length"]]
    titles = sorted({r["prompt"] for r in rows if r["set"] == "ellipse"})
    out = []
    for i, r in enumerate(rng.sample(high, min(GENUINE_SAMPLE, len(high)))):
        key = rng.choice(sorted(m["prompts"]))
        out.append({"kind": "salad_shuffled", "prompt": r["prompt"], "text": G.shuffled(r["text"], i), "source": "ELLIPSE"})
        other = rng.choice([t for t in titles if t != r["prompt"]])
        out.append({"kind": "swapped", "prompt": ELLIPSE_PROMPTS[other], "text": r["text"], "source": "ELLIPSE, another ELLIPSE prompt"})
        out.append({"kind": "swapped", "prompt": m["prompts"][key], "text": r["text"], "source": f"ELLIPSE, {key} prompt"})
        out.append({"kind": "stuffed", "prompt": m["prompts"][key], "text": G.stuffed(r["text"], m["keywords"][key], i), "source": f"ELLIPSE, {key} keywords"})
    return out


def dist(xs: list[float]) -> str:
    a = np.asarray(xs, float)
    return f"n {len(a):4d}  min {a.min():4.0f}  p25 {np.percentile(a, 25):4.1f}  median {np.median(a):4.1f}  p75 {np.percentile(a, 75):4.1f}  max {a.max():4.0f}"


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--limit", type=int, default=None, help="genuine essays per set (random sample, fixed seed); default all")
    ap.add_argument("--sets", default="ellipse,wi,fce,ellipse-pte", help="ellipse-pte: the ELLIPSE essays against PTE-style prompts")
    args = ap.parse_args()
    from scoring.engine import Engine
    engine = Engine()
    rows = genuine(args.limit, args.sets.split(","))
    by_level: dict[str, list[float]] = defaultdict(list)
    false_adv: Counter = Counter()
    flagged = []
    b1, high = [], []
    counts: Counter = Counter()
    no_prompt_offtopic: Counter = Counter()
    for i, r in enumerate(rows):
        res = _score(engine, r["text"], r["prompt"])
        key = r["set"] + (" (noisy titles)" if r["set"] == "ellipse-pte" and r["title"] in NOISY_TITLES else "")
        counts[key] += 1
        # W&I and FCE have no prompts: their totals are the assessed trait scores (the neutral instruction
        # would gate half of them as off-topic); ELLIPSE totals are as returned
        total = res.score if r["set"] == "ellipse" else sum(float(t.evidence.get("ungated_score", t.score or 0)) for t in res.traits.values())
        if r["set"] != "ellipse-pte":
            by_level[r["level"]].append(total)
            if r["pte_length"]:
                by_level[r["level"] + f" ({PTE_LENGTH[0]}-{PTE_LENGTH[1]} w)"].append(total)
                (b1 if r["b1"] else high if r["high"] else []).append(total)
        found = {a.kind for a in res.advisories}
        if r["set"] in ("wi", "fce") and "off_topic" in found:
            # no prompt: off-topic against the neutral instruction is the relevance rule that was there
            # before (it gates the same essays in bench/validity.py), not a judgement on the essay
            no_prompt_offtopic[r["set"]] += 1
            found.discard("off_topic")
        for k in found:
            false_adv[(key, k)] += 1
        if found:
            flagged.append((key, r["level"], sorted(found), r["text"][:90].replace("\n", " ")))
        if i % 500 == 0:
            print(f"  ... {i}/{len(rows)} genuine essays scored", file=sys.stderr, flush=True)
    gamed = list(G.generated()) + (from_genuine([r for r in rows if r["set"] == "ellipse"]) if "ellipse" in args.sets.split(",") else [])
    by_kind: dict[str, list[tuple[float, int, list[str]]]] = defaultdict(list)
    print(f"  ... scoring {len(gamed)} gamed responses", file=sys.stderr, flush=True)
    for g in gamed:
        res = _score(engine, g["text"], g["prompt"])
        content = res.traits["content"]
        by_kind[g["kind"]].append((res.score, int(content.evidence.get("ungated_score", content.score or 0)), sorted({a.kind for a in res.advisories})))

    print("Write Essay totals (0-26; ELLIPSE and gamed responses as returned after the official gates, W&I and FCE,\n"
          "which have no prompts, as the sum of the assessed trait scores)\n")
    print("genuine essays")
    for level in sorted(by_level):
        print(f"  {level:14s} {dist(by_level[level])}")
    print("\ngamed responses (Content: before the gate)")
    for kind in G.KINDS:
        xs = by_kind.get(kind)
        if not xs:
            continue
        adv = Counter(k for _, _, ks in xs for k in ks)
        print(f"  {kind:18s} {dist([x[0] for x in xs])}   Content max {max(x[1] for x in xs)}   advisories {dict(adv)}")

    print("\nfalse advisories on genuine essays (any advisory), per set")
    for key in sorted(counts):
        n_flag = sum(1 for f in flagged if f[0] == key)
        kinds = {k: v for (s_, k), v in false_adv.items() if s_ == key}
        print(f"  {key:26s} {n_flag:4d}/{counts[key]:5d} = {n_flag / counts[key]:6.2%}  by kind {kinds}")
    main_sets = [k for k in counts if not k.startswith("ellipse-pte")]
    n_main = sum(counts[k] for k in main_sets)
    n_flag = sum(1 for f in flagged if f[0] in main_sets)
    print(f"  {'all genuine essays as given':26s} {n_flag:4d}/{n_main:5d} = {n_flag / max(n_main, 1):6.2%}")
    print(f"  (not counted: off-topic against the neutral instruction, W&I and FCE having no prompts, by the relevance rule "
          f"that was there before: {dict(no_prompt_offtopic)})")
    for key, level, kinds, text in flagged[:60]:
        print(f"    {key:26s} {level:14s} {kinds}  {text}")
    all_gamed = [x[0] for xs in by_kind.values() for x in xs]
    print("\ntargets")
    if b1:
        med = float(np.median(b1))
        worst = {k: max(x[0] for x in xs) for k, xs in by_kind.items()}
        print(f"  median genuine B1 (W&I, {PTE_LENGTH[0]}-{PTE_LENGTH[1]} words) essay {med:.1f}: every gamed kind below it in median: "
              f"{all(np.median([x[0] for x in xs]) < med for xs in by_kind.values())}; highest gamed response per kind {worst}")
    for kind in ("template_no_topic", "swapped"):
        if kind in by_kind:
            print(f"  {kind}: Content <= 1 in {sum(x[1] <= 1 for x in by_kind[kind])}/{len(by_kind[kind])}")
    for kind in ("salad_advanced", "salad_shuffled", "other_language"):
        if kind in by_kind:
            print(f"  {kind}: 0-3/26 in {sum(x[0] <= 3 for x in by_kind[kind])}/{len(by_kind[kind])}")
    if high:
        print(f"  median genuine essay rated 3.5+ (ELLIPSE, {PTE_LENGTH[0]}-{PTE_LENGTH[1]} words) {np.median(high):.1f} > every gamed response (max {max(all_gamed):.0f}): "
              f"{np.median(high) > max(all_gamed)}")


if __name__ == "__main__":
    main()
