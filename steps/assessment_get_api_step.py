"""GET /assessments/{assessment_id}."""
from scoring import jobs
from scoring.jobs_api import lookup

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
    record, missing = await lookup(context, req, "assessment_id", jobs.ASSESSMENTS)
    return missing or {"status": 200, "body": record}
