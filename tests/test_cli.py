"""The `pte-score` console script, run for real in a subprocess."""
import json
import subprocess
import sys
from pathlib import Path

import pytest

from scoring.catalogue import CATALOGUE
from scoring.cli import render_item_table, run_batch

SCRIPT = Path(sys.executable).parent / "pte-score"

GOOD_WFD = {"item_type": "write_from_dictation", "response": {"text": "students have to submit their work"},
            "item": {"reference_text": "Students have to submit their work on time."}}
GOOD_SMW = {"item_type": "select_missing_word", "response": {"answer": "B"},
            "item": {"answer_key": "B", "options": ["up", "down", "sideways"]}}
BAD_OPTION = {"item_type": "multiple_choice_multiple_reading", "response": {"answer": ["A", "Q"]},
              "item": {"answer_key": ["A"], "options": ["x", "y", "z"]}}
BAD_TYPE = {"item_type": "reorder_paragraphs", "response": {"answer": "ABC"}, "item": {"answer_key": ["A", "B", "C"]}}
GOOD_RO = {"item_type": "reorder_paragraphs", "response": {"answer": ["A", "C", "B"]}, "item": {"answer_key": ["A", "B", "C"]}}


def pte(*args, stdin=None):
    assert SCRIPT.exists(), "console script missing: run `python_modules/bin/pip install --no-deps -e .`"
    return subprocess.run([str(SCRIPT), *args], input=stdin, capture_output=True, text=True, timeout=120)


def test_batch_file_in_order_with_error_objects(tmp_path):
    lines = [json.dumps(GOOD_WFD), "{not json", json.dumps(BAD_OPTION), "", json.dumps(GOOD_SMW),
             json.dumps(BAD_TYPE), json.dumps({"item_type": "select_missing_word"}), json.dumps(GOOD_RO), "[1, 2]"]
    path = tmp_path / "in.jsonl"
    path.write_text("\n".join(lines) + "\n")
    p = pte("batch", str(path))
    assert p.returncode == 1  # some lines were errors
    out = [json.loads(x) for x in p.stdout.splitlines()]
    assert len(out) == len(lines)
    assert out[0]["item_type"] == "write_from_dictation" and (out[0]["score"], out[0]["max_score"]) == (6, 8)
    assert out[1]["line"] == 2 and out[1]["errors"][0]["field"] == "body" and "invalid JSON" in out[1]["error"]
    assert out[2] == {"line": 3, "error": "response.answer.1: unknown option 'Q'",
                      "errors": [{"field": "response.answer.1", "message": "unknown option 'Q'"}]}
    assert out[3]["line"] == 4 and out[3]["errors"][0]["message"] == "empty line"
    assert out[4]["item_type"] == "select_missing_word" and out[4]["score"] == 1
    assert out[5]["line"] == 6 and out[5]["errors"][0]["field"] == "response.answer"
    assert out[6]["line"] == 7 and out[6]["errors"][0]["field"] == "response"
    assert out[7]["item_type"] == "reorder_paragraphs" and out[7]["score"] == 0 and out[7]["max_score"] == 2
    assert out[8]["line"] == 9 and out[8]["errors"][0]["field"] == "body"
    assert "3 scored, 6 errors" in p.stderr


def test_batch_stdin_all_good_exit_zero():
    p = pte("batch", "-", stdin=json.dumps(GOOD_SMW) + "\n" + json.dumps(GOOD_RO) + "\n")
    assert p.returncode == 0, p.stderr
    out = [json.loads(x) for x in p.stdout.splitlines()]
    assert [o["item_type"] for o in out] == ["select_missing_word", "reorder_paragraphs"]
    assert out[0]["traits"]["content"]["feedback"].startswith("Correct")


def test_batch_missing_file_is_a_usage_error(tmp_path):
    p = pte("batch", str(tmp_path / "nope.jsonl"))
    assert p.returncode == 2 and "nope.jsonl" in p.stderr


def test_score_one_submission():
    p = pte("score", stdin=json.dumps(GOOD_WFD))
    assert p.returncode == 0, p.stderr
    r = json.loads(p.stdout)
    assert r["score"] == 6 and r["traits"]["content"]["evidence"]["reference_words"] == 8
    p = pte("score", stdin=json.dumps(BAD_OPTION))
    assert p.returncode == 1 and json.loads(p.stdout)["errors"][0]["field"] == "response.answer.1"


def test_assess_from_batch_output(tmp_path):
    path = tmp_path / "in.jsonl"
    path.write_text("\n".join([json.dumps(GOOD_WFD), "oops", json.dumps(GOOD_SMW)]) + "\n")
    batch = pte("batch", str(path))
    p = pte("assess", stdin=batch.stdout)
    assert p.returncode == 0, p.stderr
    a = json.loads(p.stdout)
    assert a["label"] == "estimate" and a["items"] == 2
    # listening: WFD 13 * 6/8 + SMW 1 * 1 over 14
    assert a["skills"]["listening"]["gse"] == round(10 + 80 * (13 * 0.75 + 1) / 14)
    assert a["skills"]["writing"]["gse"] == 70 and a["skills"]["writing"]["cefr"] == "B2"
    p = pte("assess", stdin=json.dumps([{"item_type": "write_essay", "score": 30, "max_score": 26}]))
    assert p.returncode == 1 and json.loads(p.stdout)["errors"][0]["field"] == "results.0"


def test_catalogue_text_markdown_json():
    p = pte("catalogue")
    assert p.returncode == 0 and len(p.stdout.splitlines()) == len(CATALOGUE.items)
    md = pte("catalogue", "--markdown").stdout
    assert md == render_item_table()
    rows = [line for line in md.splitlines() if line.startswith("| ") and "`" in line]
    assert len(rows) == 22 and "`write_from_dictation`" in md and "Writing 23%" in md
    assert json.loads(pte("catalogue", "--json").stdout)["rule_version"] == CATALOGUE.rule_version


def test_no_command_is_a_usage_error():
    p = pte()
    assert p.returncode == 2 and "usage" in p.stderr


def test_run_batch_reuses_one_engine():
    import io

    class CountingEngine:
        def __init__(self):
            from scoring.engine import Engine
            self.inner, self.calls = Engine(), 0

        def score(self, data):
            self.calls += 1
            return self.inner.score(data)

    eng, out = CountingEngine(), io.StringIO()
    assert run_batch([json.dumps(GOOD_SMW), json.dumps(GOOD_RO), "x"], out, eng) == (2, 1)
    assert eng.calls == 2 and len(out.getvalue().splitlines()) == 3


def test_run_batch_answers_every_line_whatever_it_holds():
    import io
    from hypothesis import given, settings, strategies as st
    from scoring.engine import Engine

    engine = Engine()
    json_values = st.recursive(st.none() | st.booleans() | st.integers() | st.text(max_size=5),
                               lambda c: st.lists(c, max_size=3) | st.dictionaries(st.text(max_size=5), c, max_size=3),
                               max_leaves=8)
    submissions = st.fixed_dictionaries({"item_type": st.sampled_from([GOOD_SMW["item_type"], GOOD_RO["item_type"],
                                                                       "write_from_dictation", "reading_fill_blanks"]),
                                         "response": st.dictionaries(st.sampled_from(["answer", "text"]), json_values),
                                         "item": st.dictionaries(st.sampled_from(["answer_key", "options",
                                                                                  "reference_text", "source_text"]),
                                                                 json_values)})
    line = st.one_of(json_values.map(json.dumps), submissions.map(json.dumps), st.text(max_size=20).filter(lambda s: "\n" not in s))

    @given(st.lists(line, min_size=1, max_size=8))
    @settings(max_examples=150, deadline=None)
    def check(lines):
        out = io.StringIO()
        ok, bad = run_batch(lines, out, engine)
        rows = [json.loads(x) for x in out.getvalue().split("\n")[:-1]]  # JSON lines end in \n only
        assert len(rows) == len(lines) == ok + bad
        for n, row in enumerate(rows, 1):
            if "error" in row:
                assert row["line"] == n and not row["error"].startswith("internal error"), row
                assert all(set(e) == {"field", "message"} for e in row["errors"]) and row["errors"]
            else:
                assert 0 <= row["score"] <= row["max_score"]

    check()
