"""From a submission's audio reference to the `Speech` the spoken scorers use:
resolve (audio_id | audio_path | audio_url) -> decode -> VAD -> silence check -> transcribe."""
from __future__ import annotations

import time
from typing import Any

from scoring.models import InvalidSubmission, Submission
from scoring.registry import Resources
from scoring.speech import audio as audio_mod, store, vad


def stored_path(sub: Submission, settings: Any):
    """The stored file of `response.audio_id`, or InvalidSubmission naming the field."""
    try:
        return store.resolve(sub.response.audio_id, settings)
    except KeyError as e:
        raise InvalidSubmission.one("response.audio_id", f"{e.args[0]}: upload the audio with POST /audio first") from None


def check_reference(sub: Submission, settings: Any) -> None:
    """What loading the audio would refuse without downloading or decoding it (POST /accept): an unknown
    audio_id, an audio_url that is not http(s) or names an internal host. A stored file is kept for
    another JOB_TTL_S, since a job now depends on it."""
    r = sub.response
    if r.audio_id:
        store.touch(stored_path(sub, settings))
    elif r.audio_url:
        try:
            store.check_url(r.audio_url, settings.audio_url_allow_private)
        except store.FetchRefused as e:
            raise InvalidSubmission.one("response.audio_url", str(e)) from None


def load_audio(sub: Submission, settings: Any) -> audio_mod.Audio:
    r = sub.response
    if r.audio_id:
        field = "response.audio_id"
        path = stored_path(sub, settings)
        src = lambda: audio_mod.decode_path(path, settings)  # noqa: E731
    elif r.audio_path:
        field = "response.audio_path"
        src = lambda: audio_mod.decode_path(r.audio_path, settings)  # noqa: E731
    else:
        field = "response.audio_url"
        def src():
            try:
                data = store.fetch(r.audio_url, settings)
            except store.FetchRefused as e:
                raise InvalidSubmission.one(field, str(e)) from None
            except Exception as e:  # network errors
                raise InvalidSubmission.one(field, f"could not fetch the audio: {type(e).__name__}: {e}") from None
            return audio_mod.decode(data, settings)
    try:
        return src()
    except audio_mod.AudioError as e:
        raise InvalidSubmission.one(field, str(e)) from None


def transcribe_response(sub: Submission, resources: Resources):
    from scoring.items.speaking import Speech
    settings = resources.settings
    t0 = time.perf_counter()
    audio = load_audio(sub, settings)
    t1 = time.perf_counter()
    segs = vad.speech_segments(audio)
    speech_s = sum(b - a for a, b in segs)
    timings = {"decode_s": round(t1 - t0, 3)}
    if audio_mod.is_silent(audio, speech_s):
        sp = Speech(words=[], text="", source="audio", timed=True, audio=audio, pauses=[])
        sp.silent = f"no speech found in the recording ({audio.duration_s:.1f} s, {speech_s:.1f} s of voice activity)"
        sp.asr = {"duration_s": round(audio.duration_s, 3), "speech_s": round(speech_s, 3), **timings}
        return sp
    tr = resources.get("asr").transcribe(audio)
    dropped = drop_unvoiced(tr.words, segs)
    from scoring.items.speaking import _words_with_spans
    text = _words_with_spans(tr.words)
    sp = Speech(words=tr.words, text=text, source=f"audio ({tr.engine})", timed=True, audio=audio,
                pauses=vad.silences(segs), asr={"engine": tr.engine, "asr_s": tr.seconds, "duration_s": round(audio.duration_s, 3),
                                                "speech_s": round(speech_s, 3), "transcript": text, **timings, **tr.extra})
    sp.segments = segs
    if dropped:
        sp.asr["dropped_unvoiced_words"] = dropped
    if tr.fallback_reason:
        sp.asr["fallback_reason"] = tr.fallback_reason
        sp.warnings.append(tr.fallback_reason)
    return sp


def drop_unvoiced(words: list, segs: list[tuple[float, float]], margin_s: float = 0.25) -> list[str]:
    """Remove recognised words that overlap no voice activity (Whisper invents text on silence,
    e.g. "thanks for watching"); returns the dropped words."""
    if not segs:
        return []
    keep, dropped = [], []
    for w in words:
        if w.start is None or any(w.start < b + margin_s and w.end > a - margin_s for a, b in segs):
            keep.append(w)
        else:
            dropped.append(w.word)
    words[:] = keep
    return dropped
