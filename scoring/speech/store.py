"""Audio stored by id under Settings.audio_dir, and fetched from URLs with SSRF protection.

- `save(data, settings, content_type)` decodes first (so only valid audio is kept), writes the
  original bytes as `<id>.<format>` and returns the id: 32 random URL-safe characters
  (`secrets.token_urlsafe(24)`), unguessable; `resolve(id)` accepts only that alphabet and length.
- `fetch(url, settings)`: http/https only; the host is resolved ONCE and refused when any address is
  private, loopback, link-local, multicast, reserved or unspecified (unless
  Settings.audio_url_allow_private), then the connection goes to that checked address (the Host header
  and TLS name stay the URL's): a DNS answer that changes between check and connect (rebinding) cannot
  reach an internal host. Redirects are followed by hand (at most 3), each re-checked; the body is
  streamed and cut at Settings.audio_max_bytes (413).
- Stored audio expires with the jobs that use it: `touch(path)` when a submission referencing it is
  accepted, `expire(settings)` deletes files untouched for Settings.job_ttl_s (the engine runs it hourly)."""
from __future__ import annotations

import re
import secrets
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Optional
from urllib.parse import urljoin

from scoring.netguard import FetchRefused, check_host, check_url, pinned  # noqa: F401 (re-exported)
from scoring.speech.audio import Audio, AudioError, decode

_ID_RE = re.compile(r"^[A-Za-z0-9_-]{32}$")
MAX_REDIRECTS = 3


@dataclass
class Stored:
    audio_id: str
    path: Path
    audio: Audio

    def info(self) -> dict[str, Any]:
        return {"audio_id": self.audio_id, "duration_s": round(self.audio.duration_s, 3), "format": self.audio.format}


def _dir(settings: Any) -> Path:
    d = Path(settings.audio_dir)
    d.mkdir(parents=True, exist_ok=True)
    return d


def save(data: bytes, settings: Any, content_type: Optional[str] = None) -> Stored:
    audio = decode(data, settings, content_type)
    audio_id = secrets.token_urlsafe(24)
    path = _dir(settings) / f"{audio_id}.{audio.format}"
    tmp = path.with_suffix(".part")
    tmp.write_bytes(data)
    tmp.replace(path)
    return Stored(audio_id, path, audio)


def resolve(audio_id: str, settings: Any) -> Path:
    """The stored file for an id; KeyError when the id is malformed or unknown."""
    if not _ID_RE.match(audio_id or ""):
        raise KeyError("malformed audio_id")
    d = Path(settings.audio_dir)
    hits = [p for p in d.glob(f"{audio_id}.*") if p.suffix != ".part"] if d.is_dir() else []
    if not hits:
        raise KeyError("unknown audio_id")
    return hits[0]


def delete(audio_id: str, settings: Any) -> bool:
    """Delete a stored recording; False when it is already gone. KeyError for a malformed id."""
    try:
        path = resolve(audio_id, settings)
    except KeyError as e:
        if str(e).strip("'") == "malformed audio_id":
            raise
        return False
    try:
        path.unlink()
        return True
    except FileNotFoundError:
        return False


def touch(path: Path) -> None:
    """Keep a stored file for another Settings.job_ttl_s (a job that uses it was just accepted)."""
    try:
        path.touch(exist_ok=True)
    except OSError:
        pass


def expire(settings: Any, now: Optional[float] = None) -> int:
    """Delete stored audio untouched for longer than Settings.job_ttl_s; returns how many files went."""
    d = Path(settings.audio_dir)
    if not d.is_dir():
        return 0
    cutoff = (now or time.time()) - settings.job_ttl_s
    gone = 0
    for p in d.iterdir():
        try:
            if p.is_file() and p.stat().st_mtime < cutoff:
                p.unlink()
                gone += 1
        except OSError:  # deleted meanwhile by another engine sharing the folder
            pass
    return gone


def fetch(url: str, settings: Any, timeout_s: float = 20.0) -> bytes:
    import httpx
    cap = settings.audio_max_bytes
    with httpx.Client(timeout=timeout_s, follow_redirects=False) as client:
        for _ in range(MAX_REDIRECTS + 1):
            parts, address = check_url(url, settings.audio_url_allow_private)
            target, headers, extensions = pinned(parts, address)
            with client.stream("GET", target, headers=headers, extensions=extensions) as r:
                if r.status_code in (301, 302, 303, 307, 308) and "location" in r.headers:
                    url = urljoin(url, r.headers["location"])
                    continue
                if r.status_code != 200:
                    raise FetchRefused(f"fetching the audio answered HTTP {r.status_code}")
                length = r.headers.get("content-length")
                if length and length.isdigit() and int(length) > cap:
                    raise AudioError(413, f"audio larger than {cap} bytes")
                buf = bytearray()
                for chunk in r.iter_bytes():
                    buf += chunk
                    if len(buf) > cap:
                        raise AudioError(413, f"audio larger than {cap} bytes")
                return bytes(buf)
        raise FetchRefused(f"more than {MAX_REDIRECTS} redirects")
