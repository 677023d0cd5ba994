"""Syntactic profile: how a text's part-of-speech / function-word sequence compares with learner
writing at known levels.

A response becomes a sequence of symbols: function words as themselves (`the`, `of`, `is`, `to`,
`which`), content words as their fine POS tag (`NN`, `VBZ`, `JJR`; `NN?` when the spelling check
flagged the word) except the most common ones, which stay themselves (`people`, `good`, `like`,
`think`, `very`, `also`: nouns, verbs, adjectives and adverbs with wordfreq Zipf >= COMMON_ZIPF),
`,` `.` `?` `!` as themselves, other punctuation as `P`, and `<s>` at each sentence start. A symbol
where a grammar finding starts gets `!` after it (`he go!`, `it VBP!`): the profile learns which
errors, in which contexts, mark a level, beside the error rates the trait models count. The
unigrams and bigrams of that sequence (`<s> because`, `a NNS`, `to VBD`, `NNS VBZ`, `, which`,
`the people`, `i like`) carry the grammar and phrasing a learner controls, but no topic words, so
the profile does not learn essay prompts.

`pos_ngram_level` is a ridge regression over their sublinear tf-idf weights (l2-normalised, as in
information retrieval), fitted by `bench/calibrate.py` on Write & Improve CEFR levels, ELLIPSE
Overall scores and FCE exam scores, each standardised within its corpus: the value is in standard
deviations of writing level (0 = the corpora's mean learner). It enters the calibrated trait and
level models as one more feature. The fitted terms are data (`scoring/data/pos_ngrams.json`); `fit` is the
fitting code (pure numpy), `PosNgramModel.level` the scoring.
"""
from __future__ import annotations

import json
import math
from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Collection, Iterable, Mapping, Sequence

import numpy as np

from scoring.features.vocabulary import zipf
from scoring.registry import resource

MODEL_PATH = Path(__file__).resolve().parents[1] / "data" / "pos_ngrams.json"
FUNCTION_POS = frozenset({"DET", "ADP", "PRON", "AUX", "CCONJ", "SCONJ", "PART"})
KEPT_PUNCT = frozenset({",", ".", "?", "!"})
MAX_N = 2
FEATURE = "pos_ngram_level"  # the feature this profile gives the calibrated models
MISSPELLED = "?"  # suffix of a misspelled content word's tag: `NN?`
GRAMMAR_ERROR = "!"  # suffix of the symbol of a word where a grammar finding starts: `VBP!`, `i!`
COMMON_POS = frozenset({"NOUN", "VERB", "ADJ", "ADV"})
COMMON_ZIPF = 6.0  # content words at least this frequent (about one in a thousand words) stay themselves
# plain-language names of the symbols that are not words (Penn Treebank tags as spaCy assigns them)
SYMBOL_NAMES = {
    "<s>": "[sentence start]", "P": "[punctuation]", "CD": "[number]", "FW": "[foreign word]", "LS": "[list marker]",
    "SYM": "[symbol]", "ADD": "[web address]", "XX": "[unknown word]", "UH": "[interjection]", "POS": "['s]",
    "NN": "[noun]", "NNS": "[plural noun]", "NNP": "[name]", "NNPS": "[plural name]",
    "JJ": "[adjective]", "JJR": "[comparative adjective]", "JJS": "[superlative adjective]",
    "RB": "[adverb]", "RBR": "[comparative adverb]", "RBS": "[superlative adverb]",
    "VB": "[verb, base form]", "VBD": "[verb, past tense]", "VBG": "[verb, -ing form]", "VBN": "[verb, past participle]",
    "VBP": "[verb, present]", "VBZ": "[verb, -s form]",
}


def symbols(doc: Iterable[Any], misspelled: Collection[int] = (), grammar_errors: Collection[int] = ()) -> list[str]:
    """The symbol sequence of a parsed text (spaCy tokens or a DocView). `misspelled`: the character
    offsets where spelling findings start; a content word there gets MISSPELLED after its tag (`NN?`).
    `grammar_errors`: the offsets where grammar findings start; the word holding one gets GRAMMAR_ERROR."""
    errors = sorted(grammar_errors)
    k = 0
    out: list[str] = []
    for t in doc:
        if t.pos_ == "SPACE":
            continue
        if t.is_sent_start:
            out.append("<s>")
        if t.pos_ in FUNCTION_POS:
            sym = t.lower_
        elif t.pos_ == "PUNCT":
            sym = t.text if t.text in KEPT_PUNCT else "P"
        elif t.idx in misspelled:
            sym = t.tag_ + MISSPELLED
        elif t.pos_ in COMMON_POS and zipf(t.lower_) >= COMMON_ZIPF:
            sym = t.lower_
        else:
            sym = t.tag_
        while k < len(errors) and errors[k] < t.idx:
            k += 1
        if k < len(errors) and errors[k] < t.idx + len(t.text):
            sym += GRAMMAR_ERROR
        out.append(sym)
    return out


def reads(symbol: str) -> str:
    """A symbol in plain words: `NN?` -> `[noun, misspelled]`, `VBP!` -> `[verb, present, grammar error]`,
    `i!` -> `i [grammar error]`, `they` -> `they`."""
    notes = []
    if len(symbol) > 1 and symbol.endswith(GRAMMAR_ERROR):
        symbol, notes = symbol[:-1], ["grammar error"]
    if len(symbol) > 1 and symbol.endswith(MISSPELLED):
        symbol, notes = symbol[:-1], ["misspelled"] + notes
    name = SYMBOL_NAMES.get(symbol)
    if name is None:
        return symbol + (f" [{', '.join(notes)}]" if notes else "")
    return name[:-1] + "".join(", " + n for n in notes) + "]"


def ngrams(syms: Sequence[str], max_n: int = MAX_N) -> Counter:
    """Counts of the 1..max_n-grams, each joined with a space."""
    c: Counter = Counter()
    for n in range(1, max_n + 1):
        for i in range(len(syms) - n + 1):
            c[" ".join(syms[i:i + n])] += 1
    return c


@dataclass(frozen=True)
class PosNgramModel:
    terms: Mapping[str, tuple[float, float]]  # term -> (idf, weight)
    intercept: float
    max_n: int = MAX_N

    def _parts(self, syms: Sequence[str]) -> dict[str, float]:
        """Each known n-gram's share of the level: its l2-normalised tf-idf weight times its coefficient."""
        vec = {t: (1.0 + math.log(c)) * self.terms[t][0] for t, c in ngrams(syms, self.max_n).items() if t in self.terms}
        norm = math.sqrt(sum(v * v for v in vec.values())) or 1.0
        return {t: v * self.terms[t][1] / norm for t, v in vec.items()}

    def level(self, syms: Sequence[str]) -> float:
        """Fitted level of a symbol sequence (0.0 for a text with none of the model's terms)."""
        return self._level(self._parts(syms))

    def assess(self, syms: Sequence[str], top: int = 5) -> tuple[float, dict[str, list[dict[str, Any]]]]:
        """level() and, from the same pass over the text's n-grams, the n-grams that raise and lower it
        most (evidence for a learner), each with its effect on the level and a plain reading (`they VBZ`
        -> `they [verb, -s form]`)."""
        parts = self._parts(syms)
        return self._level(parts), self._contributions(parts, top)

    def _level(self, parts: Mapping[str, float]) -> float:
        return round(self.intercept + sum(parts.values()), 4) if parts else 0.0

    @staticmethod
    def _contributions(parts: Mapping[str, float], top: int) -> dict[str, list[dict[str, Any]]]:
        ranked = sorted(parts.items(), key=lambda x: x[1])

        def entry(t: str, v: float) -> dict[str, Any]:
            return {"pattern": t, "reads": " ".join(reads(x) for x in t.split()), "effect": round(v, 4)}
        return {"raising": [entry(t, v) for t, v in reversed(ranked[-top:]) if v > 0],
                "lowering": [entry(t, v) for t, v in ranked[:top] if v < 0]}

    def to_json(self, **meta: Any) -> dict:
        return {**meta, "max_n": self.max_n, "intercept": round(self.intercept, 6),
                "terms": {t: [round(i, 5), round(w, 6)] for t, (i, w) in sorted(self.terms.items())}}

    def save(self, path: Path = MODEL_PATH, **meta: Any) -> None:
        """Write the model as JSON with one term per line (readable diffs after a refit)."""
        d = self.to_json(**meta)
        terms = d.pop("terms")
        head = json.dumps(d, indent=1)[:-2]
        body = ",\n".join(f"  {json.dumps(t)}: {json.dumps(v)}" for t, v in terms.items())
        path.write_text(f"{head},\n \"terms\": {{\n{body}\n }}\n}}\n")

    @classmethod
    def from_json(cls, d: Mapping[str, Any]) -> "PosNgramModel":
        return cls(terms={t: (float(i), float(w)) for t, (i, w) in d["terms"].items()},
                   intercept=float(d["intercept"]), max_n=int(d.get("max_n", MAX_N)))


def fit(docs: Sequence[Sequence[str]], y: np.ndarray, alpha: float = 3.0, min_df: int = 5,
        max_n: int = MAX_N) -> PosNgramModel:
    """Ridge regression (with intercept) on the l2-normalised sublinear tf-idf of the n-grams that
    occur in at least `min_df` texts; idf = ln((1 + n) / (1 + df)) + 1. Solved in the dual
    (n_texts x n_texts), so it needs no sparse-matrix library."""
    counts = [ngrams(s, max_n) for s in docs]
    df: Counter = Counter(t for c in counts for t in c)
    vocab = sorted(t for t, k in df.items() if k >= min_df)
    index = {t: j for j, t in enumerate(vocab)}
    n = len(docs)
    idf = np.array([math.log((1 + n) / (1 + df[t])) + 1 for t in vocab])
    X = np.zeros((n, len(vocab)))
    for i, c in enumerate(counts):
        for t, k in c.items():
            j = index.get(t)
            if j is not None:
                X[i, j] = (1.0 + math.log(k)) * idf[j]
        norm = np.linalg.norm(X[i])
        if norm > 0:
            X[i] /= norm
    y = np.asarray(y, float)
    xm, ym = X.mean(axis=0), float(y.mean())
    Xc = X - xm
    dual = np.linalg.solve(Xc @ Xc.T + alpha * np.eye(n), y - ym)
    w = Xc.T @ dual
    b = ym - float(xm @ w)
    return PosNgramModel(terms={t: (float(idf[j]), float(w[j])) for j, t in enumerate(vocab)}, intercept=b, max_n=max_n)


def load_model(path: Path = MODEL_PATH) -> PosNgramModel | None:
    """The fitted model, or None before `bench/calibrate.py` has written one."""
    return PosNgramModel.from_json(json.loads(path.read_text())) if path.exists() else None


@resource("pos_ngrams")
def _load(settings: Any) -> PosNgramModel | None:
    return load_model()
