"""The score report picture: an assessment (scoring/skills.py, as stored by POST /assessments) drawn as
SVG, and as PNG from that same SVG (cairosvg on the system's libcairo). No browser is involved.

One row per score (Overall, then the four skills): the 10-90 scale with the catalogue's CEFR bands
behind it, a marker at the estimate, the GSE number and CEFR level, and the item types that fed it with
their renormalised weights. The title and footer say it is an estimate and why."""
from __future__ import annotations

import textwrap
from datetime import datetime, timezone
from typing import Any
from xml.sax.saxutils import escape

from scoring.catalogue import CATALOGUE

WIDTH = 760
ROW_H = 100
TOP = 96
SCALE_X0, SCALE_X1 = 200, 730  # x of GSE 10 and GSE 90
FONT = "DejaVu Sans, Verdana, Arial, sans-serif"
BAND_FILLS = ("#eef2f7", "#d5dfeb")  # alternating CEFR band shades (the grey labels on them: >= 6.5:1 contrast)
INK, MUTED, ACCENT = "#1a1a1a", "#4a4a4a", "#0b5394"
ROWS = ("overall", *CATALOGUE.skills)


def _x(gse: float) -> float:
    return SCALE_X0 + (SCALE_X1 - SCALE_X0) * (min(90.0, max(10.0, gse)) - 10) / 80


def _text(x: float, y: float, s: str, size: int = 13, weight: str = "normal", fill: str = INK,
          anchor: str = "start") -> str:
    return (f'<text x="{x:.1f}" y="{y:.1f}" font-family="{FONT}" font-size="{size}" font-weight="{weight}" '
            f'fill="{fill}" text-anchor="{anchor}">{escape(s)}</text>')


def _bands() -> list[tuple[int, int, str]]:
    """(from, to, level) on 10-90, lowest first, from the catalogue's CEFR table."""
    table = sorted(CATALOGUE.cefr, key=lambda b: b.min_gse)
    return [(b.min_gse, table[i + 1].min_gse if i + 1 < len(table) else 90, b.level) for i, b in enumerate(table)]


def _fed_by(estimate: dict[str, Any]) -> str:
    weights = estimate.get("item_types") or {}
    if not weights:
        return "no assessed item feeds this score"
    parts = [f"{CATALOGUE.item(t).abbr} {w:.1%}" if w < 0.01 else f"{CATALOGUE.item(t).abbr} {w:.0%}"
             for t, w in sorted(weights.items(), key=lambda kv: -kv[1])]
    coverage = estimate.get("coverage") or 0
    n = estimate.get("items", 0)
    return f"{n} item{'s' * (n != 1)}: " + ", ".join(parts) + f" ({coverage:.0%} of its published weight)"


def _row(y: float, name: str, estimate: dict[str, Any]) -> list[str]:
    out = [_text(24, y + 30, name.capitalize(), 17, "bold")]
    for i, (lo, hi, level) in enumerate(_bands()):
        out.append(f'<rect x="{_x(lo):.1f}" y="{y + 12}" width="{_x(hi) - _x(lo):.1f}" height="30" fill="{BAND_FILLS[i % 2]}"/>')
        out.append(_text((_x(lo) + _x(hi)) / 2, y + 26, level, 11, fill=MUTED, anchor="middle"))
    gse, cefr = estimate.get("gse"), estimate.get("cefr")
    if gse is None:
        out.append(_text(24, y + 52, "not assessed", 13, fill=MUTED))
    else:
        x = _x(gse)
        out.append(f'<rect x="{SCALE_X0}" y="{y + 35}" width="{x - SCALE_X0:.1f}" height="7" fill="{ACCENT}"/>')
        out.append(f'<circle cx="{x:.1f}" cy="{y + 38.5}" r="7" fill="{ACCENT}" stroke="#ffffff" stroke-width="2"/>')
        out.append(_text(24, y + 52, f"{gse} / 90  ({cefr})", 14, "bold", ACCENT))
    for i, line in enumerate(textwrap.wrap(_fed_by(estimate), 84)[:3]):
        out.append(_text(SCALE_X0, y + 58 + 14 * i, line, 11, fill=MUTED))
    return out


def report_svg(record: dict[str, Any]) -> str:
    """The report of one stored assessment record ({assessment_id, created_at, estimate, ...})."""
    est = record["estimate"]
    scores = {"overall": est["overall"], **est["skills"]}
    height = TOP + ROW_H * len(ROWS) + 70
    created = datetime.fromtimestamp(record.get("created_at") or 0, timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
    out = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{WIDTH}" height="{height}" '
           f'viewBox="0 0 {WIDTH} {height}" role="img" aria-labelledby="t">',
           f'<title id="t">PTE Academic score report (estimate): overall {scores["overall"].get("gse")}</title>',
           f'<rect width="{WIDTH}" height="{height}" fill="#ffffff"/>',
           _text(24, 38, "PTE Academic practice score report", 22, "bold"),
           _text(24, 62, f"ESTIMATE, not an official score: from {est.get('items', 0)} scored "
                         f"item{'s' * (est.get('items', 0) != 1)}, on the 10-90 scale with CEFR levels", 13, "bold", "#8a1c00")]
    for tick in range(10, 91, 10):
        out.append(_text(_x(tick), TOP - 8, str(tick), 10, fill=MUTED, anchor="middle"))
    for i, name in enumerate(ROWS):
        out += _row(TOP + i * ROW_H, name, scores[name])
    foot = height - 46
    out.append(_text(24, foot, "How: item scores as shares of their maxima, weighted by Pearson's published item "
                               "weights over the item types present,", 11, fill=MUTED))
    out.append(_text(24, foot + 15, "mapped to 10 + 80 x share. Pearson's own scaling is unpublished, so this is "
                                    "an estimate.", 11, fill=MUTED))
    out.append(_text(24, foot + 30, f"{record.get('assessment_id', '')}, {created}, rules "
                                    f"{est.get('rule_version', CATALOGUE.rule_version)}", 11, fill=MUTED))
    out.append("</svg>")
    return "\n".join(out)


def report_png(record: dict[str, Any]) -> bytes:
    import cairosvg  # only the PNG route pays for it

    return cairosvg.svg2png(bytestring=report_svg(record).encode("utf-8"))
