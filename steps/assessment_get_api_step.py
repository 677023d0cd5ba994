"""GET /assessments/{assessment_id}."""
from scoring import jobs

config = {
    "type": "api",
    "name": "GetAssessment",
    "description": "A stored skill/overall estimate",
    "path": "/assessments/:assessment_id",
    "method": "GET",
    "emits": [],
    "flows": ["pte-scoring"],
}


async def handler(req, context):
    aid = (req.get("pathParams") or {}).get("assessment_id", "")
    record = await jobs.get(context, jobs.ASSESSMENTS, aid) if aid.startswith("asm_") else None
    if not record:
        return {"status": 404, "body": {"errors": [{"field": "assessment_id", "message": f"no assessment {aid!r}"}]}}
    return {"status": 200, "body": record}
