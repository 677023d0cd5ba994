"""Audio stored by id under Settings.audio_dir, and fetched from URLs with SSRF protection.

- `save(data, settings, content_type)` decodes first (so only valid audio is kept), writes the
  original bytes as `<id>.<format>` and returns the id: 32 random URL-safe characters
  (`secrets.token_urlsafe(24)`), unguessable; `resolve(id)` accepts only that alphabet and length.
- `fetch(url, settings)`: http/https only; the host is resolved and refused when any address is
  private, loopback, link-local, multicast, reserved or unspecified (unless
  Settings.audio_url_allow_private); redirects are followed by hand (at most 3), each re-checked;
  the body is streamed and cut at Settings.audio_max_bytes (413)."""
from __future__ import annotations

import ipaddress
import re
import secrets
import socket
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Optional
from urllib.parse import urljoin, urlsplit

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


class FetchRefused(ValueError):
    pass


def check_host(host: str, port: int, allow_private: bool) -> None:
    try:
        infos = socket.getaddrinfo(host, port, proto=socket.IPPROTO_TCP)
    except socket.gaierror as e:
        raise FetchRefused(f"cannot resolve host {host!r}: {e}") from None
    for info in infos:
        ip = ipaddress.ip_address(info[4][0].split("%")[0])
        if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped:
            ip = ip.ipv4_mapped
        bad = ip.is_private or ip.is_loopback or ip.is_link_local or ip.is_multicast or ip.is_reserved or ip.is_unspecified
        if bad and not allow_private:
            raise FetchRefused(f"refusing to fetch from {host} ({ip}): private, loopback or link-local address "
                               "(set AUDIO_URL_ALLOW_PRIVATE=true to allow)")


def fetch(url: str, settings: Any, timeout_s: float = 20.0) -> bytes:
    import httpx
    cap = settings.audio_max_bytes
    with httpx.Client(timeout=timeout_s, follow_redirects=False) as client:
        for _ in range(MAX_REDIRECTS + 1):
            parts = urlsplit(url)
            if parts.scheme not in ("http", "https") or not parts.hostname:
                raise FetchRefused("only http and https URLs with a host are fetched")
            check_host(parts.hostname, parts.port or (443 if parts.scheme == "https" else 80), settings.audio_url_allow_private)
            with client.stream("GET", url) as r:
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
