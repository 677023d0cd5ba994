"""Speech and silence segments with webrtcvad (package `webrtcvad-wheels`), 30 ms frames.

Runs of speech frames closer than `bridge_s` are merged; silences shorter than `min_silence_s`
are not pauses. Silences before the first and after the last speech are not returned."""
from __future__ import annotations

from scoring.speech.audio import Audio

FRAME_MS = 30


def speech_segments(audio: Audio, aggressiveness: int = 2, bridge_s: float = 0.12) -> list[tuple[float, float]]:
    import webrtcvad
    vad = webrtcvad.Vad(aggressiveness)
    pcm = audio.pcm16()
    n = int(audio.sr * FRAME_MS / 1000) * 2
    segs: list[list[float]] = []
    for k, i in enumerate(range(0, len(pcm) - n + 1, n)):
        if vad.is_speech(pcm[i:i + n], audio.sr):
            t0, t1 = k * FRAME_MS / 1000, (k + 1) * FRAME_MS / 1000
            if segs and t0 - segs[-1][1] <= bridge_s:
                segs[-1][1] = t1
            else:
                segs.append([t0, t1])
    return [(round(a, 3), round(b, 3)) for a, b in segs if b - a >= 0.06]


def silences(segments: list[tuple[float, float]], min_silence_s: float = 0.2) -> list[tuple[float, float]]:
    return [(a[1], b[0]) for a, b in zip(segments, segments[1:]) if b[0] - a[1] >= min_silence_s]
