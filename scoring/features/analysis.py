"""One pass over a written response: parse once, embed once (one batch), then every feature and
finding the written-item scorers need. Cached per (text, item context) so a trait never recomputes."""
from __future__ import annotations

import math
import re
import threading
from collections import OrderedDict
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any, Optional, Sequence

import numpy as np

from scoring.features import advisories, coherence, content, grammar, pos_ngrams, spelling, vocabulary
from scoring.models import Finding
from scoring.text import Token, count_words, tokens

MAX_EMBED_SENTENCES = 40
ESSAY_EMBED_TOKENS = 96


@dataclass
class Analysis:
    text: str
    toks: list[Token]
    n_words: int
    doc: Any
    sentences: list[tuple[int, int]]
    features: dict[str, float]
    findings: dict[str, list[Finding]] = field(default_factory=dict)
    content: Optional[content.ContentReport] = None
    pos_profile: dict[str, list] = field(default_factory=dict)  # n-grams that raised / lowered pos_ngram_level
    symbols: list[str] = field(default_factory=list)  # the POS profile's symbol sequence (pos_ngrams.symbols)
    gaming: dict[str, Any] = field(default_factory=dict)  # the advisories' measurements (advisories.py)


_CACHE: "OrderedDict[tuple, Analysis]" = OrderedDict()
_LOCK = threading.Lock()
_POOL = ThreadPoolExecutor(max_workers=2, thread_name_prefix="writing-features")
_CACHE_SIZE = 64


def analyze(text: str, resources: Any, *, prompt: Optional[str] = None, source: Optional[str] = None,
            key_points: Optional[Sequence[str]] = None, cover_threshold: float = 0.5) -> Analysis:
    key = (text, prompt, source, tuple(key_points or ()), cover_threshold)
    with _LOCK:
        hit = _CACHE.get(key)
        if hit is not None:
            _CACHE.move_to_end(key)
            return hit
    a = _analyze(text, resources, prompt, source, key_points, cover_threshold)
    with _LOCK:
        _CACHE[key] = a
        if len(_CACHE) > _CACHE_SIZE:
            _CACHE.popitem(last=False)
    return a


def _analyze(text: str, resources: Any, prompt: Optional[str], source: Optional[str],
             key_points: Optional[Sequence[str]], cover_threshold: float) -> Analysis:
    parser = resources.get("nlp")
    embedder = resources.get("embedder")
    # Harper and the essay embedding release the GIL: run them beside the spaCy parse (on one core
    # this costs nothing extra; on two it hides their ~25 ms behind spaCy's)
    summary = source is not None or bool(key_points)
    harper_job = _POOL.submit(grammar.harper_findings, text, resources.get("grammar"))
    embed_job = None if summary else _POOL.submit(embedder.embed, [text], ESSAY_EMBED_TOKENS)
    doc = parser(text)
    toks = tokens(text)
    n_words = len(toks)
    sents = [(s.start_char, s.end_char) for s in doc.sents if any(t.is_alpha for t in s)]
    f: dict[str, float] = {"n_words": float(n_words), "log_words": round(math.log1p(n_words), 4)}

    # spelling
    checked = spelling.spelling_findings(text, toks, resources.get("spellchecker"), [s for s, _ in sents])
    sp = [x for x in checked if x.kind != "mechanics"]
    n_sp = sum(1 for x in sp if x.kind == "spelling")
    f["spelling_errors"] = float(n_sp + sum(1 for x in sp if x.kind == "spelling_consistency"))
    f["spelling_per_100w"] = round(100 * n_sp / max(n_words, 1), 3)

    # grammar
    gr = grammar.check(text, doc, resources.get("grammar"), harper=harper_job.result(), countable=resources.get("countable"))
    grammar_findings = gr.errors + gr.fragments  # the `grammar` findings: shown, and marked in the POS profile
    mechanics = sorted(gr.mechanics + [x for x in checked if x.kind == "mechanics"], key=lambda x: x.start or 0)
    per100 = 100 / max(n_words, 1)
    f["grammar_errors"] = float(len(gr.errors))
    f["grammar_per_100w"] = round(len(gr.errors) * per100, 3)
    f["mechanics_per_100w"] = round(len(mechanics) * per100, 3)
    f["fragments"] = float(len(gr.fragments))
    f["run_ons"] = float(len(gr.run_ons))
    f["article_hints_per_100w"] = round(len(gr.article_hints) * per100, 3)
    f["lowercase_i"] = float(len(re.findall(r"(?<![\w'])i(?![\w'])", text)))

    # vocabulary
    f.update(vocabulary.features(doc))
    f.update(vocabulary.phraseology(doc, resources.get("bigrams")))
    f["errors_per_100w"] = round(f["spelling_per_100w"] + f["grammar_per_100w"] + f["mechanics_per_100w"], 3)
    starts = [text[s:e].lstrip("\"'“‘(-*• ")[:1] for s, e in sents]
    f["lower_start_ratio"] = round(sum(1 for c in starts if c.islower()) / max(len(starts), 1), 4)
    f["spacing_errors_per_100w"] = round(100 * len(re.findall(r"[a-z][.,;:!?][A-Za-z]|\s[,.;:!?]", text)) / max(n_words, 1), 3)

    # embeddings: summaries (short) sentence by sentence in one batch, for key-idea coverage; essays
    # one pass over their first ESSAY_EMBED_TOKENS word pieces (the introduction states the position;
    # cost grows with length). Prompt / source / key ideas are cached across calls.
    if summary:
        sent_texts = [text[s:e] for s, e in sents][:MAX_EMBED_SENTENCES] or [text]
        sent_vecs = embedder.embed(sent_texts)
        resp_vec = sent_vecs.mean(axis=0)
        resp_vec = resp_vec / max(float(np.linalg.norm(resp_vec)), 1e-9)
    else:
        resp_vec = embed_job.result()[0]
        sent_vecs = np.zeros((0, resp_vec.shape[0]), dtype=np.float32)
    f.update(coherence.features(text, doc, n_words))
    symbols = pos_ngrams.symbols(doc, {x.start for x in sp if x.kind == "spelling"},
                                 {x.start for x in grammar_findings if x.start is not None})
    profile = resources.get("pos_ngrams")
    pos_profile: dict[str, list] = {}
    if profile is not None:  # absent before the first calibration: the trait models then use its mean
        f[pos_ngrams.FEATURE], pos_profile = profile.assess(symbols)

    # content against the prompt (essays) or the source / key points (summaries)
    rep = content.ContentReport(relevance=0.0)
    findings_content: list[Finding] = []
    reference = source or prompt
    if reference:
        ref_vec = embedder.embed([reference[:2000]])[0]
        rep.relevance = round(float(resp_vec @ ref_vec), 4)
        stop = _stopwords(parser)
        f["topic_overlap"] = round(content.topic_overlap(toks, reference, stop), 4)
    else:
        f["topic_overlap"] = 0.0
    if prompt and source is None:
        f["prompt_relevance"] = rep.relevance
        bg = embedder.embed(advisories.config()["background_prompts"])
        ap = advisories.params()
        f["prompt_specificity"] = advisories.prompt_specificity(resp_vec, ref_vec, bg, ap["background_near"])
        if f["prompt_specificity"] < ap["own_check_below"]:
            # the essay embedded once more with the prompt's topic words masked: what it says about the
            # prompt in its own words (keyword stuffing does not raise it); only for essays not clearly
            # specific to the prompt, so most answers skip this second pass
            masked = content.mask_words(text, toks, content.topic_words(prompt, _stopwords(parser)))
            own_vec = embedder.embed([masked], ESSAY_EMBED_TOKENS)[0]
            f["own_specificity"] = advisories.prompt_specificity(own_vec, ref_vec, bg, ap["background_near"])
        f["prompt_words"] = float(count_words(prompt))
        f["prompt_topic_words"] = float(len(content.topic_words(prompt, _stopwords(parser))))
    ideas = content.key_ideas(source, key_points, embedder.embed)
    if ideas is not None:
        sims, covered = content.coverage(ideas, sent_vecs, resp_vec, cover_threshold)
        rep.coverage, rep.covered, rep.key_ideas = sims, covered, ideas.texts
        f["key_coverage"] = round(sum(covered) / len(covered), 4)
        f["key_sim_mean"] = round(float(np.mean(sims)), 4)
        for idea, ok, sim in zip(ideas.texts, covered, sims):
            if not ok:
                findings_content.append(Finding(kind="missed_key_point", message=f"Key idea not covered (best match {sim:.2f}): {idea[:160]}",
                                                text=idea[:160], suggestions=[idea[:160]]))
    if source:
        rep.copied = content.copied_spans(toks, source)
        copied_words = content.words_in_spans(toks, rep.copied)
        f["copied_ratio"] = round(copied_words / max(n_words, 1), 4)
        for s, e in rep.copied:
            findings_content.append(Finding(kind="copied_excerpt", message="Copied word for word from the source; paraphrase it.",
                                            text=text[s:e], start=s, end=e))
    else:
        f["copied_ratio"] = 0.0
    rep.template = content.template_spans(text)
    f["template_ratio"] = round(content.words_in_spans(toks, rep.template) / max(n_words, 1), 4)
    for s, e in rep.template:
        findings_content.append(Finding(kind="template", message="Memorised template phrase: it adds no content of your own.",
                                        text=text[s:e], start=s, end=e))
    f["relevance"] = rep.relevance
    add_derived(f)
    rep.findings = findings_content
    gaming = {"repetition": advisories.repetition(text, sents, toks),
              "template": advisories.template(text, toks, rep.template),
              "word_salad": advisories.word_salad(text, advisories.sentence_structure(doc, resources.get("bigrams")), advisories.params()),
              "language": advisories.language(text, toks),
              "topic_words": sorted(content.topic_words(reference, _stopwords(parser))) if reference else [],
              "topic_words_used": content.topic_words_used(toks, reference, _stopwords(parser)) if reference else []}
    return Analysis(text=text, toks=toks, n_words=n_words, doc=doc, sentences=sents, features=f,
                    findings={"spelling": sp, "grammar": grammar_findings, "mechanics": mechanics,
                              "run_on": gr.run_ons, "article_hint": gr.article_hints, "content": findings_content},
                    content=rep, pos_profile=pos_profile, symbols=symbols, gaming=gaming)


SUMMARY_LENGTH_CAP = 50  # words: room for every key idea; longer summaries earn no more for length
ESSAY_LENGTH_CAP = 300  # words: the writing-level model counts length up to the PTE essay's maximum


# counts and rates whose effect on human scores flattens out: the models use log(1 + x)
LOG_FEATURES = ("errors_per_100w", "spelling_per_100w", "grammar_per_100w", "mechanics_per_100w", "article_hints_per_100w",
                "spacing_errors_per_100w", "lowercase_i", "run_ons", "connectives_per_100w", "sd_sentence_len", "n_paragraphs")


def add_derived(f: dict[str, float]) -> dict[str, float]:
    """Features derived from others (also applied to cached features by bench/calibrate.py):
    `log_words_capped` = log(1 + min(words, 50)), `log_words_cap300` = log(1 + min(words, 300)) and
    `log_<x>` = log(1 + x) for LOG_FEATURES."""
    f["log_words_capped"] = round(math.log1p(min(f["n_words"], SUMMARY_LENGTH_CAP)), 4)
    f["log_words_cap300"] = round(math.log1p(min(f["n_words"], ESSAY_LENGTH_CAP)), 4)
    for k in LOG_FEATURES:
        f["log_" + k] = round(math.log1p(max(f.get(k, 0.0), 0.0)), 4)
    return f


_STOP: Optional[frozenset] = None


def _stopwords(parser: Any) -> frozenset:
    global _STOP
    if _STOP is None:
        _STOP = frozenset(parser.nlp.Defaults.stop_words)
    return _STOP
