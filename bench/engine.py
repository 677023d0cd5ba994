"""Engine benchmark: model load time and per-item scoring latency, pinned to one CPU core.

    python_modules/bin/python bench/engine.py [--n 50] [--core 0] [--json]

Prints Engine().load() time (every registered model), then p50 / p95 milliseconds to score:
a ~250-word essay (write_essay), a one-sentence summary (summarize_written_text), a dictation
(write_from_dictation) and a read-aloud transcript with timed words (read_aloud). All texts are
made up here.
"""
from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

ESSAY_PROMPT = ("Some people believe that university education should be free for every student. "
                "Others think that students should pay for their own studies. Discuss both views and give your opinion.")
ESSAY = """Whether university education should be free is one of the most debated questions in public policy today. \
Supporters of free tuition argue that higher education benefits society as a whole, while critics claim that \
students who gain personal advantages should contribute to the cost. In my opinion, a mixed system is the fairest solution.

On the one hand, free education opens the door to talented young people from poor families. When fees are high, \
many capable students decide not to apply, and the country loses engineers, doctors and teachers it needs. \
Moreover, graduates usually earn more and therefore pay more tax, so the state recovers much of its investment \
over time. Countries such as Germany and Finland have shown that free universities can be both excellent and affordable.

On the other hand, universities require enormous resources, and taxpayers who never attended university may \
object to funding the studies of others. Fees can also encourage students to take their courses seriously and \
to choose subjects that lead to employment. Without any contribution from learners, governments might reduce \
quality or limit the number of places available.

In conclusion, I believe that basic tuition should be free or very cheap, while students who can afford it \
should repay part of the cost through an income-based loan after graduation. This approach protects access for \
disadvantaged students and at the same time shares the financial burden fairly between individuals and society."""

SOURCE = """Urban gardens have spread rapidly across many cities over the last two decades. Originally a response \
to food shortages and empty land, they now serve several purposes at once. Residents grow fresh vegetables, \
neighbours who had never spoken meet regularly, and children learn where their food comes from. Researchers \
have also found that green spaces reduce summer temperatures and absorb rainwater that would otherwise flood \
streets. However, gardens often depend on volunteers and on temporary agreements with landowners, so many \
disappear when the land is sold for development. City planners are therefore beginning to include permanent \
garden space in their designs, recognising that the social and environmental benefits justify the cost."""
SUMMARY = ("Urban gardens, which began as a response to food shortages, now provide fresh food, community contact, "
           "education and cooling, but because they rely on volunteers and temporary land agreements, planners are "
           "starting to protect them permanently.")

DICTATION_REF = "The library will extend its opening hours during the examination period."
DICTATION = "the library will extend its opening hour during the examination period"

READ_ALOUD_REF = ("Climate scientists agree that the oceans have absorbed most of the extra heat trapped by "
                  "greenhouse gases, which has caused sea levels to rise and coral reefs to decline.")


def _timed_words(text: str, drop: set[int] = frozenset()) -> list[dict]:
    words, t = [], 0.4
    for i, w in enumerate(text.replace(",", "").replace(".", "").split()):
        if i in drop:
            continue
        dur = 0.12 + 0.045 * len(w)
        words.append({"word": w, "start": round(t, 3), "end": round(t + dur, 3), "confidence": 0.93})
        t += dur + (0.6 if i == 13 else 0.08)  # one longer pause
    return words


def _essay(i: int) -> dict:
    text = ESSAY + f" I have changed my mind about this question {i + 2} times over the years."
    return {"item_type": "write_essay", "response": {"text": text}, "item": {"prompt": ESSAY_PROMPT}}


def _summary(i: int) -> dict:
    text = SUMMARY.replace("permanently.", f"permanently in {i + 3} cities.")
    return {"item_type": "summarize_written_text", "response": {"text": text}, "item": {"source_text": SOURCE}}


def _dictation(i: int) -> dict:
    text = DICTATION if i % 2 else DICTATION.replace("hour ", "hours ")
    return {"item_type": "write_from_dictation", "response": {"text": text + " " * (i % 7)},
            "item": {"reference_text": DICTATION_REF}}


def _read_aloud(i: int) -> dict:
    words = _timed_words(READ_ALOUD_REF, {5 + i % 9})
    return {"item_type": "read_aloud", "response": {"words": words}, "item": {"reference_text": READ_ALOUD_REF}}


# Each timed run scores a slightly different response (as in real use, where every response is new),
# so that per-text caches inside the engine do not make the numbers look better than they are.
CASES = {
    "write_essay (~250 words)": _essay,
    "summarize_written_text": _summary,
    "write_from_dictation": _dictation,
    "read_aloud (timed words)": _read_aloud,
}


def _pct(values: list[float], q: float) -> float:
    s = sorted(values)
    return s[min(len(s) - 1, max(0, round(q * (len(s) - 1))))]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--n", type=int, default=50, help="timed runs per item (after 3 warm-up runs)")
    ap.add_argument("--core", type=int, default=None, help="CPU core to pin to (default: the first allowed)")
    ap.add_argument("--json", action="store_true", help="also print the numbers as one JSON line")
    ap.add_argument("--same-text", action="store_true", help="score the same response every time (cached path)")
    args = ap.parse_args()

    core = args.core if args.core is not None else min(os.sched_getaffinity(0))
    os.sched_setaffinity(0, {core})
    os.environ.setdefault("OMP_NUM_THREADS", "1")

    t0 = time.perf_counter()
    from scoring.engine import Engine
    from scoring.registry import LOADERS
    import_ms = (time.perf_counter() - t0) * 1000
    engine = Engine()
    t0 = time.perf_counter()
    load = engine.load()
    load_ms = (time.perf_counter() - t0) * 1000

    report: dict = {"core": core, "n": args.n, "import_ms": round(import_ms, 1), "load_ms": round(load_ms, 1),
                    "resources_ms": load, "items": {}}
    print(f"pinned to CPU core {core}; {args.n} timed runs per item after 3 warm-up runs; "
          + ("the same response each run" if args.same_text else "a different response each run"))
    print(f"import scoring.engine: {import_ms:8.1f} ms")
    print(f"Engine().load():       {load_ms:8.1f} ms  ({len(LOADERS)} resources: "
          + ", ".join(f"{k} {v:.0f} ms" for k, v in load.items()) + ")")
    print(f"{'item':<28}{'p50 ms':>10}{'p95 ms':>10}  score/scored max")
    for name, make in CASES.items():
        subs = [make(0 if args.same_text else i + 1000) for i in range(args.n)]
        for i in range(3):
            result = engine.score(make(i))
        times = []
        for sub in subs:
            t = time.perf_counter()
            result = engine.score(sub)
            times.append((time.perf_counter() - t) * 1000)
        p50, p95 = statistics.median(times), _pct(times, 0.95)
        report["items"][name] = {"p50_ms": round(p50, 2), "p95_ms": round(p95, 2),
                                 "score": result.score, "scored_max": result.scored_max, "max": result.max_score}
        shown = f"{result.score:g}/{result.scored_max:g}" + (f" (max {result.max_score:g})" if result.scored_max != result.max_score else "")
        print(f"{name:<28}{p50:>10.2f}{p95:>10.2f}  {shown}")
    if args.json:
        print(json.dumps(report))


if __name__ == "__main__":
    main()
