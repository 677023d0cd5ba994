"""DELETE /assessments/{assessment_id}: the stored estimate removed; the audit log keeps that it was
deleted. 204; 404 for an unknown assessment or another API key's."""
from scoring import jobs
from scoring.jobs_api import delete_record, state_or_503

config = {
    "type": "api",
    "name": "DeleteAssessment",
    "description": "Delete a stored skill/overall estimate (data retention)",
    "path": "/assessments/:assessment_id",
    "method": "DELETE",
    "emits": [],
    "flows": ["pte-scoring"],
}


async def handler(req, context):
    return await state_or_503(lambda: delete_record(context, req, "assessment_id", jobs.ASSESSMENTS))
