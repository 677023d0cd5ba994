"""POST /score_async: 202 with an unguessable job id at once; the event pipeline does the work."""
from scoring.jobs_api import accept_one
from scoring.settings import get_settings

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
    return await accept_one(context, req.get("body"), settings=get_settings(), mode="score_async")
