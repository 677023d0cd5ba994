"""Advisories: responses built to game a scorer rather than to answer the task, each detected with
its evidence (the way e-rater's advisories flag essays its models cannot score fairly).

Kinds (rules and thresholds: `scoring/data/advisories.json`; the traits each one lowers: the item
scorers, docs/gaming.md):
- `repetition`: sentences repeated word for word and runs of `BLOCK_WORDS`+ words that occur earlier
  in the response (padding); evidence: which sentences repeat which, the repeated spans, their share;
- `template`: memorised template phrases (`scoring/data/templates.json`) making up much of the
  response; evidence: the phrases with their spans and their share of the words;
- `off_topic` (decided by the item scorer's prompt rule): little of the prompt's topic, and an
  embedding far from the prompt or no closer to it than to other prompts (`prompt_specificity`,
  below); evidence: relevance, specificity, the topic words used;
- `word_salad`: words that do not form sentences: few adjacent pairs of known words are attested
  English bigrams (alone, or with word classes in an impossible order: shuffled text), or most words
  are in sentences with no syntactic structure (no finite verb, or adjacent words that rarely occur
  together); evidence: the attested and misordered shares, those sentences with their spans and
  their share of the words;
- `not_english`: most words belong to another language (wordfreq frequencies); evidence: the share,
  the words with spans, the likely language.

Pure functions over the one analysis pass (tokens, spaCy parse, bigram list, embeddings); nothing
here changes a score: the scorers read the advisories and apply their trait effects.
"""
from __future__ import annotations

import json
import re
from bisect import bisect_left, bisect_right
from functools import lru_cache
from pathlib import Path
from typing import Any, Iterable, Optional, Sequence

import numpy as np

from scoring.models import Advisory
from scoring.text import Token, token_runs

ADVISORIES_PATH = Path(__file__).resolve().parents[1] / "data" / "advisories.json"
BLOCK_WORDS = 8  # a run of this many words seen earlier in the response is a repeated block
MIN_SENTENCE_WORDS = 4
KNOWN_ZIPF = 2.5  # word salad: only pairs of words this common in English are checked against the bigram list  # shorter sentences ("I agree.") may recur in genuine writing
FINITE_TAGS = frozenset({"VBZ", "VBP", "VBD", "MD"})
# adjacent word classes (spaCy's coarse POS) that English does not put in this order: a determiner before
# another determiner, a preposition, a conjunction, a pronoun, an auxiliary or a particle; a preposition
# before a conjunction or an auxiliary; a conjunction before a conjunction or punctuation. Judged only
# over ORDER_MIN_PAIRS pairs or more (one odd pair in a one-sentence summary is no evidence)
MISORDERED = {"DET": frozenset({"DET", "ADP", "CCONJ", "SCONJ", "PRON", "AUX", "PART"}),
              "ADP": frozenset({"CCONJ", "AUX"}), "CCONJ": frozenset({"CCONJ", "PUNCT"}),
              "SCONJ": frozenset({"CCONJ", "PUNCT"})}
ORDER_MIN_PAIRS = 60
OTHER_LANGUAGES = ("fr", "es", "de", "it", "pt", "nl", "id", "tr", "pl", "sv")
_NON_LATIN = re.compile(r"[^\W\d_a-zA-Z\u00C0-\u024F]")


@lru_cache(maxsize=1)
def config() -> dict:
    return json.loads(ADVISORIES_PATH.read_text(encoding="utf-8"))


def params() -> dict:
    return config()["params"]


def _evidence_text(text: str, s: int, e: int, limit: int = 120) -> str:
    seg = text[s:e].strip()
    return seg if len(seg) <= limit else seg[:limit - 3] + "..."


def merge_spans(spans: Iterable[tuple[int, int]]) -> list[tuple[int, int]]:
    out: list[list[int]] = []
    for s, e in sorted(spans):
        if out and s <= out[-1][1] + 1:
            out[-1][1] = max(out[-1][1], e)
        else:
            out.append([s, e])
    return [(s, e) for s, e in out]


# ------------------------------------------------------------------------------------- repetition

def repetition(text: str, sents: Sequence[tuple[int, int]], toks: Sequence[Token]) -> dict[str, Any]:
    """Repeated material: sentences of >= MIN_SENTENCE_WORDS words that repeat an earlier sentence
    word for word (case and punctuation aside), and runs of >= BLOCK_WORDS words that occur earlier
    in the response (not overlapping their first occurrence). Returns the repeated share of the
    words, the repeated sentences (index, the index it repeats, span) and the merged spans."""
    norms = [t.norm for t in toks]
    starts = [t.start for t in toks]
    covered = [False] * len(toks)
    first: dict[tuple, int] = {}
    repeats = []
    for i, (s, e) in enumerate(sents):
        idx = range(bisect_left(starts, s), bisect_left(starts, e))
        key = tuple(norms[k] for k in idx)
        if len(key) < MIN_SENTENCE_WORDS:
            continue
        if key in first:
            repeats.append({"sentence": i, "repeats": first[key], "start": s, "end": e, "text": _evidence_text(text, s, e)})
            for k in idx:
                covered[k] = True
        else:
            first[key] = i
    seen: dict[tuple, int] = {}
    for i in range(len(norms) - BLOCK_WORDS + 1):
        g = tuple(norms[i:i + BLOCK_WORDS])
        j = seen.get(g)
        if j is None:
            seen[g] = i
        elif j + BLOCK_WORDS <= i:
            for k in range(i, i + BLOCK_WORDS):
                covered[k] = True
    n_rep = sum(covered)
    return {"repeated_share": round(n_rep / max(len(toks), 1), 4), "repeated_words": n_rep,
            "sentences": repeats, "spans": merge_spans(token_runs(toks, covered))}


def without_spans(text: str, spans: Sequence[tuple[int, int]]) -> tuple[str, list[tuple[int, int]]]:
    """The text with the spans cut out, and its segments as (offset in the cut text, offset in
    `text`) pairs, so that positions in the cut text map back to the response (`to_original`)."""
    out, segs, pos, at = [], [], 0, 0
    for s, e in merge_spans(spans):
        if s > pos:
            segs.append((at, pos))
            out.append(text[pos:s])
            at += s - pos
        pos = max(pos, e)
    if pos < len(text):
        segs.append((at, pos))
        out.append(text[pos:])
    return "".join(out), segs


def to_original(pos: int, segs: Sequence[tuple[int, int]]) -> int:
    """A character position in the cut text (`without_spans`) as a position in the original text."""
    i = max(bisect_right([a for a, _ in segs], pos) - 1, 0)
    return segs[i][1] + pos - segs[i][0] if segs else pos


# --------------------------------------------------------------------------------------- template

def template(text: str, toks: Sequence[Token], spans: Sequence[tuple[int, int]]) -> dict[str, Any]:
    """Template language: the phrases found (content.template_spans) and their share of the words."""
    from scoring.features.content import words_in_spans
    inside = words_in_spans(list(toks), list(spans))
    return {"template_share": round(inside / max(len(toks), 1), 4), "template_words": inside,
            "phrases": [{"text": text[s:e], "start": s, "end": e} for s, e in spans]}


# ------------------------------------------------------------------------------------- off-topic

def prompt_specificity(resp_vec: np.ndarray, prompt_vec: np.ndarray, background: np.ndarray, near: float) -> float:
    """How much closer the response is to its prompt than to the background prompts (cosine to the
    prompt minus the mean cosine to the background prompts, leaving out those within `near` cosine of
    the prompt itself). An answer to the prompt scores well above 0; a memorised template, which
    fits every prompt alike, or an essay written for another prompt, near or below 0."""
    rel = float(resp_vec @ prompt_vec)
    keep = (background @ prompt_vec) < near
    bg = background[keep] if keep.any() else background
    return round(rel - float(np.mean(bg @ resp_vec)), 4)


# -------------------------------------------------------------------------------------- word salad

def sentence_structure(doc: Any, bigrams: frozenset) -> list[dict[str, Any]]:
    """Per sentence with >= 3 words: words, whether it has a finite verb, the share of adjacent pairs
    of known words (English Zipf >= KNOWN_ZIPF, so that misspellings do not count against a learner)
    that are attested English bigrams, and the adjacent tokens whose word classes are MISORDERED."""
    from scoring.features.vocabulary import zipf
    out = []
    for i, sent in enumerate(doc.sents):
        words = [t for t in sent if t.is_alpha]
        if len(words) < 3:
            continue
        low = [t.lower_ for t in words]
        pairs = [(a, b) for a, b in zip(low, low[1:]) if zipf(a) >= KNOWN_ZIPF and zipf(b) >= KNOWN_ZIPF]
        hits = sum(1 for a, b in pairs if f"{a} {b}" in bigrams)
        toks = [t for t in sent if not t.is_space]
        misordered = sum(1 for a, b in zip(toks, toks[1:]) if b.pos_ in MISORDERED.get(a.pos_, ()))
        out.append({"sentence": i, "start": sent.start_char, "end": sent.end_char, "words": len(words),
                    "finite_verb": any(t.tag_ in FINITE_TAGS for t in sent), "pairs": len(pairs),
                    "attested_pairs": round(hits / len(pairs), 3) if pairs else None,
                    "tag_pairs": max(len(toks) - 1, 0), "misordered": misordered})
    return out


def unstructured(s: dict[str, Any], p: dict) -> bool:
    """A sentence with no syntactic structure: adjacent words that rarely go together in English
    (below `salad_sentence_attested`), or no finite verb and not many more that do."""
    a = s["attested_pairs"]
    if a is None:  # no pair of known words (misspellings, names): nothing to judge
        return False
    return a < p["salad_sentence_attested"] or (not s["finite_verb"] and a < p["salad_no_verb_attested"])


def word_salad(text: str, structure: Sequence[dict[str, Any]], p: dict) -> dict[str, Any]:
    """The response's attested share of adjacent known-word pairs (all sentences pooled) and the
    sentences without structure (`unstructured`), with their share of the words."""
    bad = [s for s in structure if unstructured(s, p)]
    total = sum(s["words"] for s in structure)
    pairs = sum(s["pairs"] for s in structure)
    hits = sum(s["attested_pairs"] * s["pairs"] for s in structure if s["pairs"])
    tag_pairs = sum(s["tag_pairs"] for s in structure)
    misordered = sum(s["misordered"] for s in structure)
    return {"attested_pairs": round(hits / pairs, 4) if pairs else None,
            "misordered_pairs": round(misordered / tag_pairs, 4) if tag_pairs else 0.0, "tag_pairs": tag_pairs,
            "unstructured_share": round(sum(s["words"] for s in bad) / max(total, 1), 4),
            "sentences": [{**s, "text": _evidence_text(text, s["start"], s["end"])} for s in bad]}


# ----------------------------------------------------------------------------------- not English

@lru_cache(maxsize=50000)
def word_language(word: str) -> Optional[str]:
    """The language a word belongs to when it is not English: non-Latin letters ('script'), or a
    word at least 10 times as frequent in one of OTHER_LANGUAGES as in English (wordfreq Zipf +1)
    and common there (Zipf >= 3). None for English words, names and misspellings."""
    from wordfreq import zipf_frequency
    if _NON_LATIN.search(word):
        return "script"
    w = word.lower()
    en = zipf_frequency(w, "en", wordlist="small")
    best, lang = 0.0, None
    for code in OTHER_LANGUAGES:
        z = zipf_frequency(w, code, wordlist="small")
        if z > best:
            best, lang = z, code
    return lang if best >= 3.0 and best >= en + 1.0 else None


def language(text: str, toks: Sequence[Token]) -> dict[str, Any]:
    words = [t for t in toks if any(c.isalpha() for c in t.text)]
    foreign = [(t, word_language(t.text)) for t in words]
    foreign = [(t, lang) for t, lang in foreign if lang]
    langs: dict[str, int] = {}
    for _, lang in foreign:
        langs[lang] = langs.get(lang, 0) + 1
    return {"foreign_share": round(len(foreign) / max(len(words), 1), 4), "foreign_words": len(foreign),
            "likely_language": max(langs, key=langs.get) if langs else None,
            "words": [{"text": t.text, "start": t.start, "end": t.end, "language": lang} for t, lang in foreign[:40]]}


# -------------------------------------------------------------------------------------- decisions

def detect(stats: dict[str, Any], p: dict, essay: bool = True) -> list[Advisory]:
    """The advisories the measurements above call for (`stats`: any of the repetition, template,
    word_salad and language measurements; `p`: the thresholds; `essay`: the word-order rule of word
    salad is for essays only (summaries are dense with the source's rarer words: on CommonLit it
    flagged 1.6% of genuine summaries)). Off-topic needs the prompt rule of
    the item scorer (scoring/items/writing.py `content_gate`) and is added there."""
    out: list[Advisory] = []
    lang = stats.get("language")
    if lang and lang["foreign_share"] >= p["not_english_share"]:
        out.append(Advisory(kind="not_english", message=(
            f"{lang['foreign_share']:.0%} of the words are not English (likely language: {lang['likely_language']}); "
            "a response must be in English."), evidence=lang))
    salad = stats.get("word_salad")
    att = salad["attested_pairs"] if salad else None
    order = essay and salad and salad["tag_pairs"] >= ORDER_MIN_PAIRS and att is not None and \
        att - p["salad_order_weight"] * salad["misordered_pairs"] < p["salad_order_score"]
    low = att is not None and (att < p["salad_attested"] or order)
    if salad and (low or salad["unstructured_share"] >= p["salad_share"]):
        out.append(Advisory(kind="word_salad", message=(
            f"only {salad['attested_pairs'] or 0:.0%} of adjacent word pairs occur together in English, "
            f"{salad['misordered_pairs']:.1%} of adjacent word classes are in an impossible order, and "
            f"{salad['unstructured_share']:.0%} of the words are in {len(salad['sentences'])} sentence(s) with no "
            "grammatical structure: the words do not form sentences."), evidence=salad))
    rep = stats.get("repetition")
    if rep and rep["repeated_share"] >= p["repetition_share"]:
        out.append(Advisory(kind="repetition", message=(
            f"{rep['repeated_share']:.0%} of the words repeat earlier material ({len(rep['sentences'])} repeated "
            "sentence(s)); repeated text adds nothing and is not counted."), evidence=rep))
    tpl = stats.get("template")
    if tpl and tpl["template_share"] >= p["template_share"]:
        out.append(Advisory(kind="template", message=(
            f"{tpl['template_share']:.0%} of the words are memorised template phrases "
            f"({len(tpl['phrases'])} found); they show no content or language of your own."), evidence=tpl))
    return out
