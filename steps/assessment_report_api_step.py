"""GET /assessments/{assessment_id}/report.svg and .png: the stored estimate drawn as a picture
(scoring/report.py; no browser). Motia 0.17 sends a result body of {"type": "Buffer", "data": [...]}
as bytes, which is how the PNG leaves this process."""
from scoring import jobs
from scoring.jobs_api import bad, lookup

config = {
    "type": "api",
    "name": "AssessmentReport",
    "description": "The skill/overall estimate as an SVG or PNG picture",
    "path": "/assessments/:assessment_id/report.:format",
    "method": "GET",
    "emits": [],
    "flows": ["pte-scoring"],
}

TYPES = {"svg": "image/svg+xml; charset=utf-8", "png": "image/png"}


async def handler(req, context):
    fmt = (req.get("pathParams") or {}).get("format")
    if fmt not in TYPES:
        return bad("format", "report.svg or report.png", 404)
    record, missing = await lookup(context, req, "assessment_id", jobs.ASSESSMENTS)
    if missing:
        return missing
    from scoring import report

    if fmt == "svg":
        body = report.report_svg(record)
    else:
        body = {"type": "Buffer", "data": list(report.report_png(record))}
    return {"status": 200, "body": body, "headers": {"content-type": TYPES[fmt], "cache-control": "no-store"}}
