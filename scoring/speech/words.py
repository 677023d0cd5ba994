"""Spoken words: normalisation, fillers, repetitions and false starts in a transcript.

A spoken word list is a list of `Spoken` (word, start, end, confidence); times are None when only
a transcript is known. Rules (documented in docs/speech.md):
- filler: um, uh, er, erm, ah, eh, hmm, mm, uhm, "uh-huh" (hesitation sounds, not words);
- repetition: a run of 1-3 words said again immediately ("the the", "in the in the"), unless the
  reference itself has it twice ("had had");
- false start: a fragment ending in '-' ("compu-") or a word that is a strict prefix (>= 2 letters)
  of the next word and not itself a word of the reference ("pro produce").
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Iterable, Optional

FILLERS = frozenset("um umm uh uhh uhm er err erm ah ahh eh hmm hm mm mmm uh-huh".split())
_STRIP = re.compile(r"^[^\w'-]+|[^\w'-]+$")


@dataclass
class Spoken:
    word: str
    start: Optional[float] = None
    end: Optional[float] = None
    confidence: Optional[float] = None

    @property
    def norm(self) -> str:
        return norm_word(self.word)


def norm_word(w: str) -> str:
    w = w.lower().replace("’", "'")
    w = _STRIP.sub("", w)
    return w


def is_filler(w: str) -> bool:
    return norm_word(w).rstrip("-") in FILLERS


def split_text(text: str) -> list[Spoken]:
    return [Spoken(t) for t in text.split() if norm_word(t)]


@dataclass
class Disfluency:
    kind: str  # filler | repetition | false_start
    index: int  # index into the spoken word list
    length: int
    text: str
    time: Optional[float]


def disfluencies(words: list[Spoken], reference: Iterable[str] = ()) -> list[Disfluency]:
    ref_seq = [norm_word(w) for w in reference]
    ref = set(ref_seq)
    out: list[Disfluency] = []
    norms = [w.norm for w in words]
    i = 0
    while i < len(words):
        n = norms[i]
        if not n:
            i += 1
            continue
        if is_filler(n):
            out.append(Disfluency("filler", i, 1, words[i].word, words[i].start))
            i += 1
            continue
        if n.endswith("-") or (i + 1 < len(words) and len(n) >= 2 and n not in ref and norms[i + 1] != n
                               and norms[i + 1].startswith(n) and not is_filler(norms[i + 1])):
            out.append(Disfluency("false_start", i, 1, words[i].word, words[i].start))
            i += 1
            continue
        rep = 0
        for k in (3, 2, 1):  # longest immediately repeated run first
            if i + 2 * k <= len(words) and norms[i:i + k] == norms[i + k:i + 2 * k] and not any(is_filler(x) for x in norms[i:i + k]):
                doubled = norms[i:i + 2 * k]
                if any(ref_seq[j:j + 2 * k] == doubled for j in range(len(ref_seq) - 2 * k + 1)):
                    continue  # the text itself says it twice ("that that")
                rep = k
                break
        if rep:
            out.append(Disfluency("repetition", i, rep, " ".join(w.word for w in words[i:i + rep]), words[i].start))
            i += rep  # the second copy is the one that counts as content
            continue
        i += 1
    return out


def content_words(words: list[Spoken], reference: Iterable[str] = ()) -> list[int]:
    """Indices of the words that count as content: fillers, false starts and the first copy of an
    immediate repetition are left out (they are fluency events, not content)."""
    drop: set[int] = set()
    for d in disfluencies(words, reference):
        drop.update(range(d.index, d.index + d.length))
    return [i for i, w in enumerate(words) if w.norm and i not in drop]
