"""Tokens with character spans, and the engine's word-counting rule.

Word-counting rule (used by every Form trait; matches how word processors count):
- a word is a run of letters/digits, joined by internal apostrophes, hyphens, or (in numbers)
  '.' and ',' : "don't" = 1, "well-known" = 1, "3.5" = 1, "1,000" = 1, "25%" = 1, "e-mail" = 1;
- punctuation and symbols alone are not words; "—" and " - " separate words;
- "U.S." counts as 1 word.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Sequence

_WORD_RE = re.compile(
    r"(?:[A-Za-z]\.){2,}"  # abbreviations like U.S. / e.g.
    r"|\d+(?:[.,:]\d+)*%?"  # numbers: 3.5, 1,000, 10:30, 25%
    r"|[^\W_]+(?:['’\-][^\W_]+)*"  # words, with internal apostrophes and hyphens
)
_SENTENCE_END_RE = re.compile(r"[.!?]+[\"'”’)]*(?=\s|$)")


@dataclass(frozen=True)
class Token:
    text: str
    start: int
    end: int

    @property
    def norm(self) -> str:
        return normalize_word(self.text)


def tokens(text: str) -> list[Token]:
    return [Token(m.group(0), m.start(), m.end()) for m in _WORD_RE.finditer(text)]


def count_words(text: str) -> int:
    return sum(1 for _ in _WORD_RE.finditer(text))


def normalize_word(word: str) -> str:
    """Lower-case, typographic apostrophes made plain, trailing abbreviation dot kept out."""
    return word.lower().replace("’", "'").strip(".")


def sentence_spans(text: str) -> list[tuple[int, int]]:
    """Rough sentence split on terminal punctuation (spaCy gives better splits where loaded)."""
    spans, start = [], 0
    for m in _SENTENCE_END_RE.finditer(text):
        if text[start:m.end()].strip():
            spans.append((start, m.end()))
        start = m.end()
    if text[start:].strip():
        spans.append((start, len(text)))
    return [(s + (len(text[s:e]) - len(text[s:e].lstrip())), e) for s, e in spans]


def token_runs(toks: Sequence[Token], covered: Sequence[bool]) -> list[tuple[int, int]]:
    """(start, end) character spans of the runs of consecutive tokens marked `covered`."""
    spans, i = [], 0
    while i < len(toks):
        if covered[i]:
            j = i
            while j + 1 < len(toks) and covered[j + 1]:
                j += 1
            spans.append((toks[i].start, toks[j].end))
            i = j + 1
        else:
            i += 1
    return spans
