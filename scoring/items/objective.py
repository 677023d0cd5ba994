"""Objective items: the 12 PTE Academic item types scored by rule against an answer key.

Rules (the catalogue's `rule` field says the same; docs/engine.md has examples for each):

- Fill in the blanks (RWFIB, RFIB, LFIB): one point per blank. `item.answer_key` is a list, one
  entry per blank; an entry is the accepted word or a list of accepted alternatives (e.g. British
  and American spellings). `response.answer` is a list of strings of the same length ("" = left
  empty). Reading blanks (RWFIB, RFIB): exact match after trimming and collapsing whitespace,
  case-insensitive. Listening blanks (LFIB): the word must be spelled exactly; case is ignored
  (a typed capital is not a spelling error, and Pearson scores spelling, not capitalisation),
  as are punctuation marks around the word ("economy." = "economy"). Where `item.options` is given
  (RWFIB: one list of choices per blank; RFIB: one word bank), an answer outside it is refused.
- Multiple choice, multiple answers (MCMA-R, MCMA-L): +1 per correct option chosen, -1 per
  incorrect option chosen, floor 0; max = number of correct options. `response.answer` is a list.
- Single answer (MCSA-R, MCSA-L, HCS, SMW): 1 for the correct option, else 0; `response.answer` is
  one option (or a list of at most one; [] = nothing chosen).
- Options are named by a 0-based index (int) or a string: an option's `id` (options given as
  objects `{"id", "text"}`), else an option's text, else a letter "A", "B", ... by position. Without
  `item.options` answers are compared with the key as trimmed, case-folded strings.
- Re-order paragraphs: one point per adjacent pair of the learner's order that is also adjacent, in
  that order, in the key (max n-1). `item.answer_key` is the paragraph ids in the right order;
  `response.answer` lists ids in the learner's order (a subset is allowed: paragraphs left out
  simply form no pairs).
- Highlight incorrect words: +1 per correctly highlighted word, -1 per wrong highlight, floor 0;
  max = number of incorrect words. `item.answer_key` holds either 0-based word indices into the
  transcript shown (`item.source_text`, tokenised by `scoring.text.tokens`) or the incorrect words
  themselves; `response.answer` must use the same kind. Indices are exact; words are matched
  case-insensitively as a multiset (a word appearing twice counts twice).
- Write from dictation: one point per word of `item.reference_text` that appears, correctly spelled,
  in `response.text`; max = number of reference words (`scoring.text.count_words`). Matching is
  case-insensitive, punctuation is ignored, each reference word is matched at most once and
  repeated words count by multiplicity (score = sum over words of min(count in reference, count in
  response)). Word order does NOT change the score: Pearson's rule names only correct, correctly
  spelled words, and an order-free match keeps the rule monotone (writing one more word never costs
  a point). Extra words do not subtract; a plural or other changed form is a different word (no
  point, reported as a word-form finding). For the evidence the words are first aligned in order
  (longest common subsequence), then the rest matched order-free and flagged `in_order: false`.
"""
from __future__ import annotations

import re
from collections import Counter
from typing import Any, Optional

from scoring.models import InvalidSubmission, Finding, Submission, TraitResult
from scoring.registry import ItemScore, Resources, scorer
from scoring.text import Token, count_words, normalize_word, tokens

_SPACE_RE = re.compile(r"\s+")
_EDGE_PUNCT_RE = re.compile(r"^[^\w']+|[^\w']+$")


def _plural(n: int, word: str) -> str:
    return f"{n} {word}" if n == 1 else f"{n} {word}s"


def _content(score: int, max_: int, evidence: dict[str, Any], feedback: str) -> ItemScore:
    return ItemScore(traits={"content": TraitResult(score=score, max=max_, evidence=evidence, feedback=feedback)})


def _is_answer_value(v: Any) -> bool:
    return isinstance(v, (str, int)) and not isinstance(v, bool)


# --------------------------------------------------------------------------------------------
# options

class _Options:
    """Resolves answers and key entries to canonical option keys (an index, or a folded string)."""

    def __init__(self, options: Optional[list[Any]]):
        self.raw = options
        self._display: dict[str, str] = {}  # folded answer -> as first written (the key's spelling wins)
        self.ids: list[Optional[str]] = []
        self.texts: list[Optional[str]] = []
        for i, opt in enumerate(options or []):
            if isinstance(opt, dict):
                oid, text = opt.get("id"), opt.get("text")
                if oid is not None and not _is_answer_value(oid):
                    raise InvalidSubmission.one(f"item.options.{i}.id", "must be a string or an integer")
                self.ids.append(None if oid is None else str(oid).strip().casefold())
                self.texts.append(text.strip().casefold() if isinstance(text, str) else None)
            elif isinstance(opt, (str, int)) and not isinstance(opt, bool):
                self.ids.append(None)
                self.texts.append(str(opt).strip().casefold())
            else:
                raise InvalidSubmission.one(f"item.options.{i}", "an option is a string or an object {id, text}")

    @property
    def present(self) -> bool:
        return bool(self.raw)

    def resolve(self, value: Any, field: str) -> Any:
        if not _is_answer_value(value):
            raise InvalidSubmission.one(field, "must be an option id (string) or a 0-based option index (integer)")
        if not self.present:
            folded = str(value).strip().casefold()
            self._display.setdefault(folded, str(value).strip())
            return folded
        n = len(self.raw)
        if isinstance(value, int):
            if 0 <= value < n:
                return value
            raise InvalidSubmission.one(field, f"option index {value} is out of range (the item has {n} options)")
        s = value.strip().casefold()
        for i, oid in enumerate(self.ids):
            if oid is not None and oid == s:
                return i
        for i, text in enumerate(self.texts):
            if text is not None and text == s:
                return i
        if len(s) == 1 and "a" <= s <= "z" and ord(s) - ord("a") < n and not any(self.ids):
            return ord(s) - ord("a")
        raise InvalidSubmission.one(field, f"unknown option {value!r}")

    def label(self, key: Any) -> str:
        """How an option is named in evidence and feedback: its id, else its letter (A = first)."""
        if isinstance(key, int) and self.present:
            opt = self.raw[key]
            if isinstance(opt, dict) and opt.get("id") is not None:
                return str(opt["id"])
            return chr(ord("A") + key) if key < 26 else str(key)
        return self._display.get(key, str(key))

    def text(self, key: Any) -> Optional[str]:
        if isinstance(key, int) and self.present:
            opt = self.raw[key]
            return opt.get("text") if isinstance(opt, dict) else str(opt)
        return None


def _answer_list(sub: Submission, what: str) -> list[Any]:
    ans = sub.response.answer
    if ans is None:
        raise InvalidSubmission.one("response.answer", f"required: {what}")
    if not isinstance(ans, list):
        raise InvalidSubmission.one("response.answer", f"must be a list: {what}")
    return ans


def _key_list(sub: Submission, what: str, min_len: int = 1) -> list[Any]:
    key = sub.item.answer_key
    if not isinstance(key, list) or len(key) < min_len:
        raise InvalidSubmission.one("item.answer_key", f"must be a list of at least {min_len}: {what}")
    return key


def _no_duplicates(keys: list[Any], field: str) -> None:
    seen: set = set()
    for i, k in enumerate(keys):
        if k in seen:
            raise InvalidSubmission.one(f"{field}.{i}", "listed twice")
        seen.add(k)


# --------------------------------------------------------------------------------------------
# multiple choice

@scorer("multiple_choice_single_reading", "multiple_choice_single_listening",
        "highlight_correct_summary", "select_missing_word")
def score_single_answer(sub: Submission, resources: Resources) -> ItemScore:
    opts = _Options(sub.item.options)
    key = sub.item.answer_key
    if isinstance(key, list):
        if len(key) != 1:
            raise InvalidSubmission.one("item.answer_key", "a single-answer item has exactly one correct option")
        correct = opts.resolve(key[0], "item.answer_key.0")
    else:
        correct = opts.resolve(key, "item.answer_key")
    ans = sub.response.answer
    if ans is None:
        raise InvalidSubmission.one("response.answer", "required: the chosen option ([] if none was chosen)")
    if isinstance(ans, list):
        if len(ans) > 1:
            raise InvalidSubmission.one("response.answer", "choose one option only")
        chosen = opts.resolve(ans[0], "response.answer.0") if ans else None
    else:
        chosen = opts.resolve(ans, "response.answer")
    ok = chosen is not None and chosen == correct
    evidence: dict[str, Any] = {
        "chosen": None if chosen is None else opts.label(chosen),
        "correct_option": opts.label(correct),
        "correct": ok,
        "options": _option_rows(opts, {correct}, set() if chosen is None else {chosen}, penalty=0),
        "findings": [],
    }
    if ok:
        feedback = "Correct: you chose the right option."
    elif chosen is None:
        feedback = f"No option was chosen; the correct option is {opts.label(correct)}."
        evidence["findings"].append(Finding(kind="no_answer", message=feedback, suggestions=[opts.label(correct)]).model_dump())
    else:
        feedback = f"Incorrect: you chose {opts.label(chosen)}; the correct option is {opts.label(correct)}."
        evidence["findings"].append(Finding(kind="wrong_option", message=feedback, text=opts.label(chosen),
                                            suggestions=[opts.label(correct)]).model_dump())
    return _content(int(ok), 1, evidence, feedback)


def _option_rows(opts: _Options, correct: set, chosen: set, penalty: int = -1) -> list[dict[str, Any]]:
    keys = list(range(len(opts.raw))) if opts.present else sorted(correct | chosen, key=str)
    rows = []
    for k in keys:
        is_correct, is_chosen = k in correct, k in chosen
        rows.append({"option": opts.label(k), "text": opts.text(k), "correct_option": is_correct, "chosen": is_chosen,
                     "points": (1 if is_correct else penalty) if is_chosen else 0})
    return rows


@scorer("multiple_choice_multiple_reading", "multiple_choice_multiple_listening")
def score_multiple_answers(sub: Submission, resources: Resources) -> ItemScore:
    opts = _Options(sub.item.options)
    key = [opts.resolve(v, f"item.answer_key.{i}") for i, v in enumerate(_key_list(sub, "the correct options"))]
    _no_duplicates(key, "item.answer_key")
    ans = [opts.resolve(v, f"response.answer.{i}")
           for i, v in enumerate(_answer_list(sub, "the chosen options ([] if none)"))]
    _no_duplicates(ans, "response.answer")
    correct, chosen = set(key), set(ans)
    hits, wrong = len(chosen & correct), len(chosen - correct)
    score = max(0, hits - wrong)
    missed = [opts.label(k) for k in key if k not in chosen]
    findings = [Finding(kind="wrong_option", message=f"Option {opts.label(k)} is not correct (-1).",
                        text=opts.label(k)).model_dump() for k in ans if k not in correct]
    findings += [Finding(kind="missed_option", message=f"Option {label} is also correct.",
                         suggestions=[label]).model_dump() for label in missed]
    evidence = {"correct_chosen": hits, "incorrect_chosen": wrong, "missed": missed,
                "options": _option_rows(opts, correct, chosen), "findings": findings}
    feedback = (f"{_plural(hits, 'correct option')} chosen (+{hits}), {_plural(wrong, 'incorrect option')} "
                f"chosen (-{wrong}): {score} of {len(key)}.")
    if missed:
        feedback += " Also correct: " + ", ".join(missed) + "."
    return _content(score, len(key), evidence, feedback)


# --------------------------------------------------------------------------------------------
# fill in the blanks

def _norm_reading(s: str) -> str:
    return _SPACE_RE.sub(" ", s.strip()).casefold()


def _norm_listening(s: str) -> str:
    return _EDGE_PUNCT_RE.sub("", _SPACE_RE.sub(" ", s.strip())).replace("’", "'").casefold()


def _blank_key(sub: Submission) -> list[list[str]]:
    out = []
    for i, entry in enumerate(_key_list(sub, "one entry per blank")):
        alts = entry if isinstance(entry, list) else [entry]
        if not alts:
            raise InvalidSubmission.one(f"item.answer_key.{i}", "needs at least one accepted answer")
        for j, a in enumerate(alts):
            if not isinstance(a, str) or not a.strip():
                field = f"item.answer_key.{i}.{j}" if isinstance(entry, list) else f"item.answer_key.{i}"
                raise InvalidSubmission.one(field, "an accepted answer is a non-empty string")
        out.append(list(alts))
    return out


def _blank_answers(sub: Submission, n: int) -> list[str]:
    ans = _answer_list(sub, f"one string per blank ({n})")
    if len(ans) != n:
        raise InvalidSubmission.one("response.answer", f"expected {n} blanks, got {len(ans)}")
    out = []
    for i, a in enumerate(ans):
        if isinstance(a, bool) or not isinstance(a, (str, int)):
            raise InvalidSubmission.one(f"response.answer.{i}", "must be a string")
        out.append(str(a))
    return out


def _blank_choices(sub: Submission, n: int, norm) -> Optional[list[Optional[set[str]]]]:
    """Per-blank sets of allowed answers from item.options (a list per blank, or one word bank)."""
    options = sub.item.options
    if not options:
        return None
    if all(isinstance(o, list) for o in options):
        if len(options) != n:
            raise InvalidSubmission.one("item.options", f"expected one list of choices per blank ({n}), got {len(options)}")
        return [{norm(str(c)) for c in o} for o in options]
    if all(isinstance(o, str) for o in options):
        bank = {norm(o) for o in options}
        return [bank] * n
    raise InvalidSubmission.one("item.options", "a list of choices per blank, or one word bank (list of strings)")


def _near(a: str, b: str) -> bool:
    """A likely misspelling: small edit distance relative to the expected word's length."""
    return a != b and _levenshtein(a, b) <= max(1, len(b) // 4)


def _word_form(a: str, b: str) -> bool:
    """The same word in another form: plural/singular, tense or -ly/-er/-est ending."""
    if a == b:
        return False
    for x, y in ((a, b), (b, a)):
        if x in (y + "s", y + "es", y + "d", y + "ed", y + "ing", y + "ly", y + "er", y + "est",
                  y[:-1] + "ies", y[:-1] + "ied"):
            return True
    return False


def _levenshtein(a: str, b: str) -> int:
    if len(a) < len(b):
        a, b = b, a
    prev = list(range(len(b) + 1))
    for i, ca in enumerate(a, 1):
        cur = [i]
        for j, cb in enumerate(b, 1):
            cur.append(min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + (ca != cb)))
        prev = cur
    return prev[-1]


def _score_blanks(sub: Submission, listening: bool) -> ItemScore:
    norm = _norm_listening if listening else _norm_reading
    key = _blank_key(sub)
    answers = _blank_answers(sub, len(key))
    choices = _blank_choices(sub, len(key), norm)
    if choices is not None:
        for i, alts in enumerate(key):
            if not any(norm(a) in choices[i] for a in alts):
                raise InvalidSubmission.one(f"item.answer_key.{i}", "no accepted answer is among the item's options")
    blanks, findings, wrong = [], [], []
    for i, (given, alts) in enumerate(zip(answers, key)):
        g = norm(given)
        if choices is not None and g and g not in choices[i]:
            raise InvalidSubmission.one(f"response.answer.{i}", f"{given!r} is not one of the options for blank {i + 1}")
        accepted = {norm(a) for a in alts}
        ok = g in accepted
        if ok:
            status = "correct"
        elif not g:
            status = "empty"
        elif listening and any(_near(g, a) for a in accepted):
            status = "misspelled"
        elif any(_word_form(g, a) for a in accepted):
            status = "word_form"
        else:
            status = "wrong"
        blanks.append({"blank": i + 1, "field": f"response.answer.{i}", "answer": given, "accepted": alts,
                       "correct": ok, "status": status})
        if not ok:
            wrong.append(i + 1)
            msg = {"empty": f"Blank {i + 1} was left empty.",
                   "misspelled": f"Blank {i + 1}: '{given}' is misspelled.",
                   "word_form": f"Blank {i + 1}: '{given}' is the wrong form of the word.",
                   "wrong": f"Blank {i + 1}: '{given}' is not correct."}[status]
            kind = {"empty": "empty_blank", "misspelled": "spelling", "word_form": "word_form", "wrong": "wrong_word"}
            findings.append(Finding(kind=kind[status], message=msg, text=given or None, suggestions=list(alts)).model_dump())
    score = len(key) - len(wrong)
    feedback = f"{score} of {len(key)} blanks correct."
    if wrong:
        feedback += " Check blank" + ("s " if len(wrong) > 1 else " ") + ", ".join(map(str, wrong)) + "."
        if listening and any(b["status"] == "misspelled" for b in blanks):
            feedback += " Spelling must be exact."
    rule = ("exact spelling, case and surrounding punctuation ignored" if listening
            else "exact match after trimming, case-insensitive")
    return _content(score, len(key), {"blanks": blanks, "rule": rule, "findings": findings}, feedback)


@scorer("reading_writing_fill_blanks", "reading_fill_blanks")
def score_reading_blanks(sub: Submission, resources: Resources) -> ItemScore:
    return _score_blanks(sub, listening=False)


@scorer("listening_fill_blanks")
def score_listening_blanks(sub: Submission, resources: Resources) -> ItemScore:
    return _score_blanks(sub, listening=True)


# --------------------------------------------------------------------------------------------
# re-order paragraphs

@scorer("reorder_paragraphs")
def score_reorder(sub: Submission, resources: Resources) -> ItemScore:
    opts = _Options(sub.item.options)
    raw_key = _key_list(sub, "the paragraph ids in the right order", min_len=2)
    key = [opts.resolve(v, f"item.answer_key.{i}") for i, v in enumerate(raw_key)]
    _no_duplicates(key, "item.answer_key")
    known = set(key)
    ans = []
    for i, v in enumerate(_answer_list(sub, "the paragraph ids in your order")):
        k = opts.resolve(v, f"response.answer.{i}")
        if k not in known:
            raise InvalidSubmission.one(f"response.answer.{i}", f"unknown paragraph {v!r}")
        ans.append(k)
    _no_duplicates(ans, "response.answer")
    key_pairs = set(zip(key, key[1:]))
    pairs = [{"pair": [opts.label(a), opts.label(b)], "correct": (a, b) in key_pairs} for a, b in zip(ans, ans[1:])]
    score = sum(p["correct"] for p in pairs)
    max_ = len(key) - 1
    found = {(a, b) for a, b in zip(ans, ans[1:])}
    missed = [[opts.label(a), opts.label(b)] for a, b in zip(key, key[1:]) if (a, b) not in found]
    findings = [Finding(kind="wrong_pair", message=f"{p['pair'][0]} should not be followed by {p['pair'][1]}.",
                        text=f"{p['pair'][0]}-{p['pair'][1]}").model_dump() for p in pairs if not p["correct"]]
    evidence = {"order": [opts.label(k) for k in ans], "expected_order": [opts.label(k) for k in key],
                "pairs": pairs, "missed_pairs": missed, "findings": findings}
    feedback = f"{score} of {max_} adjacent pairs in the right order."
    if missed:
        feedback += " Missed: " + ", ".join(f"{a} then {b}" for a, b in missed) + "."
    return _content(score, max_, evidence, feedback)


# --------------------------------------------------------------------------------------------
# highlight incorrect words

@scorer("highlight_incorrect_words")
def score_highlight_incorrect_words(sub: Submission, resources: Resources) -> ItemScore:
    key = _key_list(sub, "the incorrect words (0-based word indices into item.source_text, or the words)")
    by_index = all(isinstance(k, int) and not isinstance(k, bool) for k in key)
    if not by_index and not all(isinstance(k, str) for k in key):
        raise InvalidSubmission.one("item.answer_key", "use word indices (integers) or words (strings), not a mix")
    transcript = tokens(sub.item.source_text) if sub.item.source_text else None
    answers = _answer_list(sub, "the highlighted words ([] if none)")
    kind = "integer word index" if by_index else "word"
    for i, a in enumerate(answers):
        if isinstance(a, bool) or not isinstance(a, int if by_index else str):
            raise InvalidSubmission.one(f"response.answer.{i}", f"must be a {kind}, as in item.answer_key")

    if by_index:
        for i, k in enumerate(key):
            if k < 0 or (transcript is not None and k >= len(transcript)):
                raise InvalidSubmission.one(f"item.answer_key.{i}", f"word index {k} is outside the transcript")
        _no_duplicates(key, "item.answer_key")
        for i, a in enumerate(answers):
            if a < 0 or (transcript is not None and a >= len(transcript)):
                raise InvalidSubmission.one(f"response.answer.{i}", f"word index {a} is outside the transcript")
        _no_duplicates(answers, "response.answer")
        correct = set(key)
        rows = [{"index": a, "word": transcript[a].text if transcript else None,
                 "start": transcript[a].start if transcript else None,
                 "end": transcript[a].end if transcript else None, "correct": a in correct} for a in answers]
        missed_keys = [k for k in key if k not in set(answers)]
        missed = [{"index": k, "word": transcript[k].text if transcript else None} for k in missed_keys]
    else:
        norm = lambda w: _norm_listening(w)  # noqa: E731
        if transcript is not None:
            words = {t.norm for t in transcript}
            for field, vals in (("item.answer_key", key), ("response.answer", answers)):
                for i, w in enumerate(vals):
                    if norm(w) not in words:
                        raise InvalidSubmission.one(f"{field}.{i}", f"{w!r} is not a word of item.source_text")
        remaining = Counter(norm(k) for k in key)
        unplaced = list(range(len(transcript))) if transcript is not None else []
        rows = []
        for a in answers:
            ok = remaining[norm(a)] > 0
            if ok:
                remaining[norm(a)] -= 1
            # spans: the first occurrence in the transcript not yet used by an earlier highlight
            at = next((j for j in unplaced if transcript[j].norm == norm(a)), None)
            if at is not None:
                unplaced.remove(at)
            tok = transcript[at] if at is not None else None
            rows.append({"index": at, "word": a, "start": tok.start if tok else None,
                         "end": tok.end if tok else None, "correct": ok})
        missed = [{"index": None, "word": w} for w, c in remaining.items() for _ in range(c)]
    hits = sum(r["correct"] for r in rows)
    wrong = len(rows) - hits
    score = max(0, hits - wrong)
    findings = [Finding(kind="wrong_highlight", message=f"'{r['word'] or r['index']}' was not an incorrect word (-1).",
                        text=r["word"], start=r["start"], end=r["end"]).model_dump() for r in rows if not r["correct"]]
    findings += [Finding(kind="missed_highlight", message=f"'{m['word'] or m['index']}' was an incorrect word.",
                         text=m["word"]).model_dump() for m in missed]
    evidence = {"highlights": rows, "missed": missed, "correct_highlights": hits, "wrong_highlights": wrong,
                "findings": findings, "spans_in": "item.source_text" if transcript is not None else None}
    feedback = (f"{_plural(hits, 'correct highlight')} (+{hits}), {_plural(wrong, 'wrong highlight')} (-{wrong}): "
                f"{score} of {len(key)}.")
    if missed:
        feedback += f" {_plural(len(missed), 'incorrect word')} not highlighted."
    return _content(score, len(key), evidence, feedback)


# --------------------------------------------------------------------------------------------
# write from dictation

_MAX_LCS_CELLS = 250_000  # e.g. a 50-word reference against a 5,000-word response
_MAX_NEAR_PAIRS = 50_000


def _lcs_pairs(a: list[str], b: list[str]) -> list[tuple[int, int]]:
    """Index pairs of one longest common subsequence of a and b."""
    n, m = len(a), len(b)
    dp = [[0] * (m + 1) for _ in range(n + 1)]
    for i in range(n - 1, -1, -1):
        for j in range(m - 1, -1, -1):
            dp[i][j] = dp[i + 1][j + 1] + 1 if a[i] == b[j] else max(dp[i + 1][j], dp[i][j + 1])
    pairs, i, j = [], 0, 0
    while i < n and j < m:
        if a[i] == b[j]:
            pairs.append((i, j))
            i, j = i + 1, j + 1
        elif dp[i + 1][j] >= dp[i][j + 1]:
            i += 1
        else:
            j += 1
    return pairs


def _wfd_norm(t: Token) -> str:
    return normalize_word(t.text)


def align_dictation(reference: str, response: str) -> dict[str, Any]:
    """Match the response's words to the reference words (see the module docstring for the rule)."""
    ref, resp = tokens(reference), tokens(response)
    rn, pn = [_wfd_norm(t) for t in ref], [_wfd_norm(t) for t in resp]
    match: dict[int, int] = {}  # reference index -> response index
    in_order: set[int] = set()
    if len(rn) * len(pn) <= _MAX_LCS_CELLS:  # the in-order alignment is evidence only; bound its cost
        for i, j in _lcs_pairs(rn, pn):
            match[i] = j
            in_order.add(i)
    used = set(match.values())
    free: dict[str, list[int]] = {}  # order-free: the rest, each response word used at most once
    for j, v in enumerate(pn):
        if j not in used:
            free.setdefault(v, []).append(j)
    for i, w in enumerate(rn):
        if i not in match and free.get(w):
            match[i] = free[w].pop(0)
            used.add(match[i])
    near: dict[int, tuple[int, str]] = {}  # reference index -> (response index, status)
    left_ref = [i for i in range(len(rn)) if i not in match]
    left_resp = [j for j in range(len(pn)) if j not in used]
    if len(left_ref) * len(left_resp) <= _MAX_NEAR_PAIRS:
        for i in left_ref:
            w, best = rn[i], None
            for j in left_resp:
                if j in used:
                    continue
                v = pn[j]
                status = "word_form" if _word_form(v, w) else "misspelled" if _near(v, w) else None
                if status and (best is None or abs(j - i) < abs(best[0] - i)):
                    best = (j, status)
            if best:
                near[i] = best
                used.add(best[0])
    rows = []
    for i, t in enumerate(ref):
        if i in match:
            r = resp[match[i]]
            rows.append({"expected": t.text, "status": "matched", "response": r.text, "start": r.start, "end": r.end,
                         "in_order": i in in_order})
        elif i in near:
            j, status = near[i]
            r = resp[j]
            rows.append({"expected": t.text, "status": status, "response": r.text, "start": r.start, "end": r.end,
                         "in_order": None})
        else:
            rows.append({"expected": t.text, "status": "missing", "response": None, "start": None, "end": None,
                         "in_order": None})
    extra = [{"response": r.text, "start": r.start, "end": r.end} for j, r in enumerate(resp) if j not in used]
    return {"alignment": rows, "extra": extra, "matched": len(match), "reference_words": len(ref),
            "response_words": len(resp)}


@scorer("write_from_dictation")
def score_write_from_dictation(sub: Submission, resources: Resources) -> ItemScore:
    reference = sub.item.reference_text or ""
    max_ = count_words(reference)
    if max_ == 0:
        raise InvalidSubmission.one("item.reference_text", "has no words")
    if sub.response.text is None:
        raise InvalidSubmission.one("response.text", "required: the sentence as typed")
    a = align_dictation(reference, sub.response.text)
    findings = []
    for row in a["alignment"]:
        if row["status"] == "missing":
            findings.append(Finding(kind="missing_word", message=f"Missing word: '{row['expected']}'.",
                                    suggestions=[row["expected"]]))
        elif row["status"] == "misspelled":
            findings.append(Finding(kind="spelling", message=f"'{row['response']}' should be spelled '{row['expected']}'.",
                                    text=row["response"], start=row["start"], end=row["end"], suggestions=[row["expected"]]))
        elif row["status"] == "word_form":
            findings.append(Finding(kind="word_form", message=f"'{row['response']}' should be '{row['expected']}'.",
                                    text=row["response"], start=row["start"], end=row["end"], suggestions=[row["expected"]]))
    for e in a["extra"]:
        findings.append(Finding(kind="extra_word", message=f"'{e['response']}' is not in the sentence (no penalty).",
                                text=e["response"], start=e["start"], end=e["end"]))
    score = a["matched"]
    counts = Counter(r["status"] for r in a["alignment"])
    out_of_order = sum(1 for r in a["alignment"] if r["status"] == "matched" and not r["in_order"])
    feedback = f"{score} of {max_} words correct."
    parts = []
    if counts["missing"]:
        parts.append(_plural(counts["missing"], "missing word"))
    if counts["misspelled"]:
        parts.append(_plural(counts["misspelled"], "misspelled word"))
    if counts["word_form"]:
        parts.append(_plural(counts["word_form"], "word") + " in the wrong form")
    if parts:
        feedback += " " + ", ".join(parts).capitalize() + "."
    if out_of_order:
        feedback += f" {_plural(out_of_order, 'word')} out of order (still counted)."
    evidence = {**a, "out_of_order": out_of_order,
                "rule": "case-insensitive, punctuation ignored, each reference word matched once, order-free, "
                        "extra words not penalised",
                "findings": [f.model_dump() for f in findings]}
    return _content(score, max_, evidence, feedback)
