"""DELETE /workflow/{workflow_id}: the workflow and every one of its jobs (responses, audio, results) removed;
the audit log keeps that it was deleted. 204; 404 for an unknown workflow or another API key's."""
from scoring import jobs
from scoring.jobs_api import delete_record, state_or_503

config = {
    "type": "api",
    "name": "DeleteWorkflow",
    "description": "Delete a workflow and its jobs' submissions, audio and results (data retention)",
    "path": "/workflow/:workflow_id",
    "method": "DELETE",
    "emits": [],
    "flows": ["pte-scoring"],
}


async def handler(req, context):
    return await state_or_503(lambda: delete_record(context, req, "workflow_id", jobs.WORKFLOWS))
