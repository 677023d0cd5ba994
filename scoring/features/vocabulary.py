"""Vocabulary range: word sophistication (wordfreq Zipf frequencies), lexical diversity (MTLD,
computed directly), and academic words.

- `mean_zipf`: mean Zipf frequency of the content-word lemmas (lower = rarer = more sophisticated);
- `rare_ratio`: share of content-word lemmas with Zipf < 4.0 (rarer than ~1 per 100k words);
- `academic_ratio`: share of content words with a typical academic suffix or in a short list of
  frequent Academic Word List headwords (a cheap proxy for the AWL);
- `bigram_ratio`: share of adjacent word pairs that are frequent English bigrams (phraseology);
  `unattached_ratio`: share of tokens the parser could only attach with the catch-all `dep` label;
  `unusual_pair_ratio`: share of adjacent pairs of two common words (Zipf >= 4.5 each) that are not
  frequent English bigrams (`people is`, `more easy`, `for take`: an unusual-sequence signal);
- `mtld`: Measure of Textual Lexical Diversity (McCarthy & Jarvis 2010), factor threshold 0.72, mean of
  the forward and backward passes; `ttr` type/token ratio; `lemma_types`: distinct content lemmas.
"""
from __future__ import annotations

import re
from functools import lru_cache
from pathlib import Path
from typing import Any, Iterator, Sequence

from scoring.registry import resource

CONTENT_POS = {"NOUN", "VERB", "ADJ", "ADV"}
RARE_ZIPF = 4.0
MTLD_THRESHOLD = 0.72
COMMON_ZIPF = 4.5  # unusual_pair_ratio looks only at pairs of words at least this frequent

ACADEMIC = frozenset("""analyse analyze approach area assess assume authority available benefit concept
consist constitute context contract create data define derive distribute economy environment establish
estimate evident export factor finance formula function identify income indicate individual interpret
involve issue labour labor legal legislate major method occur percent period policy principle proceed
process require research respond role section sector significant similar source specific structure theory
vary achieve acquire administrate affect appropriate aspect assist category chapter commission community
complex compute conclude conduct consequent construct consume credit culture design distinct element
equate evaluate feature final focus impact injure institute invest item journal maintain normal obtain
participate perceive positive potential previous primary purchase range region regulate relevant reside
resource restrict secure seek select site strategy survey text tradition transfer alternative circumstance
comment compensate component consent considerable constant constrain contribute convene coordinate core
corporate correspond criteria deduce demonstrate document dominate emphasis ensure exclude framework fund
illustrate immigrate imply initial instance interact justify layer link locate maximise maximize minor
negate outcome partner philosophy physical proportion publish react register rely remove scheme sequence
sex shift specify sufficient task technical technique technology valid volume access adequate annual
apparent approximate attitude attribute civil code commit communicate concentrate confer contrast cycle
debate despite dimension domestic emerge error ethnic goal grant hence hypothesis implement implicate
impose integrate internal investigate job label mechanism obvious occupy option output overall parallel
parameter phase predict principal prior professional project promote regime resolve retain series
statistic status stress subsequent sum summary undertake academic adjust alter amend aware capacity
challenge clause compound conflict consult contact decline discrete draft enable energy enforce entity
equivalent evolve expand expose external facilitate fundamental generate generation image liberal licence
license logic margin medical mental modify monitor network notion objective orient perspective precise
prime psychology pursue ratio reject revenue stable style substitute sustain symbol target transit trend
version welfare whereas abstract accurate acknowledge aggregate allocate assign attach author bond brief
capable cite cooperate discriminate display diverse domain edit enhance estate exceed expert explicit
federal fee flexible furthermore gender ignorance incentive incidence incorporate index inhibit initiate
input instruct intelligence interval lecture migrate minimum ministry motive neutral nevertheless
overseas precede presume rational recover reveal scope subsidy tape trace transform transport underlie
utilise utilize""".split())
_ACADEMIC_SUFFIX = re.compile(r"(tion|sion|ment|ity|ism|ance|ence|ive|ise|ize|ify|ous|ical|ology|ability)$")


@lru_cache(maxsize=50000)
def zipf(word: str) -> float:
    from wordfreq import zipf_frequency
    return zipf_frequency(word, "en")


def mtld(tokens: Sequence[str], threshold: float = MTLD_THRESHOLD) -> float:
    """MTLD: the mean length of sequential runs that keep a type/token ratio above `threshold`."""
    if len(tokens) < 10:
        return float(len(set(tokens)))
    return (_mtld_pass(tokens, threshold) + _mtld_pass(list(reversed(tokens)), threshold)) / 2


def _mtld_pass(tokens: Sequence[str], threshold: float) -> float:
    factors, types, count = 0.0, set(), 0
    for tok in tokens:
        types.add(tok)
        count += 1
        if len(types) / count <= threshold:
            factors += 1
            types, count = set(), 0
    if count:
        ttr = len(types) / count
        factors += (1 - ttr) / (1 - threshold) if ttr < 1 else 0.0
    return len(tokens) / factors if factors else float(len(tokens))


def features(doc: Any) -> dict[str, float]:
    words = [t.lower_ for t in doc if t.is_alpha]
    content = [t for t in doc if t.is_alpha and t.pos_ in CONTENT_POS and not t.is_stop]
    lemmas = [t.lemma_.lower() for t in content]
    zs = [zipf(l) for l in lemmas] or [7.0]
    n = max(len(lemmas), 1)
    return {
        "mean_zipf": round(sum(zs) / len(zs), 4),
        "rare_ratio": round(sum(1 for z in zs if z < RARE_ZIPF) / n, 4),
        "academic_ratio": round(sum(1 for l in lemmas if l in ACADEMIC or (len(l) > 6 and _ACADEMIC_SUFFIX.search(l))) / n, 4),
        "mtld": round(mtld(words), 3),
        "ttr": round(len(set(words)) / max(len(words), 1), 4),
        "lemma_types": float(len(set(lemmas))),
        "mean_word_len": round(sum(len(w) for w in words) / max(len(words), 1), 3),
    }


def basic_words(doc: Any, limit: int = 5) -> list[str]:
    """The most repeated content lemmas (candidates for more precise alternatives)."""
    from collections import Counter
    c = Counter(t.lemma_.lower() for t in doc if t.is_alpha and t.pos_ in CONTENT_POS and not t.is_stop and len(t.text) > 2)
    return [w for w, k in c.most_common(limit) if k >= 3]


BIGRAM_FILE = "frequency_bigramdictionary_en_243_342.txt"
UNIGRAM_FILE = "frequency_dictionary_en_82_765.txt"


def symspell_file(name: str) -> Path:
    """One of the frequency dictionaries that ship with symspellpy (UNIGRAM_FILE, BIGRAM_FILE)."""
    import symspellpy
    return Path(symspellpy.__file__).parent / name


def _symspell_counts(name: str) -> Iterator[list[str]]:
    """The rows of a symspellpy frequency dictionary: the word(s), then the count."""
    with symspell_file(name).open(encoding="utf-8") as fh:
        for line in fh:
            yield line.split()


def load_bigrams() -> frozenset:
    """The 243k most frequent English word bigrams (symspellpy's bigram dictionary), as "w1 w2"."""
    return frozenset(" ".join(row[:2]) for row in _symspell_counts(BIGRAM_FILE))


@resource("bigrams")
def _load_bigrams(settings: Any) -> frozenset:
    return load_bigrams()


COUNTABLE_SHARE = 5.0


def load_countable(share: float = COUNTABLE_SHARE) -> frozenset:
    """Nouns that nearly always take an article when singular: symspellpy's count of `a X` + `an X`
    (bigram dictionary) is at least `share` times X's own count (unigram dictionary). The two
    dictionaries count on different scales, so the threshold is relative: `homework` 0, `information`
    0.13, `money` 0.31, `car` 2.1, `idea` 4.4, `decision` 5.0, `problem` 7.7, `person` 8.9; 5.0 keeps
    1,645 nouns, where a bare singular is an article error far more often than an idiom."""
    unigram = {row[0]: int(row[1]) for row in _symspell_counts(UNIGRAM_FILE)}
    after_article: dict[str, int] = {}
    for a, b, c in (row[:3] for row in _symspell_counts(BIGRAM_FILE)):
        if a in ("a", "an"):
            after_article[b] = after_article.get(b, 0) + int(c)
    return frozenset(w for w, c in after_article.items() if unigram.get(w) and c >= share * unigram[w])


@resource("countable")
def _load_countable(settings: Any) -> frozenset:
    return load_countable()


def phraseology(doc: Any, bigrams: frozenset) -> dict[str, float]:
    """Collocational fluency: the share of adjacent word pairs (inside a sentence) that are frequent
    English bigrams; learner phrasing ("make a homework", "more better") falls outside the list."""
    pairs = hits = common = unusual = 0
    for sent in doc.sents:
        words = [t.lower_ for t in sent if t.is_alpha]
        for a, b in zip(words, words[1:]):
            pairs += 1
            known = f"{a} {b}" in bigrams
            hits += known
            if zipf(a) >= COMMON_ZIPF and zipf(b) >= COMMON_ZIPF:
                common += 1
                unusual += not known
    unk = sum(1 for t in doc if t.dep_ == "dep")
    return {"bigram_ratio": round(hits / pairs, 4) if pairs else 0.0,
            "unusual_pair_ratio": round(unusual / common, 4) if common else 0.0,
            "unattached_ratio": round(unk / max(len(doc), 1), 4)}
