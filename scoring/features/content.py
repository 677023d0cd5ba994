"""Content: relevance to the prompt / source, coverage of key ideas, copied excerpts, off-topic and
memorised-template detection.

- relevance: cosine between the response embedding and the prompt (essays) or source (summaries);
- key ideas: `item.key_points` when given, else the most central sentences of the source (cosine
  to the source centroid); an idea is covered when some response sentence (or the whole response)
  reaches `cover_threshold` cosine with it; uncovered ideas become `missed_key_point` findings;
- copied excerpts: runs of >= `COPY_MIN_WORDS` consecutive words identical to the source, with spans;
- template text: the share of words inside phrases from `TEMPLATE_PHRASES`, a short list of
  memorised PTE essay/summary templates that circulate in coaching material.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Optional, Sequence

import numpy as np

from scoring.models import Finding
from scoring.text import Token, normalize_word, sentence_spans, tokens

COPY_MIN_WORDS = 6

TEMPLATE_PHRASES = [
    r"this is a (?:very )?(?:controversial|debatable|contentious|hotly debated) (?:topic|issue)",
    r"(?:has|have) (?:been|become) a (?:topic|subject|matter) of (?:debate|discussion|concern)",
    r"in (?:today's|the modern|this modern|contemporary) (?:world|society|era|age)",
    r"there are (?:many|various|several|numerous) (?:reasons|advantages|disadvantages|factors|arguments) (?:for|why|to)",
    r"(?:some|many) people (?:believe|argue|think|claim) that .{0,40}? while others",
    r"this essay will (?:discuss|examine|explore|outline)",
    r"in this essay,? i will",
    r"i (?:strongly|firmly) (?:believe|agree|disagree)",
    r"the (?:first|primary|main|major|foremost) (?:reason|advantage|argument) (?:is|why)",
    r"another (?:reason|advantage|disadvantage|argument) (?:is|why)",
    r"(?:a|one) (?:prime|classic|good|notable) example (?:of this )?is",
    r"(?:in conclusion|to conclude|to sum up|all things considered),? (?:it is|i would)",
    r"(?:both|there are) (?:advantages|pros) and (?:disadvantages|cons)",
    r"the (?:speaker|lecturer|passage|text|author) (?:talks|talked|discusses|discussed|describes|explains|is talking) about",
    r"(?:the )?(?:speaker|lecturer|passage|author) (?:also )?(?:mentions|mentioned|concludes|concluded) that",
    r"taking everything into (?:account|consideration)",
    r"it is (?:undeniable|indisputable|obvious|clear) that",
    r"(?:the )?(?:pros|merits|benefits) outweigh the (?:cons|demerits|drawbacks)",
    r"(?:governments?|authorities) (?:should|must) take (?:necessary|appropriate|strict) (?:steps|measures|action)",
]
_TEMPLATE_RE = re.compile("|".join(f"(?:{p})" for p in TEMPLATE_PHRASES), re.I)


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
    spans, i = [], 0
    while i < len(resp):
        if covered[i]:
            j = i
            while j + 1 < len(resp) and covered[j + 1]:
                j += 1
            spans.append((response_toks[i].start, response_toks[j].end))
            i = j + 1
        else:
            i += 1
    return spans


def template_spans(text: str) -> list[tuple[int, int]]:
    return [(m.start(), m.end()) for m in _TEMPLATE_RE.finditer(text)]


def words_in_spans(toks: list[Token], spans: list[tuple[int, int]]) -> int:
    return sum(1 for t in toks if any(s <= t.start < e for s, e in spans))


# words of the task instructions, not of the topic: they say nothing about prompt-specific content
GENERIC_PROMPT_WORDS = frozenset("""people believe think others discuss views view opinion agree disagree extent essay
give reasons reason examples example both own some many argue argued claim write words support answer whether
advantages disadvantages outweigh summarize summarise summary passage text sentence main points lecture speaker
include including relevant knowledge experience""".split())


def topic_overlap(response_toks: list[Token], reference: str, stop: frozenset) -> float:
    """Share of the reference's topic words (prompt or source content words, minus stop words and
    the generic words of task instructions) that the response uses (prefix match for inflections)."""
    ref = {normalize_word(t.text) for t in tokens(reference)} - stop - GENERIC_PROMPT_WORDS
    ref = {w for w in ref if len(w) > 3}
    if not ref:
        return 0.0
    resp = {t.norm for t in response_toks}
    hits = sum(1 for w in ref if w in resp or any(r.startswith(w[:5]) for r in resp if len(w) >= 6))
    return hits / len(ref)


@dataclass
class ContentReport:
    relevance: float
    coverage: list[float] = field(default_factory=list)
    covered: list[bool] = field(default_factory=list)
    key_ideas: list[str] = field(default_factory=list)
    copied: list[tuple[int, int]] = field(default_factory=list)
    template: list[tuple[int, int]] = field(default_factory=list)
    findings: list[Finding] = field(default_factory=list)
