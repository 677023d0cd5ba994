"""DELETE /job/{job_id}: the learner's response, audio, partials and result removed (state, stream, audio
store); the audit log keeps that it was deleted. 204; 404 for an unknown job or another API key's."""
from scoring import jobs
from scoring.jobs_api import delete_record, state_or_503

config = {
    "type": "api",
    "name": "DeleteJob",
    "description": "Delete a job's submission, audio and results (data retention)",
    "path": "/job/:job_id",
    "method": "DELETE",
    "emits": [],
    "flows": ["pte-scoring"],
}


async def handler(req, context):
    return await state_or_503(lambda: delete_record(context, req, "job_id", jobs.JOBS))
