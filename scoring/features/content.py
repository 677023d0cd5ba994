"""Content: relevance to the prompt / source, coverage of key ideas, copied excerpts, off-topic and
memorised-template detection.

- relevance: cosine between the response embedding and the prompt (essays) or source (summaries);
- key ideas: `item.key_points` when given, else the most central sentences of the source (cosine
  to the source centroid); an idea is covered when some response sentence (or the whole response)
  reaches `cover_threshold` cosine with it; uncovered ideas become `missed_key_point` findings;
- copied excerpts: runs of >= `COPY_MIN_WORDS` consecutive words identical to the source, with spans;
- template text: the share of words inside phrases from `TEMPLATE_PHRASES`, the inventory of memorised
  PTE essay / summary / speaking template phrases in `scoring/data/templates.json` (with its sources).
"""
from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Optional, Sequence

import numpy as np

from scoring.models import Finding
from scoring.text import Token, normalize_word, sentence_spans, token_runs, tokens

COPY_MIN_WORDS = 6

TEMPLATES_PATH = Path(__file__).resolve().parents[1] / "data" / "templates.json"
# memorised template language (essay, summary and speaking openers and fillers), kept as data with its sources
_TEMPLATES = json.loads(TEMPLATES_PATH.read_text(encoding="utf-8"))
TEMPLATE_PHRASES: list[str] = _TEMPLATES["phrases"]
SPOKEN_TEMPLATE_PHRASES: list[str] = _TEMPLATES["spoken_phrases"]  # matched in spoken transcripts besides TEMPLATE_PHRASES
_TEMPLATE_RE = re.compile(r"\b(?:" + "|".join(f"(?:{p})" for p in TEMPLATE_PHRASES) + ")", re.I)  # phrases start at a word


@dataclass
class KeyIdeas:
    texts: list[str]
    vecs: np.ndarray
    given: bool  # True when the item's key_points were used


def key_ideas(source: Optional[str], key_points: Optional[Sequence[str]], embed, max_ideas: int = 6) -> Optional[KeyIdeas]:
    if key_points:
        pts = [p for p in key_points if p and p.strip()]
        return KeyIdeas(pts, embed(pts), True) if pts else None
    if not source:
        return None
    sents = [source[s:e].strip() for s, e in sentence_spans(source)]
    sents = [s for s in sents if len(s.split()) >= 4] or [source]
    vecs = embed(sents)
    centroid = vecs.mean(axis=0)
    centroid /= max(np.linalg.norm(centroid), 1e-9)
    k = min(max_ideas, max(2, (len(sents) + 1) // 2))
    order = sorted(np.argsort(-(vecs @ centroid))[:k])  # keep source order
    return KeyIdeas([sents[i] for i in order], vecs[order], False)


def coverage(ideas: KeyIdeas, resp_sent_vecs: np.ndarray, resp_vec: np.ndarray, threshold: float) -> tuple[list[float], list[bool]]:
    cands = np.vstack([resp_sent_vecs, resp_vec[None, :]]) if len(resp_sent_vecs) else resp_vec[None, :]
    best = (ideas.vecs @ cands.T).max(axis=1)
    return [round(float(b), 4) for b in best], [bool(b >= threshold) for b in best]


def copied_spans(response_toks: list[Token], source: str, min_words: int = COPY_MIN_WORDS) -> list[tuple[int, int]]:
    """Character spans of the response made of >= min_words consecutive words found in the source."""
    src = [t.norm for t in tokens(source)]
    if len(src) < min_words or len(response_toks) < min_words:
        return []
    grams = {tuple(src[i:i + min_words]) for i in range(len(src) - min_words + 1)}
    resp = [t.norm for t in response_toks]
    covered = [False] * len(resp)
    for i in range(len(resp) - min_words + 1):
        if tuple(resp[i:i + min_words]) in grams:
            for j in range(i, i + min_words):
                covered[j] = True
    return token_runs(response_toks, covered)


def template_spans(text: str) -> list[tuple[int, int]]:
    return [(m.start(), m.end()) for m in _TEMPLATE_RE.finditer(text)]


def words_in_spans(toks: list[Token], spans: list[tuple[int, int]]) -> int:
    return sum(1 for t in toks if any(s <= t.start < e for s, e in spans))


# words of the task instructions, not of the topic: they say nothing about prompt-specific content
GENERIC_PROMPT_WORDS = frozenset("""people believe think others discuss views view opinion agree disagree extent essay
give reasons reason examples example both own some many argue argued claim write words support answer whether
advantages disadvantages outweigh summarize summarise summary passage text sentence main points lecture speaker
include including relevant knowledge experience""".split())


def topic_words(reference: str, stop: frozenset) -> set[str]:
    """The reference's topic words: its words longer than 3 letters, minus stop words and the generic
    words of task instructions."""
    ref = {normalize_word(t.text) for t in tokens(reference)} - stop - GENERIC_PROMPT_WORDS
    return {w for w in ref if len(w) > 3}


def topic_words_used(response_toks: list[Token], reference: str, stop: frozenset) -> list[str]:
    """The reference's topic words that the response uses (prefix match for inflections)."""
    resp = {t.norm for t in response_toks}
    return sorted(w for w in topic_words(reference, stop)
                  if w in resp or any(r.startswith(w[:5]) for r in resp if len(w) >= 6))


def mask_words(text: str, toks: list[Token], words: set[str]) -> str:
    """The text with the tokens that are (or, from 6 letters, share the first 5 letters of) one of
    `words` cut out: what the response says in its own words."""
    cut = [(t.start, t.end) for t in toks if t.norm in words or any(len(w) >= 6 and t.norm.startswith(w[:5]) for w in words)]
    out, pos = [], 0
    for s, e in cut:
        out.append(text[pos:s])
        pos = e
    out.append(text[pos:])
    return "".join(out)


def topic_overlap(response_toks: list[Token], reference: str, stop: frozenset) -> float:
    """Share of the reference's topic words (prompt or source content words, minus stop words and
    the generic words of task instructions) that the response uses (prefix match for inflections)."""
    ref = topic_words(reference, stop)
    return len(topic_words_used(response_toks, reference, stop)) / len(ref) if ref else 0.0


@dataclass
class ContentReport:
    relevance: float
    coverage: list[float] = field(default_factory=list)
    covered: list[bool] = field(default_factory=list)
    key_ideas: list[str] = field(default_factory=list)
    copied: list[tuple[int, int]] = field(default_factory=list)
    template: list[tuple[int, int]] = field(default_factory=list)
    findings: list[Finding] = field(default_factory=list)
