"""Property tests for the objective rules: bounds, monotonicity, perfect answer = max."""
from hypothesis import given, settings, strategies as st

from scoring.engine import Engine

ENGINE = Engine()
LETTERS = "ABCDEFG"
VOCAB = ["the", "river", "flows", "into", "sea", "and", "students", "study", "data", "every", "day", "a",
         "reserch", "research", "cities", "city"]


def score(item_type, item, answer=None, text=None):
    response = {"text": text} if text is not None else {"answer": answer}
    r = ENGINE.score({"item_type": item_type, "response": response, "item": item})
    assert 0 <= r.score <= r.max_score
    assert r.score == r.traits["content"].score
    return r.score, r.max_score


@st.composite
def mcma(draw):
    n = draw(st.integers(2, 7))
    opts = list(LETTERS[:n])
    key = draw(st.lists(st.sampled_from(opts), min_size=1, max_size=n, unique=True))
    chosen = draw(st.lists(st.sampled_from(opts), max_size=n, unique=True))
    kind = draw(st.sampled_from(["multiple_choice_multiple_reading", "multiple_choice_multiple_listening"]))
    return kind, opts, key, chosen


@given(mcma())
@settings(max_examples=150, deadline=None)
def test_mcma_properties(case):
    kind, opts, key, chosen = case
    item = {"answer_key": key, "options": opts}
    s, m = score(kind, item, chosen)
    assert m == len(key)
    assert score(kind, item, key) == (m, m)
    assert s == max(0, len(set(chosen) & set(key)) - len(set(chosen) - set(key)))
    for k in key:
        if k not in chosen:
            assert score(kind, item, chosen + [k])[0] >= s  # adding a correct option never lowers
    for c in chosen:
        if c not in key:
            assert score(kind, item, [x for x in chosen if x != c])[0] >= s  # removing a wrong one never lowers


@given(st.integers(2, 5), st.data())
@settings(max_examples=80, deadline=None)
def test_single_answer_properties(n, data):
    opts = [f"option {i}" for i in range(n)]
    key = data.draw(st.integers(0, n - 1))
    chosen = data.draw(st.integers(0, n - 1))
    kind = data.draw(st.sampled_from(["multiple_choice_single_reading", "multiple_choice_single_listening",
                                      "highlight_correct_summary", "select_missing_word"]))
    assert score(kind, {"answer_key": key, "options": opts}, chosen) == (int(chosen == key), 1)


@st.composite
def blanks(draw):
    n = draw(st.integers(1, 6))
    key = draw(st.lists(st.sampled_from(VOCAB), min_size=n, max_size=n))
    answers = draw(st.lists(st.sampled_from(VOCAB + [""]), min_size=n, max_size=n))
    kind = draw(st.sampled_from(["reading_writing_fill_blanks", "reading_fill_blanks", "listening_fill_blanks"]))
    return kind, key, answers


@given(blanks())
@settings(max_examples=150, deadline=None)
def test_blank_properties(case):
    kind, key, answers = case
    item = {"answer_key": key}
    s, m = score(kind, item, answers)
    assert m == len(key)
    assert s == sum(a == k for a, k in zip(answers, key))
    assert score(kind, item, [k.upper() for k in key]) == (m, m)
    for i in range(len(key)):  # correcting one blank never lowers the score
        fixed = answers[:i] + [key[i]] + answers[i + 1:]
        assert score(kind, item, fixed)[0] >= s


@given(st.permutations(list("ABCDEF")), st.integers(2, 6))
@settings(max_examples=150, deadline=None)
def test_reorder_properties(perm, n):
    key = list("ABCDEF")[:n]
    order = [p for p in perm if p in key]
    s, m = score("reorder_paragraphs", {"answer_key": key}, order)
    assert m == n - 1
    assert (s == m) == (order == key)
    assert score("reorder_paragraphs", {"answer_key": key}, key) == (m, m)
    assert score("reorder_paragraphs", {"answer_key": key}, key[::-1])[0] == 0
    assert s == sum((a, b) in set(zip(key, key[1:])) for a, b in zip(order, order[1:]))


@st.composite
def hiw(draw):
    n = draw(st.integers(3, 12))
    key = draw(st.lists(st.integers(0, n - 1), min_size=1, max_size=n, unique=True))
    chosen = draw(st.lists(st.integers(0, n - 1), max_size=n, unique=True))
    return " ".join(draw(st.lists(st.sampled_from(VOCAB), min_size=n, max_size=n))), key, chosen


@given(hiw())
@settings(max_examples=150, deadline=None)
def test_hiw_properties(case):
    text, key, chosen = case
    item = {"answer_key": key, "source_text": text}
    s, m = score("highlight_incorrect_words", item, chosen)
    assert m == len(key)
    assert score("highlight_incorrect_words", item, key) == (m, m)
    for k in key:
        if k not in chosen:
            assert score("highlight_incorrect_words", item, chosen + [k])[0] >= s
    for c in chosen:
        if c not in key:
            assert score("highlight_incorrect_words", item, [x for x in chosen if x != c])[0] >= s


@given(st.lists(st.sampled_from(VOCAB), min_size=1, max_size=12), st.lists(st.sampled_from(VOCAB), max_size=15),
       st.sampled_from(VOCAB), st.randoms(use_true_random=False))
@settings(max_examples=150, deadline=None)
def test_wfd_properties(ref_words, resp_words, extra, rnd):
    ref = " ".join(ref_words).capitalize() + "."
    item = {"reference_text": ref}
    s, m = score("write_from_dictation", item, text=" ".join(resp_words))
    assert m == len(ref_words)
    assert score("write_from_dictation", item, text=ref) == (m, m)
    shuffled = ref_words[:]
    rnd.shuffle(shuffled)
    assert score("write_from_dictation", item, text=" ".join(shuffled).upper()) == (m, m)  # order-free, case-free
    for pos in (0, len(resp_words)):  # one more word, anywhere, never lowers the score
        more = resp_words[:pos] + [extra] + resp_words[pos:]
        assert score("write_from_dictation", item, text=" ".join(more))[0] >= s
