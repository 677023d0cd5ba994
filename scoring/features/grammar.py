"""Grammar errors: Harper (harper-py, offline, precise) plus a few spaCy rules for common learner
errors. Every error is a Finding with a character span; suggestions where a fix is known.

Harper lint kinds are split into `grammar` (agreement, word choice, repetition, articles, ...) and
`mechanics` (punctuation, capitalisation, style); Harper's own spelling lints are dropped (spelling
is scored by `features.spelling`). Own rules (precision first; each documented at its function):
- subject-verb agreement in the present tense (`he go`, `people is`, `the students was`);
- `a`/`an` before a vowel / consonant sound;
- sentence fragments: a sentence of 3+ words with no finite verb;
- run-on sentences: a comma splice (`..., it is ...` joining two independent clauses) or a sentence of
  more than 60 words;
- missing-article signal: a singular countable-looking noun with no determiner (`I bought car`);
  reported as a weak `article_hint` (features only; not counted as an error);
- learner-error rules (`learner_errors`): determiner-noun number (`this books`, `every students`,
  `these problem`), verb form after a modal (`can makes`, `could heard`, `should to go`), after `to`
  (`to went`, `need to thinking`), after `do` (`didn't went`), `be` (`is go`) and `have` (`have
  finish`), `there is` + plural, agreement in relative clauses (`people who lives`), `to` + base form
  after verbs that take -ing (`enjoy to swim`, `look forward to see`), `let/make me to`, a missing `to` (`want go`), `one of the` + singular,
  double comparatives (`more easier`), `much` + plural, plural forms of uncountable nouns
  (`informations`), `others` before a noun (`others people`), a missing `it` subject (`Is important
  to`, `because is better`), `to` for `too` (`is to hard`, `yell to much.`), `many` / `several` +
  singular (`many challenge`), `be` + base form (`can be build`), `be` with no finite verb (`I always
  be`), a base form with a singular subject (`it really help`), a missing `be` (`they just thinking`,
  `it good`, `his attitude going to`), `you` for `your` (`for you life`), `its` for `it's` (`its
  better`), `for` + base form (`for get a job`), a subject pronoun as object or possessive (`some of
  they friend`), `not` without `do` (`if students not commit`), a singular countable noun with no
  article (`he is very kind person`; nouns from `vocabulary.load_countable`) and a short list of fixed
  learner phrases (`discuss about`, `despite of`, `depends of`, ...).
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any, Iterable, Optional

from scoring.models import Finding
from scoring.registry import resource

HARPER_MECHANICS = {"Punctuation", "Capitalization", "Formatting", "Style", "Readability", "Enhancement",
                    "Redundancy"}
HARPER_SKIP = {"Spelling"}
# off: spelling (scored by features.spelling; both dialects are accepted), and typographic or style
# preferences that are not errors a rater counts (an Oxford comma, two spaces after a full stop, "..."
# for the ellipsis character, a hyphen in "3-4", "and also", "very good" -> "excellent")
HARPER_OFF_RULES = {"SpellCheck", "Misspell", "SpelledNumbers", "Regionalisms",
                    "OxfordComma", "NoFrenchSpaces", "UseEllipsisCharacter", "EllipsisLength", "NumericRangeEnDash",
                    "AvoidAndAlso", "Excellent"}


def load_linter(rules: Optional[Iterable[str]] = None) -> Any:
    """A British-dialect Harper linter. `rules`: the only rules to enable (the calibration stores the
    rules that fire on learner writing at all: a third of Harper's run time for the same findings);
    None: every default rule. Spelling rules are always off (scored by features.spelling)."""
    import harper
    linter = harper.Linter(dialect=harper.Dialect.BRITISH)
    cfg = linter.get_lint_config()
    keep = set(rules) if rules is not None else None
    linter.set_lint_config({k: (False if k in HARPER_OFF_RULES else (k in keep) if keep is not None else v)
                            for k, v in cfg.items()})
    return linter


class LockedLinter:
    """A Harper linter that is safe to share between threads (Harper raises if called re-entrantly)."""

    def __init__(self, linter: Any):
        import threading
        self.linter = linter
        self._lock = threading.Lock()

    def lint(self, text: str, **kw: Any) -> list:
        with self._lock:
            return self.linter.lint(text, **kw)


@resource("grammar")
def _load(settings: Any) -> LockedLinter:
    from scoring.calibration import load_calibration
    try:
        rules = load_calibration().raw["params"].get("harper_rules")
    except FileNotFoundError:
        rules = None
    return LockedLinter(load_linter(rules))


def harper_findings(text: str, linter: Any) -> list[Finding]:
    out = []
    for lint in linter.lint(text, language="plaintext"):
        kind = lint.lint_kind
        if kind in HARPER_SKIP:
            continue
        cat = "mechanics" if kind in HARPER_MECHANICS else "grammar"
        out.append(Finding(kind=cat, message=lint.message, text=lint.problem_text, start=lint.span.start,
                           end=lint.span.end,
                           suggestions=[s.replacement_text for s in lint.suggestions[:3] if s.replacement_text]))
    return out


_THIRD_SING = {"he", "she", "it", "this", "that", "everyone", "everybody", "someone", "somebody",
               "nobody", "anyone", "anybody", "everything", "something", "nothing", "anything", "each"}
_PLURAL_PRON = {"i", "you", "we", "they", "these", "those"}
_MASS_LIKE = re.compile(r"(ness|ism|ity|tion|sion|ment|ance|ence|ics|ing|ship|dom|hood|ure|age|ology|edge)$")
_VOWEL_EXCEPT_A = ("uni", "use", "usu", "uti", "eu", "one", "once", "ur", "uk", "us ", "u.")
_SILENT_H = ("hour", "honest", "honour", "honor", "heir")


def _sva(doc: Any) -> list[Finding]:
    """Subject-verb agreement in the simple present: a 3rd-person-singular subject with a base-form
    verb (VBP) or a plural subject with an -s verb (VBZ); `be` forms likewise. Coordinated subjects,
    relative pronouns, quantities and subjects that spaCy tags as proper nouns are skipped."""
    out = []
    for tok in doc:
        if tok.dep_ not in ("nsubj", "nsubjpass") or tok.head.tag_ not in ("VBZ", "VBP"):
            continue
        verb = tok.head
        aux = [c for c in verb.children if c.dep_ in ("aux", "auxpass") and c.tag_ in ("VBZ", "VBP")]
        target = aux[0] if aux else verb
        if target.tag_ not in ("VBZ", "VBP") or any(c.dep_ == "conj" for c in tok.children):
            continue
        if tok.lower_ in ("who", "that", "which", "what") or tok.tag_ in ("NNP", "NNPS", "CD"):
            continue
        if any(c.dep_ in ("nummod",) for c in tok.children) or tok.i > target.i:
            continue
        low = tok.lower_
        singular = low in _THIRD_SING or tok.tag_ == "NN"
        plural = low in _PLURAL_PRON or tok.tag_ == "NNS"
        if tok.tag_ == "NN" and (tok.lemma_ in ("people", "police") or any(c.dep_ == "det" and c.lower_ in ("these", "those", "many", "both", "several") for c in tok.children)):
            continue
        if target.lower_ in ("am",):
            continue
        if singular and target.tag_ == "VBP" and low != "i":
            sugg = _third_person(target.text)
            out.append(Finding(kind="grammar", message=f"The verb '{target.text}' does not agree with the singular subject '{tok.text}'.",
                               text=target.text, start=target.idx, end=target.idx + len(target.text), suggestions=[sugg] if sugg else []))
        elif plural and target.tag_ == "VBZ":
            sugg = {"is": "are", "was": "were", "has": "have", "does": "do"}.get(target.lower_) or (target.lemma_ if target.lemma_ != target.lower_ else "")
            if low in ("i",) and target.lower_ == "was":
                continue
            out.append(Finding(kind="grammar", message=f"The verb '{target.text}' does not agree with the plural subject '{tok.text}'.",
                               text=target.text, start=target.idx, end=target.idx + len(target.text), suggestions=[sugg] if sugg else []))
    return out


def _third_person(verb: str) -> str:
    v = verb.lower()
    special = {"are": "is", "were": "was", "have": "has", "do": "does", "go": "goes"}
    if v in special:
        return special[v]
    if v.endswith(("s", "sh", "ch", "x", "z", "o")):
        return v + "es"
    if v.endswith("y") and len(v) > 2 and v[-2] not in "aeiou":
        return v[:-1] + "ies"
    return v + "s"


def _vowel_sound(word: str) -> bool:
    """Whether a lower-case word starts with a vowel sound (spelling heuristics: `an hour`, `a university`)."""
    return word[0] in "aeiou" and not word.startswith(_VOWEL_EXCEPT_A) or word.startswith(_SILENT_H)


def _articles(doc: Any) -> list[Finding]:
    """`a` before a vowel sound / `an` before a consonant sound (spelling heuristics, with the usual
    exceptions: a university, a one-off, an hour, an honest)."""
    out = []
    for tok in doc[:-1]:
        if tok.lower_ not in ("a", "an"):
            continue
        nxt = doc[tok.i + 1]
        w = nxt.lower_
        if not w[:1].isalpha() or nxt.is_upper:
            continue
        vowel = _vowel_sound(w)
        if tok.lower_ == "a" and vowel:
            fix = "an" if tok.text == "a" else "An"
        elif tok.lower_ == "an" and not vowel and not w.startswith(("h",)):
            fix = "a" if tok.text == "an" else "A"
        else:
            continue
        out.append(Finding(kind="grammar", message=f"Use '{fix.lower()}' before '{nxt.text}'.", text=tok.text,
                           start=tok.idx, end=tok.idx + len(tok.text), suggestions=[fix]))
    return out


def _fragments_runons(doc: Any) -> tuple[list[Finding], list[Finding]]:
    frags, runons = [], []
    for sent in doc.sents:
        words = [t for t in sent if t.is_alpha]
        if len(words) < 3:
            continue
        finite = any(t.tag_ in ("VBZ", "VBP", "VBD", "MD") for t in sent)
        if not finite:
            frags.append(Finding(kind="grammar", message="This looks like a sentence fragment (no main verb).",
                                 text=sent.text.strip(), start=sent.start_char, end=sent.end_char,
                                 suggestions=[]))
            continue
        if len(words) > 60:
            runons.append(Finding(kind="run_on", message=f"A very long sentence ({len(words)} words): consider splitting it.",
                                  text=sent.text.strip()[:80], start=sent.start_char, end=sent.end_char))
            continue
        finite_idx = [v.i for v in sent if v.tag_ in ("VBZ", "VBP", "VBD", "MD")]
        for t in sent:  # comma splice: ", <pronoun subject> <finite verb>" starting a new main clause
            if t.text != "," or t.i + 2 >= sent.end:
                continue
            subj, verb = doc[t.i + 1], doc[t.i + 2]
            if subj.lower_ in ("i", "he", "she", "it", "we", "they", "this", "there") and subj.dep_ in ("nsubj", "expl") \
                    and verb.tag_ in ("VBZ", "VBP", "VBD", "MD") and subj.head == verb and verb.dep_ in ("ccomp", "conj", "ROOT") \
                    and not any(c.dep_ in ("mark", "cc") for c in verb.children) \
                    and finite_idx and finite_idx[0] < t.i:
                runons.append(Finding(kind="run_on", message="Two sentences are joined by a comma (comma splice).",
                                      text=t.text, start=t.idx, end=t.idx + 1, suggestions=[".", ";"]))
    return frags, runons


def _article_hints(doc: Any) -> list[Finding]:
    out = []
    for tok in doc:
        if tok.tag_ != "NN" or tok.dep_ not in ("dobj", "nsubj", "pobj", "attr") or not tok.is_lower:
            continue
        if _MASS_LIKE.search(tok.lower_) or len(tok.text) < 3:
            continue
        if any(c.dep_ in ("det", "poss", "nummod", "compound", "amod") for c in tok.children):
            continue
        prev = doc[tok.i - 1] if tok.i else None
        if prev is not None and (prev.dep_ == "compound" or prev.tag_ in ("PRP$", "DT", "CD", "NN")):
            continue
        out.append(Finding(kind="article_hint", message=f"'{tok.text}' may need an article (a/an/the).",
                           text=tok.text, start=tok.idx, end=tok.idx + len(tok.text), suggestions=[f"a {tok.text}", f"the {tok.text}"]))
    return out


_SING_DET = frozenset({"this", "that", "a", "an", "another", "every", "each"})
_PLUR_DET = frozenset({"these", "those", "many", "several", "both", "various", "numerous"})
_QUANT = frozenset({"few", "lot", "lots", "number", "couple", "great", "dozen", "good", "little", "bit", "variety", "range",
                    "majority", "series", "pair", "kind", "type", "sort"})
_PLUR_OK_NN = frozenset({"people", "police", "staff", "kind", "type", "sort"})
_UNCOUNT_PLURALS = frozenset({"informations", "advices", "furnitures", "homeworks", "knowledges", "equipments", "stuffs",
                              "peoples", "childrens", "womens", "mens", "feedbacks", "luggages", "baggages", "softwares"})
_LEARNER_PHRASES = re.compile(r"\b(despite of|discuss about|explain me|say me|more (?:easier|better|bigger|faster|harder|worse)|"
                              r"most (?:biggest|best|easiest)|an other|in the other hand|according to me|each others|"
                              r"return back|married with|cope up|can able|could able|i am agree|i'm agree|(?:is|are) depend|"
                              r"in nowadays|since \d+ years|make (?:a photo|homework)|(?:do|did) a mistake|a good news|an advice|"
                              r"a furniture|depend(?:s|ed|ing)? of|interested (?:about|on)|listen(?:s|ed|ing)? music|"
                              r"arrived? to (?:the|my|our|this|that)|different of|afraid from|"
                              r"(?:there|they're) own|"
                              r"since (?:two|three|four|five|six|seven|eight|nine|ten|many|several) (?:years|months|weeks|days))\b", re.I)
_GERUND_VERBS = frozenset({"enjoy", "avoid", "finish", "mind", "consider", "suggest", "keep", "practise", "practice", "miss",
                           "imagine", "risk", "deny", "admit", "recommend"})
_TO_VERBS = frozenset({"want", "need", "decide", "plan", "hope", "try", "wish", "expect", "refuse", "manage"})
_NON_BASE = ("VBZ", "VBD", "VBG")
_INFINITIVE_ONLY = _TO_VERBS | {"have", "able"}  # `to` after these starts an infinitive, never a preposition
_AMBIGUOUS_MODALS = frozenset({"'d", "’d", "'s", "’s"})  # `I'd heard` is `had heard`: a past participle is right there
# `to` written for `too`: before these words after a form of `be` / `seem` / `get` ... (`is to hard`), and
# before the words of _TOO_ALONE after any verb, noun or pronoun too (`yell to much.`), when no noun follows
_TOO_WORDS = frozenset({"much", "many", "often", "soon", "early", "late", "long", "fast", "slow", "far", "hard", "difficult",
                        "easy", "expensive", "big", "small", "short", "young", "old", "busy", "tired", "lazy", "dangerous",
                        "important", "complicated", "boring", "stressful", "strict", "little", "high", "low", "hot", "cold", "loud"})
_TOO_ALONE = frozenset({"much", "many", "often", "soon", "early", "late", "long", "fast", "far"})
_TOO_AFTER = frozenset({"be", "seem", "get", "become", "feel", "look", "sound", "way", "far"})
_SUBJ_PRON = frozenset({"i", "you", "we", "they", "he", "she", "it"})
_CAUSATIVE = frozenset({"let", "make", "have", "help", "see", "watch", "hear", "feel", "suggest", "recommend", "insist", "demand"})
_ITS_BEFORE = frozenset({"a", "an", "the", "not", "going", "been", "because", "like"})
_OBJECT_CASE = {"he": ("him", "his"), "she": ("her", "her"), "we": ("us", "our"), "they": ("them", "their")}  # (object, possessive)
_COLLECTIVE = frozenset({"family", "team", "government", "staff", "group", "class", "public", "audience", "company", "police",
                         "committee", "couple", "crew", "majority", "board", "council", "generation", "management", "jury"})
_DET_TAGS = frozenset({"DT", "PRP$", "CD", "POS", "WP$", "WDT"})
_DET_WORDS = frozenset({"no", "any", "each", "every", "another", "what", "whose", "which", "next", "last", "this"})
_BARE_NOUN_PREPS = frozenset({"by", "per", "on", "at", "from", "in", "to"})  # `by car`, `on time`, `at school`, `in person`
_ARTICLE_IDIOMS = frozenset({"part", "example", "instance", "fun", "pleasure", "priority", "danger", "interior", "wealth",
                             "weakness", "understanding", "role", "design", "lot", "good", "bad", "effort", "lack", "victim"})
_SUBJECTS = frozenset({"nsubj", "nsubjpass", "expl", "csubj", "csubjpass"})
_TIME_NOUNS = frozenset({"today", "tonight", "tomorrow", "yesterday", "now", "tho", "though"})


def _finding(tok: Any, message: str, suggestions: Optional[list[str]] = None, kind: str = "grammar") -> Finding:
    return Finding(kind=kind, message=message, text=tok.text, start=tok.idx, end=tok.idx + len(tok.text),
                   suggestions=suggestions or [])


def _bare_singular(t: Any, toks: list) -> bool:
    """A singular noun with no determiner, possessive or number in its phrase, and not in a compound,
    a list, a `kind of X` phrase or after a preposition that takes bare nouns (`by car`, `at school`)."""
    if t.dep_ in ("compound", "conj", "npadvmod", "appos") or (t.i + 1 < len(toks) and toks[t.i + 1].tag_ in ("NN", "NNS")):
        return False
    if any(x.tag_ in _DET_TAGS or x.lower_ in _DET_WORDS for x in toks[t.left_edge.i:t.i]):
        return False
    prev = toks[t.i - 1] if t.i else None
    if prev is None:
        return True
    if prev.tag_ in _DET_TAGS or prev.tag_ in ("NN", "NNS", "NNP", "HYPH") or prev.dep_ == "compound" or prev.lower_ in _BARE_NOUN_PREPS:
        return False
    return not (prev.lower_ == "of" and t.i >= 2 and toks[t.i - 2].lower_ in ("kind", "sort", "type", "lot", "part", "form"))


def learner_errors(doc: Any, text: str, countable: frozenset = frozenset()) -> list[Finding]:
    """Frequent learner errors that Harper does not see (each rule chosen for precision on learner
    essays; see the module docstring). `countable`: nouns that need an article when singular
    (`vocabulary.load_countable`); empty: that rule is off."""
    toks = doc.tokens if hasattr(doc, "tokens") else list(doc)
    n = len(toks)
    out: list[Finding] = []
    for t in toks:
        low, dep = t.lower_, t.dep_
        nxt = toks[t.i + 1] if t.i + 1 < n else None
        if (dep == "det" or (dep == "amod" and low in _PLUR_DET)) and t.head.i > t.i and t.head.i - t.i <= 3:
            h = t.head
            between = toks[t.i + 1:h.i]
            if low in _SING_DET and h.tag_ == "NNS" and not any(x.lower_ in _QUANT or x.tag_ == "CD" for x in between):
                out.append(_finding(h, f"'{t.text}' goes with a singular noun, not '{h.text}'.", [h.lemma_] if h.lemma_ != h.lower_ else []))
            elif low in _PLUR_DET and h.tag_ == "NN" and h.lower_ not in _PLUR_OK_NN and not _MASS_LIKE.search(h.lower_):
                out.append(_finding(h, f"'{t.text}' goes with a plural noun, not '{h.text}'."))
        if t.tag_ == "MD":
            h = t.head
            if dep == "aux" and h.i > t.i and (h.tag_ in _NON_BASE or (h.tag_ == "VBN" and low not in _AMBIGUOUS_MODALS)) \
                    and h.pos_ in ("VERB", "AUX") \
                    and not any(x.dep_ in ("aux", "auxpass") for x in toks[t.i + 1:h.i]):
                out.append(_finding(h, f"After '{t.text}' use the base form of the verb, not '{h.text}'.", [h.lemma_]))
            elif nxt is not None and nxt.lower_ == "to" and low not in ("ought", "have", "used", "need", "dare"):
                out.append(_finding(nxt, f"No 'to' after '{t.text}'."))
        if nxt is not None and ((t.tag_ == "TO" and dep == "aux" and t.head.i == t.i + 1 and t.head.tag_ in ("VBZ", "VBD", "VBG", "VBN"))
                                or (low == "to" and nxt.tag_ == "VBG" and t.i >= 1 and toks[t.i - 1].lemma_ in _INFINITIVE_ONLY
                                    and toks[t.i - 1].pos_ in ("VERB", "AUX", "ADJ"))):  # the parser reads `need to thinking` both ways
            out.append(_finding(nxt, f"After 'to' use the base form of the verb, not '{nxt.text}'.", [nxt.lemma_]))
        if dep == "aux" and t.lemma_ == "do" and t.head.i > t.i and t.head.tag_ in ("VBD", "VBZ", "VBN") \
                and not any(x.dep_ == "aux" for x in toks[t.i + 1:t.head.i]):
            out.append(_finding(t.head, f"After '{t.text}' use the base form of the verb, not '{t.head.text}'.", [t.head.lemma_]))
        if nxt is not None and nxt.tag_ == "VB":
            if dep == "aux" and low in ("is", "are", "was", "were", "am") and t.head.i == nxt.i:
                out.append(_finding(nxt, f"'{t.text} {nxt.text}' is not a verb form: use '{nxt.text}' or '{t.text} {nxt.text}ing'."))
            elif low in ("be", "been", "being") and nxt.pos_ == "VERB" and t.i in (nxt.head.i, t.head.i - 1):
                out.append(_finding(nxt, f"After '{t.text}' use the past participle of '{nxt.text}' (a passive), not its base form."))
        if low == "to" and nxt is not None and nxt.lower_ in _TOO_WORDS and t.i >= 1:
            prev, after = toks[t.i - 1], toks[t.i + 2] if t.i + 2 < n else None
            no_noun = after is None or after.pos_ in ("PUNCT", "CCONJ", "SCONJ") or after.lower_ in ("to", "for")
            if (prev.lemma_ in _TOO_AFTER and (no_noun or (prev.lemma_ == "be" and prev.lower_ != "been" and nxt.lower_ in ("much", "many")))) \
                    or (no_noun and nxt.lower_ in _TOO_ALONE and prev.pos_ in ("VERB", "NOUN", "PRON")):
                out.append(_finding(t, f"'{t.text} {nxt.text}' means 'too {nxt.text}' (more than enough): write 'too'.", ["too"]))
        if t.tag_ == "VB" and low != "be" and t.pos_ == "VERB" and dep in ("ROOT", "ccomp", "conj", "advcl", "relcl"):
            # a base form with a singular subject and no auxiliary (`that opportunity happen`, `it really help`): _sva sees VBZ / VBP only
            subj = [c for c in t.children if c.dep_ == "nsubj" and c.i < t.i and (c.tag_ == "NN" or c.lower_ in ("he", "she", "it"))
                    and c.lower_ not in _COLLECTIVE and all(x.tag_ == "RB" for x in toks[c.i + 1:t.i])]
            if subj and not any(c.dep_ in ("aux", "auxpass", "mark") for c in t.children) and (dep == "ROOT" or t.head.lemma_ not in _CAUSATIVE):
                out.append(_finding(t, f"The verb '{t.text}' does not agree with the singular subject '{subj[0].text}'.", [_third_person(t.text)]))
        if low == "be" and t.tag_ in ("VB", "VBP") and t.i >= 1:
            subj = [c for c in t.children if c.dep_ in ("nsubj", "nsubjpass") and c.i < t.i and c.lower_ in _SUBJ_PRON]
            between = toks[subj[0].i + 1:t.i] if subj else []
            if subj and all(x.tag_ == "RB" and x.lower_ not in ("not", "n't") for x in between) \
                    and not any(c.dep_ in ("aux", "auxpass", "mark") for c in t.children) and t.head.lemma_ not in _CAUSATIVE:
                out.append(_finding(t, f"'{subj[0].text} {t.text}' needs a finite verb: 'am', 'is', 'are' or 'will be'."))
        if low == "you" and nxt is not None and nxt.tag_ in ("NN", "NNS") and nxt.is_lower and nxt.lower_ not in _TIME_NOUNS \
                and (dep == "poss" or (nxt.tag_ == "NN" and (t.is_sent_start or (t.i >= 1 and toks[t.i - 1].tag_ == "IN")))):
            out.append(_finding(t, f"Before the noun '{nxt.text}' use 'your', not 'you'.", ["your" if t.text == "you" else "Your"]))
        if dep in ("ROOT", "ccomp", "conj", "advcl") and ((t.tag_ == "VBG" and t.is_alpha) or (t.pos_ == "ADJ" and t.tag_ in ("JJ", "JJR"))):
            # `they just thinking`, `it good`: a subject pronoun with no form of `be` (not `made it easy`, `found it hard`)
            subj = [c for c in t.children if c.dep_ == "nsubj" and c.i < t.i
                    and (c.lower_ in _SUBJ_PRON or (low == "going" and c.tag_ in ("NN", "NNS") and nxt is not None and nxt.lower_ == "to"))]
            if subj and not any(c.dep_ in ("aux", "auxpass", "cop") for c in t.children) \
                    and all(x.tag_ == "RB" for x in toks[subj[0].i + 1:t.i]) \
                    and (subj[0].i == 0 or toks[subj[0].i - 1].pos_ not in ("VERB", "AUX", "ADJ")):
                be = {"i": "am", "he": "is", "she": "is", "it": "is"}.get(subj[0].lower_, "are")
                out.append(_finding(t, f"'{subj[0].text} {t.text}' lacks a form of 'be': '{subj[0].text} {be} {t.text}'.", [f"{be} {t.text}"]))
        if low == "not" and dep == "neg" and t.head.tag_ in ("VB", "VBP") and t.head.i == t.i + 1 \
                and not any(c.dep_ in ("aux", "auxpass") for c in t.head.children) \
                and any(c.dep_ == "nsubj" and c.i < t.i for c in t.head.children) \
                and (t.head.dep_ == "ROOT" or t.head.head.lemma_ not in _CAUSATIVE):
            out.append(_finding(t, f"A verb is negated with 'do': 'do not {t.head.text}' / 'does not {t.head.text}'.", ["do not", "does not"]))
        if low in _OBJECT_CASE and dep in ("pobj", "dobj", "dative", "poss") and (t.i == 0 or toks[t.i - 1].text != "/") \
                and (nxt is None or (nxt.lower_ not in ("/", "or", "and") and not nxt.tag_.startswith(("VB", "MD")) and not nxt.lower_.endswith(("self", "selves")))):
            out.append(_finding(t, f"'{t.text}' is a subject pronoun: here use '{_OBJECT_CASE[low][dep == 'poss']}'.", [_OBJECT_CASE[low][dep == "poss"]]))
        if low == "for" and nxt is not None and nxt.tag_ == "VB" and nxt.pos_ in ("VERB", "AUX") \
                and not any(c.dep_ == "nsubj" for c in nxt.children):
            out.append(_finding(t, f"To say why, use 'to {nxt.text}', not 'for {nxt.text}'.", ["to"]))
        if low == "its" and nxt is not None and ((t.head.pos_ in ("ADJ", "ADV") and t.head.tag_ not in ("JJS", "RBS")) or nxt.lower_ in _ITS_BEFORE):
            out.append(_finding(t, f"'{t.text}' is possessive; for 'it is' write 'it's'.", ["it's" if t.text == "its" else "It's"]))
        if t.tag_ == "NN" and t.is_lower and low in countable and low not in _ARTICLE_IDIOMS and _bare_singular(t, toks):
            out.append(_finding(t, f"'{t.text}' is a countable noun: a singular needs 'a', 'an' or 'the' (or use the plural).",
                                [f"{'an' if _vowel_sound(low) else 'a'} {t.text}", f"the {t.text}"]))
        if low in ("more", "most") and nxt is not None and nxt.tag_ in ("JJR", "RBR", "JJS", "RBS") \
                and nxt.lower_ not in ("more", "less", "most", "least"):
            out.append(_finding(t, f"'{nxt.text}' is already a comparative / superlative: drop '{t.text}'."))
        if low in _UNCOUNT_PLURALS and t.pos_ == "NOUN":
            out.append(_finding(t, f"'{t.text[:-1]}' is uncountable: no plural -s.", [t.text[:-1]]))
        if low == "others" and nxt is not None and nxt.pos_ == "NOUN":
            out.append(_finding(t, "Before a noun use 'other', not 'others'.", ["other"]))
        if dep == "aux" and t.lemma_ == "have" and t.head.i == t.i + 1 and t.head.tag_ == "VB":
            out.append(_finding(t.head, f"After '{t.text}' use the past participle, not '{t.head.text}'."))
        if low == "much" and nxt is not None and nxt.tag_ == "NNS":
            out.append(_finding(t, f"Use 'many' with a plural noun ('{nxt.text}').", ["many"]))
        if low == "there" and dep == "expl" and t.head.lower_ in ("is", "was") and t.head.i == t.i + 1:
            attr = [c for c in t.head.children if c.dep_ in ("attr", "nsubj") and c.i > t.head.i]
            if attr and attr[0].tag_ == "NNS" and not any(c.dep_ == "det" and c.lower_ in ("a", "an") for c in attr[0].children) \
                    and not any(x.lower_ in ("lot", "lots", "number", "couple") for x in toks[t.head.i + 1:attr[0].i]):
                out.append(_finding(t.head, f"Use '{'are' if t.head.lower_ == 'is' else 'were'}' with the plural '{attr[0].text}'.",
                                    ["are" if t.head.lower_ == "is" else "were"]))
        if dep in ("nsubj",) and low in ("who", "that", "which") and t.head.dep_ == "relcl" and t.head.tag_ in ("VBZ", "VBP") \
                and t.head.head.i < t.i and t.i and toks[t.i - 1].text != ",":
            ante, verb = t.head.head, t.head
            aux = [c for c in verb.children if c.dep_ in ("aux", "auxpass") and c.tag_ in ("VBZ", "VBP")]
            target = aux[0] if aux else verb
            if (ante.tag_ == "NNS" and target.tag_ == "VBZ") or (ante.tag_ == "NN" and ante.lower_ not in _PLUR_OK_NN
                                                                 and target.tag_ == "VBP" and target.lower_ != "am"):
                out.append(_finding(target, f"The verb '{target.text}' does not agree with '{ante.text}' ('{t.text}' refers to it)."))
        if low == "to" and nxt is not None and nxt.tag_ == "VB" and t.i >= 1 \
                and ((toks[t.i - 1].lemma_ in _GERUND_VERBS and toks[t.i - 1].pos_ == "VERB" and toks[t.i - 1].tag_ in ("VB", "VBP", "VBZ", "VBD"))
                     or (toks[t.i - 1].lower_ == "forward" and t.i >= 2 and toks[t.i - 2].lemma_ == "look")):
            out.append(_finding(nxt, f"After '{toks[t.i - 1].text} to' use the -ing form, not '{nxt.text}'.", [nxt.text + "ing"]))
        if low == "to" and nxt is not None and nxt.tag_ == "VB" and t.i >= 2 and toks[t.i - 2].lemma_ in ("let", "make") \
                and toks[t.i - 1].tag_ == "PRP" and toks[t.i - 2].pos_ == "VERB":
            out.append(_finding(t, f"No 'to' after '{toks[t.i - 2].text} {toks[t.i - 1].text}'."))
        if t.lemma_ in _TO_VERBS and t.pos_ == "VERB" and nxt is not None and nxt.tag_ == "VB" and nxt.dep_ in ("xcomp", "ccomp"):
            out.append(_finding(nxt, f"After '{t.text}' use 'to {nxt.text}'.", [f"to {nxt.text}"]))
        if low == "one" and nxt is not None and nxt.lower_ == "of":
            pobj = [c for c in nxt.children if c.dep_ == "pobj"]
            if pobj and pobj[0].tag_ == "NN" and pobj[0].lower_ not in _PLUR_OK_NN \
                    and (pobj[0].lower_ == "thing" or not _MASS_LIKE.search(pobj[0].lower_)) \
                    and any(c.dep_ in ("det", "poss") for c in pobj[0].children):
                out.append(_finding(pobj[0], f"After 'one of the' use a plural noun, not '{pobj[0].text}'."))
        if low in ("is", "was") and nxt is not None \
                and ((t.is_sent_start and (nxt.pos_ == "ADJ" or nxt.tag_ in ("VBG", "VBN")
                                           or (nxt.pos_ == "ADV" and t.i + 2 < n and toks[t.i + 2].pos_ == "ADJ")))
                     or (dep in ("ROOT", "advcl", "ccomp") and not any(c.dep_ in _SUBJECTS or c.lower_ in ("than", "as") for c in t.children)
                         and any(c.dep_ in ("attr", "acomp") for c in t.children)
                         and (t.is_sent_start or toks[t.i - 1].pos_ in ("CCONJ", "SCONJ") or toks[t.i - 1].lower_ == "because")
                         and toks[t.i - 1].lower_ not in ("as", "than", "whenever", "whatever", "what", "who", "which"))):
            sent_end = next((x for x in toks[t.i + 1:] if x.is_sent_start), None)
            last = toks[(sent_end.i if sent_end is not None else n) - 1]
            if last.text != "?":
                out.append(_finding(t, f"The clause has no subject: '{'it ' + low}' ...?", [f"it {low}"]))
    for m in _LEARNER_PHRASES.finditer(text):
        out.append(Finding(kind="grammar", message=f"Learner phrasing: '{m.group(0)}'.", text=m.group(0),
                           start=m.start(), end=m.end()))
    return out


@dataclass
class GrammarReport:
    errors: list[Finding]  # grammar errors (harper + own rules), deduplicated by span
    mechanics: list[Finding]
    fragments: list[Finding]
    run_ons: list[Finding]
    article_hints: list[Finding]


def check(text: str, doc: Any, linter: Any, harper: Optional[list[Finding]] = None,
          countable: frozenset = frozenset()) -> GrammarReport:
    """All grammar findings; `harper`: Harper's findings when already computed (e.g. in a thread);
    `countable`: the nouns of the missing-article rule (`vocabulary.load_countable`)."""
    if harper is None:
        harper = harper_findings(text, linter)
    own = _sva(doc) + _articles(doc) + learner_errors(doc, text, countable)
    frags, runons = _fragments_runons(doc)
    errors: list[Finding] = []
    taken: list[tuple[int, int]] = []
    for f in [x for x in harper if x.kind == "grammar"] + own:
        if any(f.start < e and s < f.end for s, e in taken):
            continue
        taken.append((f.start, f.end))
        errors.append(f)
    errors.sort(key=lambda f: f.start or 0)
    return GrammarReport(errors=errors, mechanics=[x for x in harper if x.kind == "mechanics"],
                         fragments=frags, run_ons=runons, article_hints=_article_hints(doc))
