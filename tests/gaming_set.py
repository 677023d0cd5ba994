"""The adversarial Write Essay set: responses built to game a scorer (tests/test_gaming.py,
bench/gaming.py). Material in tests/data/gaming_set.json; everything generated here is
deterministic (seeded).

Kinds:
- `template_no_topic`: a memorised template, its slots filled with generic words;
- `template_keywords`: the same templates with the prompt's keywords pasted into the slots;
- `repeat_sentence`: one on-topic sentence repeated to 250+ words;
- `repeat_paragraph`: one 40-word on-topic paragraph repeated 7 times;
- `salad_advanced`: 250 words drawn at random from 12 'advanced' words, cut into sentences;
- `salad_shuffled`: an essay's words in random order (its vocabulary kept), cut into sentences;
- `other_language`: the essay written in French, Spanish or German;
- `swapped`: an on-topic essay scored against another prompt;
- `stuffed`: an essay for another prompt with this prompt's keywords pasted into its sentences.
"""
from __future__ import annotations

import json
import random
import re
from pathlib import Path
from typing import Iterator

DATA = Path(__file__).resolve().parent / "data" / "gaming_set.json"
KINDS = ("template_no_topic", "template_keywords", "repeat_sentence", "repeat_paragraph", "salad_advanced",
         "salad_shuffled", "other_language", "swapped", "stuffed")


def material() -> dict:
    return json.loads(DATA.read_text(encoding="utf-8"))


def fill_template(template: str, topic: str, k1: str, k2: str) -> str:
    return template.replace("{topic}", topic).replace("{k1}", k1).replace("{k2}", k2)


def template_no_topic(template: str) -> str:
    return fill_template(template, "this issue", "this idea", "the alternative")


def template_keywords(template: str, keywords: list[str]) -> str:
    return fill_template(template, keywords[0], keywords[1], keywords[2])


def repeat(text: str, times: int) -> str:
    return ("\n\n" if len(text.split()) > 30 else " ").join([text] * times)


def repeat_to(text: str, words: int) -> str:
    return repeat(text, -(-words // len(text.split())))


def sentences_of(words: list[str], rng: random.Random) -> str:
    """Words cut into capitalised sentences of 8-14 words ending in a full stop, in paragraphs."""
    out, i = [], 0
    while i < len(words):
        n = rng.randint(8, 14)
        chunk = words[i:i + n]
        out.append(chunk[0].capitalize() + (" " + " ".join(chunk[1:]) if len(chunk) > 1 else "") + ".")
        i += n
    paras = [" ".join(out[j:j + 4]) for j in range(0, len(out), 4)]
    return "\n\n".join(paras)


def salad_advanced(vocabulary: list[str], seed: int, n: int = 250) -> str:
    rng = random.Random(seed)
    return sentences_of([rng.choice(vocabulary) for _ in range(n)], rng)


def shuffled(text: str, seed: int) -> str:
    rng = random.Random(seed)
    words = re.findall(r"[A-Za-z']+", text)
    words = [w.lower() if w != "I" else w for w in words]
    rng.shuffle(words)
    return sentences_of(words, rng)


def stuffed(text: str, keywords: list[str], seed: int) -> str:
    """Keywords pasted into an essay for another prompt: each paragraph gets an opening sentence naming
    them, and every third sentence a keyword."""
    rng = random.Random(seed)
    paras = [p for p in re.split(r"\n\s*\n", text.strip()) if p.strip()]
    out = []
    for p in paras:
        sents = re.split(r"(?<=[.!?])\s+", p)
        for i in range(2, len(sents), 3):
            sents[i] = sents[i].rstrip(".!?") + f", especially {rng.choice(keywords)}."
        out.append(f"This is about {keywords[0]} and {keywords[1]}. " + " ".join(sents))
    return "\n\n".join(out)


def generated(seed: int = 0) -> Iterator[dict]:
    """The set built from the material alone: {kind, prompt, text, source} per response."""
    m = material()
    prompts, keywords = m["prompts"], m["keywords"]
    for key, prompt in prompts.items():
        for i, t in enumerate(m["templates"]):
            yield {"kind": "template_no_topic", "prompt": prompt, "text": template_no_topic(t), "source": f"template {i}"}
            yield {"kind": "template_keywords", "prompt": prompt, "text": template_keywords(t, keywords[key]), "source": f"template {i}, {key}"}
        yield {"kind": "repeat_sentence", "prompt": prompt, "text": repeat_to(m["repeat_sentences"][key], 250), "source": key}
        yield {"kind": "repeat_paragraph", "prompt": prompt, "text": repeat(m["repeat_paragraphs"][key], 7), "source": key}
        for j in range(2):
            yield {"kind": "salad_advanced", "prompt": prompt, "text": salad_advanced(m["salad_words"], seed + j), "source": f"seed {seed + j}"}
    for key, essay in m["on_topic"].items():
        yield {"kind": "salad_shuffled", "prompt": prompts[key], "text": shuffled(essay, seed), "source": key}
        for other, prompt in prompts.items():
            if other != key:
                yield {"kind": "swapped", "prompt": prompt, "text": essay, "source": f"{key} essay for the {other} prompt"}
                yield {"kind": "stuffed", "prompt": prompt, "text": stuffed(essay, keywords[other], seed),
                       "source": f"{key} essay with the {other} keywords"}
    for lang, essay in m["other_languages"].items():
        yield {"kind": "other_language", "prompt": prompts["space"], "text": essay, "source": lang}
