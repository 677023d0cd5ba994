"""Spelling errors (symspellpy's 83k-word frequency dictionary) and British/American consistency.

Rules:
- a word is checked lower-cased; British and American spellings are both in the dictionary, so both
  are accepted; using both systems in one text ("colour" and "center") is reported once as a
  `spelling_consistency` finding (the rubric: either is fine, but be consistent);
- a word outside that dictionary is still accepted when wordfreq gives it Zipf >= 3.5 ("theater"),
  except for frequent web misspellings (`COMMON_MISSPELLINGS`: "alot", "dont", ...), or when it is
  the regular British/American twin of a dictionary word (`_PAIRS`: "kilometer", "canceling",
  "odor") and is itself in use (Zipf >= 2.5; "sence" for "sense" is not), or a British -ise/-yse
  form of a dictionary -ize/-yze word ("idolise", "paralyse"; "exercize" stays an error);
- a contraction written without its apostrophe ("dont", "thats": `MISSING_APOSTROPHE`) is a
  punctuation error, reported as a `mechanics` finding with the fix ("don't"), not as misspelled;
- not flagged: numbers and words with digits, ALL-CAPS words (acronyms), capitalised words inside a
  sentence (proper nouns), words of one letter, parts of contractions ("don't" -> "don" is checked
  only when the whole form is unknown);
- a capitalised sentence-initial word is flagged only when it has a suggestion within edit
  distance 2 (an unknown name at the start of a sentence is not an error);
- each error is a Finding with its character span and up to 3 suggestions (closest, most frequent).
"""
from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from typing import Any, Iterable, Iterator, Optional

from scoring.features.vocabulary import UNIGRAM_FILE, symspell_file, zipf
from scoring.models import Finding
from scoring.registry import resource
from scoring.text import Token

EXTRA_WORDS = {  # frequent, correct forms missing from the symspell list
    "e-mail", "email", "online", "internet", "website", "smartphone", "smartphones", "covid",
    "okay", "ok", "etc", "vs", "i'm", "i've", "i'd", "i'll", "can't", "won't", "don't", "doesn't",
    "didn't", "isn't", "aren't", "wasn't", "weren't", "haven't", "hasn't", "hadn't", "shouldn't",
    "wouldn't", "couldn't", "mustn't", "it's", "that's", "there's", "they're", "we're", "you're",
    "he's", "she's", "let's", "what's", "who's", "teenager", "teenagers", "workplace", "lifestyle",
    "influencer", "influencers", "homeschool", "homeschooled", "homeschooling", "schoolers", "chromebook",
    "chromebooks", "cyberbullying", "vaping", "esports", "livestream", "livestreams",
}
CONTRACTION_TAILS = {"s", "t", "re", "ve", "ll", "d", "m"}
# wordfreq fallback: a word outside the dictionary is accepted when it is common on the web (Zipf >=
# FALLBACK_ZIPF: "theater", "smartphones"), except for frequent learner misspellings that are common there too
FALLBACK_ZIPF = 3.5
# a regular British/American twin of a dictionary word ("kilometer" / "kilometre") is accepted when it is
# itself in use (wordfreq is American-dominated, so British -ise forms are accepted without this test)
TWIN_ZIPF = 2.5
# contractions written without their apostrophe ("dont", "thats"): the word is spelled right and the
# apostrophe is missing, so they are punctuation (mechanics) findings, not spelling errors, as in the
# Cambridge Learner Corpus error coding (missing punctuation, not spelling). Forms that are words
# themselves ("cant", "wont", "ill", "id", "its", "lets", "shell", "were") are known and never flagged.
MISSING_APOSTROPHE = {w.replace("'", ""): w for w in (
    "don't", "doesn't", "didn't", "isn't", "wasn't", "aren't", "weren't", "haven't", "hasn't", "hadn't",
    "wouldn't", "couldn't", "shouldn't", "mustn't", "needn't", "i'm", "i've", "you're", "you've", "you'll",
    "they're", "they've", "they'll", "we've", "that's", "what's", "there's", "here's", "who's", "he's", "she's",
    "it'll", "would've", "could've", "should've", "y'all")}
COMMON_MISSPELLINGS = set(MISSING_APOSTROPHE) | {
    "alot", "becuase", "cuz", "u", "ur", "wanna", "gonna", "gotta", "thru", "tho", "pls", "plz", "ppl", "bc", "coz"}


@dataclass
class SpellChecker:
    symspell: Any
    words: frozenset

    def known(self, word: str) -> bool:
        w = word.lower().replace("’", "'")
        if w in self.words or w in EXTRA_WORDS:
            return True
        if w.isalpha() and w not in COMMON_MISSPELLINGS and zipf(w) >= FALLBACK_ZIPF:
            return True
        if len(w) >= 4 and w.isalpha() and self._dialect_twin(w):
            return True
        if "'" in w:
            head, _, tail = w.partition("'")
            return (head in self.words or not head) and tail in CONTRACTION_TAILS
        if "-" in w:
            return all(p in self.words or p in EXTRA_WORDS for p in w.split("-") if p)
        return False

    def _dialect_twin(self, w: str) -> bool:
        if not any(twin in self.words for twin in _twins(w)):
            return False
        return zipf(w) >= TWIN_ZIPF or w.endswith(_UK_ISE)

    def suggest(self, word: str, n: int = 3) -> list[str]:
        from symspellpy import Verbosity
        w = word.lower()
        res = self.symspell.lookup(w, Verbosity.CLOSEST, max_edit_distance=2, include_unknown=False)
        out = [r.term for r in res[:n]]
        if word[:1].isupper():
            out = [s[:1].upper() + s[1:] for s in out]
        return out


def load_spellchecker() -> SpellChecker:
    from symspellpy import SymSpell
    path = symspell_file(UNIGRAM_FILE)
    sym = SymSpell(max_dictionary_edit_distance=2, prefix_length=5)  # prefix 5: 3x faster to build
    sym.load_dictionary(str(path), term_index=0, count_index=1)
    return SpellChecker(symspell=sym, words=frozenset(sym.words))


@resource("spellchecker")
def _load(settings: Any) -> SpellChecker:
    return load_spellchecker()


def spelling_findings(text: str, toks: list[Token], checker: SpellChecker,
                      sentence_starts: Iterable[int] = ()) -> list[Finding]:
    """Misspelled words, each with span and suggestions, plus one consistency finding if needed, and
    contractions missing their apostrophe (`mechanics` findings)."""
    starts = set(sentence_starts)
    findings: list[Finding] = []
    for t in toks:
        w = t.text
        if len(w) < 2 or any(c.isdigit() for c in w) or (w.isupper() and len(w) > 1):
            continue
        if checker.known(w):
            continue
        fixed = MISSING_APOSTROPHE.get(w.lower())
        if fixed:
            if fixed.startswith("i'") or w[:1].isupper():
                fixed = fixed[:1].upper() + fixed[1:]
            findings.append(Finding(kind="mechanics", message=f"'{w}' needs an apostrophe: '{fixed}'.", text=w,
                                    start=t.start, end=t.end, suggestions=[fixed]))
            continue
        initial = t.start in starts or _after_line_start(text, t.start)
        if w[:1].isupper() and not initial:
            continue  # a proper noun
        sugg = checker.suggest(w)
        if w[:1].isupper() and not sugg:
            continue
        findings.append(Finding(kind="spelling", message=f"'{w}' looks misspelled.", text=w,
                                start=t.start, end=t.end, suggestions=sugg))
    mixed = dialect_mix(toks)
    if mixed:
        uk, us = mixed
        findings.append(Finding(kind="spelling_consistency",
                                message=(f"British ('{uk.text}') and American ('{us.text}') spellings are mixed; "
                                         "either is accepted, but keep to one."),
                                text=us.text, start=us.start, end=us.end, suggestions=[_other(us.norm) or us.text]))
    return findings


def _after_line_start(text: str, pos: int) -> bool:
    before = text[:pos].rstrip(" \t\"'“‘(-*•")
    return not before or before.endswith(("\n", ".", "!", "?", ":"))


# British <-> American spelling pairs by regular suffix patterns; a pair counts only when both forms
# are common English words (wordfreq Zipf >= 2.5), which keeps "four"/"for", "rise"/"rize" out.
_PAIRS = [("our", "or"), ("tre", "ter"), ("ise", "ize"), ("ised", "ized"), ("ises", "izes"),
          ("ising", "izing"), ("isation", "ization"), ("isations", "izations"), ("yse", "yze"),
          ("ysed", "yzed"), ("ysing", "yzing"), ("ours", "ors"), ("tres", "ters"), ("ogue", "og"),
          ("ogues", "ogs"), ("ence", "ense"), ("lled", "led"), ("lling", "ling"), ("ller", "ler"),
          ("llers", "lers"), ("llor", "lor"), ("llors", "lors"), ("ourite", "orite"), ("ourites", "orites"),
          ("ourable", "orable"), ("gramme", "gram"), ("grammes", "grams")]


# the British -ise / -yse endings of _PAIRS (their twin is the -ize / -yze form)
_UK_ISE = tuple(uk for uk, us in _PAIRS if us.replace("z", "s") == uk)


@lru_cache(maxsize=20000)
def dialect_of(word: str) -> Optional[str]:
    """'uk' or 'us' when the word is one side of a common British/American spelling pair."""
    w = word.lower()
    if len(w) < 5:
        return None
    for uk, us in _PAIRS:
        if w.endswith(uk) and len(w) - len(uk) >= 2:
            other = w[: -len(uk)] + us
            if zipf(other) >= 2.5 and zipf(w) >= 2.5 and zipf(w) < zipf(other) + 3:
                return "uk" if _is_uk_form(w, other) else None
        if w.endswith(us) and len(w) - len(us) >= 2 and not w.endswith(uk):
            other = w[: -len(us)] + uk
            if zipf(other) >= 2.5 and zipf(w) >= 2.5:
                return "us" if _is_uk_form(other, w) else None
    return None


def _is_uk_form(uk: str, us: str) -> bool:
    """Both forms exist; accept the pair only where they are genuine spelling variants (same meaning):
    the British form is far rarer in American-dominated frequency data than its American twin, or
    the pair is a known one."""
    return uk in KNOWN_UK or (zipf(uk) < zipf(us) and zipf(us) - zipf(uk) < 2.0)


KNOWN_UK = {"colour", "favour", "honour", "labour", "behaviour", "neighbour", "centre", "theatre",
            "metre", "realise", "organise", "recognise", "analyse", "travelled", "travelling",
            "catalogue", "dialogue", "defence", "licence", "programme", "organisation", "favourite"}


def _twins(word: str) -> Iterator[str]:
    """The word's possible British/American twins, one per suffix pair it ends with ("counselors" ->
    "counselours", "counsellors")."""
    for uk, us in _PAIRS:
        if word.endswith(us) and not word.endswith(uk):
            yield word[: -len(us)] + uk
        elif word.endswith(uk):
            yield word[: -len(uk)] + us


def _other(word: str) -> Optional[str]:
    return next(_twins(word), None)


def dialect_mix(toks: list[Token]) -> Optional[tuple[Token, Token]]:
    """The first British and first American variant when a text uses both, else None."""
    uk = us = None
    for t in toks:
        if not t.text.isalpha():
            continue
        d = dialect_of(t.norm)
        if d == "uk" and uk is None:
            uk = t
        elif d == "us" and us is None:
            us = t
        if uk and us:
            return uk, us
    return None
