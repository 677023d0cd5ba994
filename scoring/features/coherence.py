"""Development, structure and coherence: paragraphing, connectives by type, sentence-to-sentence
lexical cohesion (content-lemma overlap of adjacent sentences), repetition, sentence complexity
(subordinate clauses per sentence; `ing_forms_per_100w`: -ing verb forms (gerunds and participles,
`by improving`, `people living in`) per 100 words, a sign of more varied syntax)."""
from __future__ import annotations

import re
from collections import Counter
from typing import Any

import numpy as np

CONNECTIVES: dict[str, tuple[str, ...]] = {
    "addition": ("moreover", "furthermore", "in addition", "additionally", "also", "besides", "what is more", "as well as", "not only"),
    "contrast": ("however", "nevertheless", "nonetheless", "on the other hand", "in contrast", "whereas", "although", "though",
                 "even though", "despite", "in spite of", "yet", "while", "conversely", "on the contrary"),
    "cause": ("therefore", "thus", "consequently", "as a result", "hence", "because", "since", "due to", "owing to",
              "for this reason", "so that", "accordingly", "leads to", "result in"),
    "example": ("for example", "for instance", "such as", "namely", "in particular", "to illustrate", "specifically"),
    "sequence": ("firstly", "first of all", "secondly", "thirdly", "finally", "lastly", "then", "next", "subsequently", "afterwards", "to begin with"),
    "conclusion": ("in conclusion", "to conclude", "to sum up", "in summary", "overall", "all in all", "in short", "ultimately", "to summarise", "to summarize"),
    "opinion": ("in my opinion", "i believe", "from my perspective", "in my view", "i think", "it is clear that", "admittedly", "undoubtedly"),
}
_CONN_RE = {k: re.compile(r"\b(" + "|".join(re.escape(p) for p in v) + r")\b", re.I) for k, v in CONNECTIVES.items()}
SUBORDINATE_DEPS = {"advcl", "ccomp", "relcl", "acl", "xcomp", "csubj"}


def paragraphs(text: str) -> list[str]:
    """Paragraphs: blocks separated by a blank line, or by single line breaks when the writer never
    leaves blank lines."""
    blocks = [b for b in re.split(r"\n\s*\n", text.strip()) if b.strip()]
    if len(blocks) <= 1:
        blocks = [b for b in text.strip().split("\n") if b.strip()]
    return blocks


def connectives(text: str) -> dict[str, list[tuple[int, int, str]]]:
    return {k: [(m.start(), m.end(), m.group(0)) for m in r.finditer(text)] for k, r in _CONN_RE.items()}


def adjacent_overlap(doc: Any) -> float:
    """Mean content-lemma overlap (Jaccard) of adjacent sentences: local lexical cohesion."""
    sets = [{t.lemma_.lower() for t in s if t.is_alpha and not t.is_stop and t.pos_ in ("NOUN", "VERB", "ADJ", "PROPN")}
            for s in doc.sents]
    sets = [x for x in sets if x]
    if len(sets) < 2:
        return 0.0
    return float(np.mean([len(a & b) / len(a | b) for a, b in zip(sets, sets[1:])]))


def features(text: str, doc: Any, n_words: int) -> dict[str, float]:
    sents = [s for s in doc.sents if any(t.is_alpha for t in s)]
    lens = [sum(1 for t in s if t.is_alpha) for s in sents] or [0]
    conn = connectives(text)
    n_conn = sum(len(v) for v in conn.values())
    paras = paragraphs(text)
    content = [t.lemma_.lower() for t in doc if t.is_alpha and not t.is_stop and t.pos_ in ("NOUN", "VERB", "ADJ")]
    cnt = Counter(content)
    top_share = (sum(c for _, c in cnt.most_common(3)) / len(content)) if content else 0.0
    trigrams = [tuple(content[i:i + 3]) for i in range(len(content) - 2)]
    rep_tri = (1 - len(set(trigrams)) / len(trigrams)) if trigrams else 0.0
    adj = adjacent_overlap(doc)
    clauses = sum(1 for t in doc if t.dep_ in SUBORDINATE_DEPS)
    ing = sum(1 for t in doc if t.tag_ == "VBG")
    return {
        "n_paragraphs": float(len(paras)),
        "n_sentences": float(len(sents)),
        "mean_sentence_len": round(float(np.mean(lens)), 3),
        "sd_sentence_len": round(float(np.std(lens)), 3),
        "connectives": float(n_conn),
        "connective_types": float(sum(1 for v in conn.values() if v)),
        "connectives_per_100w": round(100 * n_conn / max(n_words, 1), 3),
        "adjacent_cohesion": round(adj, 4),
        "top3_lemma_share": round(top_share, 4),
        "repeated_trigram_ratio": round(rep_tri, 4),
        "clauses_per_sentence": round(clauses / max(len(sents), 1), 3),
        "ing_forms_per_100w": round(100 * ing / max(n_words, 1), 3),
    }
