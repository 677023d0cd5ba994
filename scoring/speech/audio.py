"""Decode uploaded audio (WAV, FLAC, MP3, M4A/AAC, WebM/Opus, OGG Vorbis/Opus) to 16 kHz mono float32.

WAV/FLAC/OGG Vorbis are read with soundfile; everything else (and anything soundfile refuses) goes
through an `ffmpeg` subprocess (Debian package `ffmpeg`), bounded by time and output length.
Errors carry the HTTP status the upload route answers with: 413 too large/long, 415 unsupported
format, 422 corrupt or undecodable audio."""
from __future__ import annotations

import io
import subprocess
from dataclasses import dataclass
from math import gcd
from pathlib import Path
from typing import Any, Optional

import numpy as np

SR = 16_000

# content types accepted on upload (anything else is 415); the bytes decide the format
CONTENT_TYPES = {"audio/wav": "wav", "audio/x-wav": "wav", "audio/wave": "wav", "audio/vnd.wave": "wav",
                 "audio/flac": "flac", "audio/x-flac": "flac", "audio/mpeg": "mp3", "audio/mp3": "mp3",
                 "audio/mp4": "m4a", "audio/m4a": "m4a", "audio/x-m4a": "m4a", "audio/aac": "aac",
                 "audio/webm": "webm", "video/webm": "webm", "audio/ogg": "ogg", "audio/opus": "ogg",
                 "application/ogg": "ogg", "application/octet-stream": None}
FORMATS = ("wav", "flac", "mp3", "m4a", "aac", "webm", "ogg")


class AudioError(ValueError):
    def __init__(self, status: int, message: str):
        self.status = status
        super().__init__(message)


@dataclass
class Audio:
    samples: np.ndarray  # float32 in [-1, 1], 16 kHz mono
    format: str
    sr: int = SR

    @property
    def duration_s(self) -> float:
        return len(self.samples) / self.sr

    def pcm16(self) -> bytes:
        return (np.clip(self.samples, -1, 1) * 32767).astype("<i2").tobytes()


def sniff(data: bytes) -> Optional[str]:
    """The container format from the first bytes, or None when it is not audio we read."""
    h = data[:64]
    if h[:4] == b"RIFF" and h[8:12] == b"WAVE":
        return "wav"
    if h[:4] == b"fLaC":
        return "flac"
    if h[:4] == b"OggS":
        return "ogg"
    if h[:4] == b"\x1a\x45\xdf\xa3":
        return "webm"
    if h[4:8] == b"ftyp":
        return "m4a"
    if h[:3] == b"ID3" or (len(h) > 1 and h[0] == 0xFF and (h[1] & 0xE0) == 0xE0):
        return "aac" if len(h) > 1 and h[0] == 0xFF and (h[1] & 0xF6) == 0xF0 else "mp3"
    return None


def check_content_type(content_type: Optional[str]) -> None:
    ct = (content_type or "").split(";")[0].strip().lower()
    if ct and ct not in CONTENT_TYPES:
        raise AudioError(415, f"unsupported content type {ct!r}; send one of: " + ", ".join(sorted(k for k in CONTENT_TYPES)))


def decode(data: bytes, settings: Any, content_type: Optional[str] = None) -> Audio:
    """Bytes -> Audio, enforcing Settings.audio_max_bytes and Settings.audio_max_seconds."""
    check_content_type(content_type)
    if len(data) > settings.audio_max_bytes:
        raise AudioError(413, f"audio larger than {settings.audio_max_bytes} bytes")
    if not data:
        raise AudioError(422, "empty audio")
    fmt = sniff(data)
    if fmt is None:
        raise AudioError(415, "unsupported or unrecognised audio format; supported: " + ", ".join(FORMATS))
    samples = None
    if fmt in ("wav", "flac", "ogg"):
        samples = _soundfile(data)
    if samples is None:
        samples = _ffmpeg(data, settings.audio_max_seconds)
    audio = Audio(samples=samples, format=fmt)
    if audio.duration_s > settings.audio_max_seconds + 0.05:
        raise AudioError(413, f"audio longer than {settings.audio_max_seconds:g} s")
    if audio.duration_s < 0.05:
        raise AudioError(422, "audio holds no samples (corrupt or empty)")
    return audio


def decode_path(path: str | Path, settings: Any) -> Audio:
    p = Path(path)
    if not p.is_file():
        raise AudioError(422, f"audio file not found: {path}")
    if p.stat().st_size > settings.audio_max_bytes:
        raise AudioError(413, f"audio larger than {settings.audio_max_bytes} bytes")
    return decode(p.read_bytes(), settings)


def _soundfile(data: bytes) -> Optional[np.ndarray]:
    import soundfile as sf
    try:
        x, sr = sf.read(io.BytesIO(data), dtype="float32", always_2d=True)
    except Exception:
        return None  # let ffmpeg try (e.g. Opus in Ogg, odd WAV codecs); it reports corruption
    return to_16k_mono(x, sr)


def to_16k_mono(x: np.ndarray, sr: int) -> np.ndarray:
    from scipy.signal import resample_poly
    x = x.mean(axis=1) if x.ndim == 2 else x
    if sr != SR:
        g = gcd(int(sr), SR)
        x = resample_poly(x, SR // g, int(sr) // g)
    return np.ascontiguousarray(x, dtype=np.float32)


def _ffmpeg(data: bytes, max_seconds: float) -> np.ndarray:
    cmd = ["ffmpeg", "-nostdin", "-hide_banner", "-loglevel", "error", "-i", "pipe:0",
           "-t", f"{max_seconds + 1:.2f}", "-f", "s16le", "-ac", "1", "-ar", str(SR), "pipe:1"]
    try:
        p = subprocess.run(cmd, input=data, capture_output=True, timeout=60)
    except FileNotFoundError:
        raise AudioError(415, "this format needs ffmpeg, which is not installed (apt-get install ffmpeg)") from None
    except subprocess.TimeoutExpired:
        raise AudioError(422, "audio could not be decoded in time") from None
    if p.returncode != 0 or not p.stdout:
        msg = p.stderr.decode(errors="replace").strip().splitlines()
        raise AudioError(422, "corrupt or undecodable audio" + (f": {msg[-1][:200]}" if msg else ""))
    return np.frombuffer(p.stdout[: len(p.stdout) // 2 * 2], dtype="<i2").astype(np.float32) / 32768.0


def is_silent(audio: Audio, speech_s: float) -> bool:
    """Silent: peak below -50 dBFS, or under 0.2 s of speech found by the VAD."""
    peak = float(np.abs(audio.samples).max()) if len(audio.samples) else 0.0
    return peak < 10 ** (-50 / 20) or speech_s < 0.2
