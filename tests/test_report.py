"""The score report picture (scoring/report.py) and its API step, without a browser: SVG text and PNG bytes
drawn from a real assessment of the sample submissions."""
import json
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from conftest import load_step, run
from scoring import jobs
from scoring.catalogue import CATALOGUE
from scoring.engine import Engine
from scoring.report import report_png, report_svg
from scoring.skills import assess

SAMPLES = Path(__file__).resolve().parents[1] / "examples" / "batch.jsonl"
SVG = "{http://www.w3.org/2000/svg}"


@pytest.fixture(scope="module")
def record():
    engine = Engine()
    results = [engine.score(json.loads(line)) for line in SAMPLES.read_text().splitlines()[:12]]
    return {"assessment_id": "asm_test", "created_at": 1_800_000_000, "items": len(results),
            "estimate": assess(results).model_dump()}


def texts(svg: str) -> list[str]:
    return [t.text for t in ET.fromstring(svg).iter(SVG + "text")]


def test_svg_shows_every_score_its_level_and_items_and_says_estimate(record):
    svg = report_svg(record)
    words = texts(svg)
    est = record["estimate"]
    assert any(w.startswith("ESTIMATE, not an official score") for w in words)
    for name in ("Overall", "Listening", "Reading", "Speaking", "Writing"):
        assert name in words
    for e in [est["overall"], *est["skills"].values()]:
        if e["gse"] is not None:
            assert f"{e['gse']} / 90  ({e['cefr']})" in words
            assert e["cefr"] == CATALOGUE.cefr_level(e["gse"])
    fed = " ".join(w for w in words if "item" in w and "%" in w)
    for code in est["skills"]["reading"]["item_types"]:
        assert CATALOGUE.item(code).abbr in fed
    assert words.count("B2") == 5  # every row draws the CEFR bands of the catalogue
    assert "asm_test, 2027-01-15 08:00 UTC, rules 2025-08" in words


def test_skill_without_items_is_drawn_as_not_assessed(record):
    only_reading = {**record, "estimate": assess([{"item_type": "reading_fill_blanks", "score": 2, "max_score": 3}]).model_dump()}
    words = texts(report_svg(only_reading))
    assert words.count("not assessed") == 3  # listening, speaking, writing
    assert "no assessed item feeds this score" in words


def test_png_is_the_svg_rendered(record):
    png = report_png(record)
    assert png.startswith(b"\x89PNG\r\n\x1a\n")
    width, height = int.from_bytes(png[16:20], "big"), int.from_bytes(png[20:24], "big")
    root = ET.fromstring(report_svg(record))
    assert (width, height) == (int(root.get("width")), int(root.get("height")))


STEP = "steps/assessment_report_api_step.py"


def call(ctx, assessment_id, fmt):
    return run(load_step(STEP).handler({"pathParams": {"assessment_id": assessment_id, "format": fmt}}, ctx))


def test_step_serves_svg_and_png_as_motia_buffers(ctx, record):
    run(ctx.state.set(jobs.ASSESSMENTS, "asm_test", record))
    svg = call(ctx, "asm_test", "svg")
    assert svg["status"] == 200 and svg["headers"]["content-type"].startswith("image/svg+xml")
    assert svg["body"] == report_svg(record)
    png = call(ctx, "asm_test", "png")
    assert png["status"] == 200 and png["headers"]["content-type"] == "image/png"
    assert png["body"]["type"] == "Buffer" and bytes(png["body"]["data"]) == report_png(record)


def test_step_refuses_unknown_ids_and_formats(ctx):
    missing = call(ctx, "asm_nope", "svg")
    assert missing["status"] == 404 and missing["body"]["errors"][0]["field"] == "assessment_id"
    other = call(ctx, "job_abc", "png")
    assert other["status"] == 404
    gif = call(ctx, "asm_test", "gif")
    assert gif["status"] == 404 and gif["body"]["errors"][0]["field"] == "format"
