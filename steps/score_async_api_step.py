"""POST /score_async: 202 with an unguessable job id at once; the event pipeline does the work.
Light: the warm engine validates the submission (scoring.jobs_api.check), no pydantic or Settings here."""
from scoring.jobs_api import accept_one, client_of, idempotent

config = {
    "type": "api",
    "name": "ScoreAsync",
    "description": "Accept a submission and enqueue it (202 + job id)",
    "path": "/score_async",
    "method": "POST",
    "emits": ["submission.received"],
    "flows": ["pte-scoring"],
}


async def handler(req, context):
    return await idempotent(context, req, "score_async", lambda: accept_one(context, req.get("body"), mode="score_async",
                                                                                client=client_of(req)))
