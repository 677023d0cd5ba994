"""`pte-score`: the engine on the command line.

    pte-score batch IN.jsonl        # or `-` for stdin: one submission per line -> one JSON line each
    pte-score score [FILE]          # one submission (JSON; stdin by default) -> its ScoreResult
    pte-score assess [FILE]         # item results (a JSON list, or JSON lines such as batch output)
                                    #   -> skill / overall / CEFR estimate
    pte-score catalogue [--markdown | --json]   # the item table
    pte-score audit export [--since ISO] [--until ISO] [--format jsonl|csv]   # the audit log (DATABASE_URL)

Batch: output line k answers input line k, in order. A line that cannot be scored (invalid JSON,
an invalid submission, an empty line) becomes `{"line": k, "error": "...", "errors": [{"field",
"message"}]}` and the run goes on. One Engine serves the whole run. Exit status: 0 when every line
was scored, 1 when some line was an error, 2 for a usage error (e.g. unreadable file).
`score` and `assess` print the same error object and exit 1 on bad input.
"""
from __future__ import annotations

import argparse
import json
import sys
from typing import Any, Iterable, Optional, TextIO

from scoring.catalogue import CATALOGUE, ItemSpec, TraitSpec
from scoring.models import FieldError, InvalidSubmission

_SECTION = {"speaking_writing": "Speaking & Writing", "reading": "Reading", "listening": "Listening"}
_MAX_FROM = {"reference_text_words": "words in item.reference_text", "answer_key_length": "entries in item.answer_key",
             "answer_key_pairs": "paragraphs in item.answer_key minus 1"}


def _trait_range(t: TraitSpec) -> str:
    return f"{t.min}-{t.max}" if t.max is not None else f"{t.min}-n (n = {_MAX_FROM[t.max_from]})"


def _traits_cell(spec: ItemSpec) -> str:
    return "; ".join(f"{CATALOGUE.traits[name]['label']} {_trait_range(t)}" for name, t in spec.traits.items())


def _skills_cell(spec: ItemSpec) -> str:
    return ", ".join(f"{s.capitalize()} {spec.weights[s]:g}%" for s in spec.skills)


def _rule_cell(spec: ItemSpec) -> str:
    parts = []
    if spec.rule:
        parts.append(spec.rule)
    if spec.form_rule:
        bands = ", ".join(f"{b.min_words}-{b.max_words} words = {b.score}" for b in spec.form_rule.bands)
        parts.append(("one sentence, " if spec.form_rule.kind == "one_sentence" else "Form: ") + bands)
    if spec.gates:
        parts.append("gate: " + " or ".join(CATALOGUE.traits[g]["label"] for g in spec.gates) + " = 0 -> item 0")
    return "; ".join(parts)


def item_rows() -> list[dict[str, str]]:
    return [{"section": _SECTION[s.section], "item": f"{s.name} ({s.abbr})", "code": s.code, "mode": s.mode,
             "traits": _traits_cell(s), "rule": _rule_cell(s), "skills": _skills_cell(s),
             "overall": f"{s.weights['overall']:g}%"} for s in CATALOGUE.items.values()]


def render_item_table() -> str:
    """The catalogue's item table as Markdown (generated: the catalogue is the one source)."""
    head = ["section", "item", "code", "mode", "traits (points)", "rules", "skills (weight)", "overall weight"]
    lines = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    for r in item_rows():
        cells = [r["section"], r["item"], f"`{r['code']}`", r["mode"], r["traits"], r["rule"], r["skills"], r["overall"]]
        lines.append("| " + " | ".join(c.replace("|", "\\|") for c in cells) + " |")
    lines.append("")
    lines.append(f"Rule version {CATALOGUE.rule_version}; sources: " + "; ".join(CATALOGUE.sources) + ".")
    return "\n".join(lines) + "\n"


def render_item_text() -> str:
    rows = item_rows()
    w_code = max(len(r["code"]) for r in rows)
    w_abbr = max(len(s.abbr) for s in CATALOGUE.items.values())
    out = []
    for r, s in zip(rows, CATALOGUE.items.values()):
        out.append(f"{s.abbr:<{w_abbr}}  {r['code']:<{w_code}}  {r['mode']:<9}  {r['traits']}  [{r['skills']}; overall {r['overall']}]")
    return "\n".join(out) + "\n"


# ------------------------------------------------------------------------------------------- I/O

def _error_obj(exc: Exception, line: Optional[int] = None) -> dict[str, Any]:
    if isinstance(exc, InvalidSubmission):
        err: dict[str, Any] = {"error": str(exc), "errors": [e.model_dump() for e in exc.errors]}
    elif isinstance(exc, json.JSONDecodeError):
        msg = f"invalid JSON: {exc.msg} (column {exc.colno})"
        err = {"error": msg, "errors": [FieldError(field="body", message=msg).model_dump()]}
    else:
        err = {"error": f"internal error: {type(exc).__name__}: {exc}", "errors": []}
    return {"line": line, **err} if line is not None else err


def _open(path: str) -> TextIO:
    return sys.stdin if path == "-" else open(path, encoding="utf-8")


def _emit(out: TextIO, obj: Any) -> None:
    out.write(obj if isinstance(obj, str) else json.dumps(obj, ensure_ascii=False))
    out.write("\n")
    out.flush()


def run_batch(lines: Iterable[str], out: TextIO, engine: Any = None) -> tuple[int, int]:
    """Score each line; returns (scored, errors). Output line k answers input line k."""
    if engine is None:
        from scoring.engine import Engine
        engine = Engine()
    ok = bad = 0
    for n, raw in enumerate(lines, 1):
        raw = raw.strip()
        try:
            if not raw:
                raise InvalidSubmission.one("body", "empty line")
            result = engine.score(json.loads(raw))
        except Exception as exc:  # one bad line must not end the run
            bad += 1
            _emit(out, _error_obj(exc, n))
            continue
        ok += 1
        _emit(out, result.model_dump_json())
    return ok, bad


def _read_json_or_lines(text: str) -> list[Any]:
    """A JSON list, or JSON lines (e.g. batch output; its error objects are skipped)."""
    try:
        data = json.loads(text)
        return data if isinstance(data, list) else [data]
    except json.JSONDecodeError:
        rows = [json.loads(line) for line in text.splitlines() if line.strip()]
        return [r for r in rows if not (isinstance(r, dict) and "error" in r)]


# ------------------------------------------------------------------------------------------- commands

def _cmd_batch(args: argparse.Namespace) -> int:
    from scoring.engine import Engine
    with _open(args.input) as f:
        ok, bad = run_batch(f, sys.stdout, Engine())
    print(f"pte-score batch: {ok} scored, {bad} errors", file=sys.stderr)
    return 1 if bad else 0


def _cmd_score(args: argparse.Namespace) -> int:
    from scoring.engine import Engine
    with _open(args.input) as f:
        text = f.read()
    try:
        result = Engine().score(json.loads(text))
    except Exception as exc:  # reported as an error object, like a bad batch line
        _emit(sys.stdout, _error_obj(exc))
        return 1
    _emit(sys.stdout, result.model_dump_json(indent=2 if args.pretty else None))
    return 0


def _cmd_assess(args: argparse.Namespace) -> int:
    from scoring.skills import assess
    with _open(args.input) as f:
        text = f.read()
    try:
        result = assess(_read_json_or_lines(text))
    except Exception as exc:
        _emit(sys.stdout, _error_obj(exc))
        return 1
    _emit(sys.stdout, result.model_dump_json(indent=2 if args.pretty else None))
    return 0


def _cmd_catalogue(args: argparse.Namespace) -> int:
    if args.json:
        sys.stdout.write(CATALOGUE.model_dump_json(indent=2) + "\n")
    elif args.markdown:
        sys.stdout.write(render_item_table())
    else:
        sys.stdout.write(render_item_text())
    return 0


def _when(value: str):
    """An ISO 8601 date or time (UTC unless it names a zone)."""
    from datetime import datetime, timezone
    try:
        t = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        raise argparse.ArgumentTypeError(f"not an ISO 8601 date or time: {value!r}")
    return t if t.tzinfo else t.replace(tzinfo=timezone.utc)


def _cmd_audit(args: argparse.Namespace) -> int:
    import os
    url = args.database_url or os.environ.get("DATABASE_URL")
    if not url:
        print("pte-score: audit export needs DATABASE_URL (or --database-url)", file=sys.stderr)
        return 2
    from scoring import audit_store
    rows = audit_store.export(url, since=args.since, until=args.until)
    write = audit_store.write_csv if args.format == "csv" else audit_store.write_jsonl
    try:
        write(rows, sys.stdout)
    except audit_store.psycopg.Error as exc:
        print(f"pte-score: audit export failed: {str(exc).strip()}", file=sys.stderr)
        return 1
    return 0


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="pte-score", description="PTE Academic scoring engine (rule version "
                                f"{CATALOGUE.rule_version}).")
    sub = p.add_subparsers(dest="command", required=True)
    b = sub.add_parser("batch", help="score a JSONL file of submissions, one JSON result per line")
    b.add_argument("input", help="JSONL file, or - for stdin")
    b.set_defaults(fn=_cmd_batch)
    s = sub.add_parser("score", help="score one submission (JSON)")
    s.add_argument("input", nargs="?", default="-", help="JSON file (default: stdin)")
    s.add_argument("--pretty", action="store_true", help="indent the JSON")
    s.set_defaults(fn=_cmd_score)
    a = sub.add_parser("assess", help="skill / overall / CEFR estimate from item results")
    a.add_argument("input", nargs="?", default="-", help="JSON list or JSON lines of results (default: stdin)")
    a.add_argument("--pretty", action="store_true", help="indent the JSON")
    a.set_defaults(fn=_cmd_assess)
    c = sub.add_parser("catalogue", help="print the item table")
    g = c.add_mutually_exclusive_group()
    g.add_argument("--markdown", action="store_true", help="as a Markdown table")
    g.add_argument("--json", action="store_true", help="the whole catalogue as JSON")
    c.set_defaults(fn=_cmd_catalogue)
    au = sub.add_parser("audit", help="the audit log in PostgreSQL (DATABASE_URL)")
    ausub = au.add_subparsers(dest="audit_command", required=True)
    ex = ausub.add_parser("export", help="audit entries in order, as JSON lines or CSV")
    ex.add_argument("--since", type=_when, help="from this time on (ISO 8601, UTC by default)")
    ex.add_argument("--until", type=_when, help="before this time")
    ex.add_argument("--format", choices=("jsonl", "csv"), default="jsonl")
    ex.add_argument("--database-url", help="default: DATABASE_URL")
    ex.set_defaults(fn=_cmd_audit)
    return p


def main(argv: Optional[list[str]] = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        return args.fn(args)
    except OSError as exc:
        if isinstance(exc, BrokenPipeError):
            return 0
        print(f"pte-score: {exc}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
