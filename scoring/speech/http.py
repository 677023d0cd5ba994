"""Audio routes mounted by scoring/server.py:

- `POST /audio`: the raw audio as the request body, its Content-Type header (audio/wav, audio/mpeg,
  audio/mp4, audio/webm, audio/ogg, audio/flac, application/octet-stream ...). Answers 201
  `{"audio_id", "duration_s", "format"}`; 413 too large or too long, 415 unsupported format,
  422 corrupt or empty audio (`{"errors": [{"field": "body", "message"}]}`).
- `POST /audio/fetch`: JSON `{"url": "https://..."}`; the engine downloads it (http/https only,
  private/loopback/link-local hosts refused unless AUDIO_URL_ALLOW_PRIVATE=true, size capped while
  streaming) and answers like POST /audio; a refused URL is 422 on field `url`.
Submissions then carry `response.audio_id`."""
from __future__ import annotations

import json
from typing import Any

import anyio
from starlette.requests import ClientDisconnect, Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from scoring.settings import get_settings
from scoring.speech import store
from scoring.speech.audio import AudioError, check_content_type


def _settings(request: Request) -> Any:
    host = getattr(request.app.state, "engine_host", None)
    return getattr(host, "settings", None) or getattr(request.app.state, "settings", None) or get_settings()


def _err(status: int, field: str, message: str) -> JSONResponse:
    return JSONResponse({"errors": [{"field": field, "message": message}]}, status_code=status)


async def upload(request: Request) -> JSONResponse:
    settings = _settings(request)
    ct = request.headers.get("content-type")
    try:
        check_content_type(ct)
    except AudioError as e:
        return _err(e.status, "content-type", str(e))
    cap = settings.audio_max_bytes
    length = request.headers.get("content-length")
    if length and length.isdigit() and int(length) > cap:
        return _err(413, "body", f"audio larger than {cap} bytes")
    buf = bytearray()
    try:
        async for chunk in request.stream():
            buf += chunk
            if len(buf) > cap:
                return _err(413, "body", f"audio larger than {cap} bytes")
    except ClientDisconnect:  # the client went away mid-upload: nothing stored, nobody to answer
        return _err(400, "body", "upload interrupted")
    try:
        stored = await anyio.to_thread.run_sync(store.save, bytes(buf), settings, ct)
    except AudioError as e:
        return _err(e.status, "body", str(e))
    return JSONResponse(stored.info(), status_code=201)


async def fetch(request: Request) -> JSONResponse:
    settings = _settings(request)
    try:
        body = json.loads(await request.body() or b"null")
    except ValueError:
        return _err(422, "body", "must be valid JSON")
    url = body.get("url") if isinstance(body, dict) else None
    if not isinstance(url, str) or not url:
        return _err(422, "url", "required: the address of the audio file")

    def work() -> dict:
        data = store.fetch(url, settings)
        return store.save(data, settings).info()
    try:
        info = await anyio.to_thread.run_sync(work)
    except store.FetchRefused as e:
        return _err(422, "url", str(e))
    except AudioError as e:
        return _err(e.status, "url", str(e))
    except Exception as e:  # network failure
        return _err(422, "url", f"could not fetch the audio: {type(e).__name__}: {e}")
    return JSONResponse(info, status_code=201)


async def delete(request: Request) -> JSONResponse:
    """`DELETE /audio/{audio_id}` (data retention, called by DELETE /job/{id}): 200 {"deleted": true|false}."""
    try:
        deleted = store.delete(request.path_params["audio_id"], _settings(request))
    except KeyError as e:
        return _err(422, "audio_id", str(e).strip("'"))
    return JSONResponse({"deleted": deleted})


routes = [Route("/audio", upload, methods=["POST"]), Route("/audio/fetch", fetch, methods=["POST"]),
          Route("/audio/{audio_id}", delete, methods=["DELETE"])]
