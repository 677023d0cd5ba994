"""Audio in: decoding, storage and upload limits, SSRF rules, ASR (local and an AssemblyAI-protocol
server on 127.0.0.1 with fallback), alignment/GOP, and spoken scoring of synthetic speech (flite + sox)."""
from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
from starlette.applications import Starlette
from starlette.testclient import TestClient

from scoring.engine import Engine
from scoring.models import InvalidSubmission
from scoring.settings import Settings
from scoring.speech import asr as asr_mod, audio as audio_mod, http as speech_http, store

pytestmark = pytest.mark.skipif(not (shutil.which("flite") and shutil.which("sox") and shutil.which("ffmpeg")),
                                reason="needs flite, sox and ffmpeg (scripts/apt-packages.txt)")

TEXT = "The students collected samples from the river every morning for three weeks."
SKIPPED = "The students collected from the river for three weeks."
SUBST = "The teachers collected apples from the liver every evening for three weeks."


def sh(cmd: list[str]) -> None:
    subprocess.run(cmd, check=True, capture_output=True)


@pytest.fixture(scope="module")
def wavs(tmp_path_factory) -> dict[str, Path]:
    d = tmp_path_factory.mktemp("speech")
    out = {}
    for name, text, voice in [("clean", TEXT, "slt"), ("skipped", SKIPPED, "slt"), ("subst", SUBST, "slt"),
                              ("rms", TEXT, "rms"), ("p1", "The students collected samples from the river", "slt"),
                              ("p2", "every morning for three weeks.", "slt")]:
        out[name] = d / f"{name}.wav"
        sh(["flite", "-voice", voice, "-t", text, "-o", str(out[name])])
    # long pauses: the same reading split in two with 2.5 s of silence between, and again after
    out["paused"] = d / "paused.wav"
    sil = d / "sil.wav"
    sh(["sox", "-n", "-r", "16000", "-c", "1", "-b", "16", str(sil), "trim", "0", "2.5"])
    sh(["sox", str(out["p1"]), str(sil), str(out["p2"]), str(out["paused"])])
    out["silent"] = d / "silent.wav"
    sh(["sox", "-n", "-r", "16000", "-c", "1", "-b", "16", str(out["silent"]), "trim", "0", "3"])
    for fmt, args in [("mp3", []), ("ogg", ["-c:a", "libvorbis"]), ("webm", ["-c:a", "libopus"]), ("m4a", ["-c:a", "aac"])]:
        out[fmt] = d / f"clean.{fmt}"
        sh(["ffmpeg", "-y", "-loglevel", "error", "-i", str(out["clean"]), *args, str(out[fmt])])
    return out


@pytest.fixture(scope="module")
def settings(tmp_path_factory) -> Settings:
    return Settings(audio_dir=str(tmp_path_factory.mktemp("audio")), assemblyai_api_key=None)


@pytest.fixture(scope="module")
def engine(settings) -> Engine:
    e = Engine(settings)
    e.resources.load_all(["asr", "aligner", "embedder"])
    return e


def ra(engine, path, text=TEXT):
    return engine.score({"item_type": "read_aloud", "response": {"audio_path": str(path)}, "item": {"reference_text": text}})


# ---------------------------------------------------------------- decoding

def test_decodes_every_format(wavs, settings):
    ref = audio_mod.decode_path(wavs["clean"], settings)
    assert ref.sr == 16000 and 3 < ref.duration_s < 8
    for fmt in ("mp3", "ogg", "webm", "m4a"):
        a = audio_mod.decode_path(wavs[fmt], settings)
        assert a.format == fmt and abs(a.duration_s - ref.duration_s) < 0.15, fmt


def test_decode_errors(wavs, settings):
    with pytest.raises(audio_mod.AudioError) as e:
        audio_mod.decode(b"hello, this is not audio at all" * 10, settings)
    assert e.value.status == 415
    good = wavs["clean"].read_bytes()
    with pytest.raises(audio_mod.AudioError) as e:
        audio_mod.decode(good[:44] + bytes(range(256)) * 4, settings.model_copy(update={}), "audio/wav")
    assert e.value.status in (422,) or e.value.status == 422
    with pytest.raises(audio_mod.AudioError) as e:
        audio_mod.decode(b"ID3" + b"\x00" * 500, settings)
    assert e.value.status == 422
    with pytest.raises(audio_mod.AudioError) as e:
        audio_mod.decode(good, settings, "text/plain")
    assert e.value.status == 415
    with pytest.raises(audio_mod.AudioError) as e:
        audio_mod.decode(good, settings.model_copy(update={"audio_max_bytes": 1000}))
    assert e.value.status == 413
    with pytest.raises(audio_mod.AudioError) as e:
        audio_mod.decode(good, settings.model_copy(update={"audio_max_seconds": 1.0}))
    assert e.value.status == 413 and "longer" in str(e.value)


# ---------------------------------------------------------------- upload routes and store

def app_for(settings: Settings) -> TestClient:
    app = Starlette(routes=speech_http.routes)
    app.state.settings = settings
    return TestClient(app)


def test_upload_store_and_limits(wavs, settings, engine):
    c = app_for(settings)
    r = c.post("/audio", content=wavs["clean"].read_bytes(), headers={"content-type": "audio/wav"})
    assert r.status_code == 201, r.text
    info = r.json()
    assert info["format"] == "wav" and info["duration_s"] > 3 and len(info["audio_id"]) == 32
    assert store.resolve(info["audio_id"], settings).is_file()
    r2 = c.post("/audio", content=wavs["mp3"].read_bytes(), headers={"content-type": "audio/mpeg"})
    assert r2.status_code == 201 and r2.json()["audio_id"] != info["audio_id"]
    assert c.post("/audio", content=b"not audio" * 50, headers={"content-type": "audio/wav"}).status_code == 415
    assert c.post("/audio", content=wavs["clean"].read_bytes(), headers={"content-type": "text/html"}).status_code == 415
    assert c.post("/audio", content=b"RIFF\x00\x00\x00\x00WAVEfmt " + b"\xff" * 300,
                  headers={"content-type": "audio/wav"}).status_code == 422
    small = app_for(settings.model_copy(update={"audio_max_bytes": 2000}))
    r = small.post("/audio", content=wavs["clean"].read_bytes(), headers={"content-type": "audio/wav"})
    assert r.status_code == 413 and r.json()["errors"][0]["field"] == "body"
    for bad in ("../../etc/passwd", "x" * 32, "A" * 31):
        with pytest.raises(KeyError):
            store.resolve(bad, settings)
    # scoring by id
    res = engine.score({"item_type": "read_aloud", "response": {"audio_id": info["audio_id"]}, "item": {"reference_text": TEXT}})
    assert res.traits["content"].score >= 10
    with pytest.raises(InvalidSubmission) as e:
        engine.score({"item_type": "read_aloud", "response": {"audio_id": "A" * 32}, "item": {"reference_text": TEXT}})
    assert e.value.errors[0].field == "response.audio_id"


class _Files(BaseHTTPRequestHandler):
    files: dict[str, bytes] = {}

    def do_GET(self):
        if self.path == "/redirect":
            self.send_response(302)
            self.send_header("Location", "/clean.wav")
            self.end_headers()
            return
        data = self.files.get(self.path)
        self.send_response(200 if data else 404)
        self.send_header("Content-Type", "audio/wav")
        self.send_header("Content-Length", str(len(data or b"")))
        self.end_headers()
        self.wfile.write(data or b"")

    def log_message(self, *a):
        pass


@pytest.fixture(scope="module")
def file_server(wavs):
    _Files.files = {"/clean.wav": wavs["clean"].read_bytes()}
    srv = ThreadingHTTPServer(("127.0.0.1", 0), _Files)
    threading.Thread(target=srv.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{srv.server_address[1]}"
    srv.shutdown()
    srv.server_close()


def test_ssrf_refused_by_default_allowed_when_configured(file_server, settings, engine):
    url = f"{file_server}/clean.wav"
    c = app_for(settings)
    r = c.post("/audio/fetch", json={"url": url})
    assert r.status_code == 422 and "loopback" in r.json()["errors"][0]["message"]
    for bad in ("file:///etc/passwd", "http://169.254.169.254/latest/meta-data", "http://[::1]/x.wav", "http://10.0.0.1/a.wav"):
        assert c.post("/audio/fetch", json={"url": bad}).status_code == 422, bad
    with pytest.raises(InvalidSubmission) as e:
        engine.score({"item_type": "read_aloud", "response": {"audio_url": url}, "item": {"reference_text": TEXT}})
    assert e.value.errors[0].field == "response.audio_url" and "private" in e.value.errors[0].message
    allow = settings.model_copy(update={"audio_url_allow_private": True})
    r = app_for(allow).post("/audio/fetch", json={"url": f"{file_server}/redirect"})
    assert r.status_code == 201 and r.json()["format"] == "wav"
    r = app_for(allow.model_copy(update={"audio_max_bytes": 5000})).post("/audio/fetch", json={"url": url})
    assert r.status_code == 413


# ---------------------------------------------------------------- AssemblyAI protocol server

class _AAI(BaseHTTPRequestHandler):
    mode = "ok"
    polls: dict[str, int] = {}
    seen: list[str] = []

    def _json(self, code, obj):
        body = json.dumps(obj).encode()
        self.send_response(code)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def do_POST(self):
        n = int(self.headers.get("Content-Length") or 0)
        data = self.rfile.read(n) if n else b""
        if "chunked" in (self.headers.get("Transfer-Encoding") or ""):
            while True:
                size = int(self.rfile.readline().strip(), 16)
                if not size:
                    self.rfile.readline()
                    break
                data += self.rfile.read(size)
                self.rfile.readline()
        _AAI.seen.append(f"POST {self.path} {self.headers.get('Authorization')}")
        if self.path == "/v2/upload":
            if _AAI.mode == "upload_500":
                return self._json(500, {"error": "upload broke"})
            return self._json(200, {"upload_url": "https://cdn.example/upload/abc"})
        if self.path == "/v2/transcript":
            req = json.loads(data)
            assert req["audio_url"].endswith("/abc") and req.get("disfluencies") is True
            _AAI.polls["t1"] = 0
            return self._json(200, {"id": "t1", "status": "queued", "audio_url": req["audio_url"]})
        self._json(404, {"error": "not found"})

    def do_GET(self):
        _AAI.seen.append(f"GET {self.path}")
        if self.path.startswith("/v2/transcript/t1"):
            _AAI.polls["t1"] += 1
            if _AAI.polls["t1"] < 2:
                return self._json(200, {"id": "t1", "status": "processing", "audio_url": "x"})
            if _AAI.mode == "transcript_error":
                return self._json(200, {"id": "t1", "status": "error", "audio_url": "x", "error": "audio too noisy"})
            words = [{"text": w, "start": 200 + 280 * i, "end": 450 + 280 * i, "confidence": 0.97}
                     for i, w in enumerate("um the students collected samples from the river every morning for three weeks".split())]
            return self._json(200, {"id": "t1", "status": "completed", "audio_url": "x", "text": " ".join(w["text"] for w in words),
                                    "words": words})
        self._json(404, {"error": "not found"})

    def log_message(self, *a):
        pass


@pytest.fixture(scope="module")
def aai_server():
    srv = ThreadingHTTPServer(("127.0.0.1", 0), _AAI)
    threading.Thread(target=srv.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{srv.server_address[1]}"
    srv.shutdown()
    srv.server_close()


def test_assemblyai_and_fallback(aai_server, settings, wavs):
    from scoring.speech.asr import ASR
    s = settings.model_copy(update={"assemblyai_api_key": "test-key", "assemblyai_base_url": aai_server})
    asr = ASR(s)
    a = audio_mod.decode_path(wavs["clean"], s)
    _AAI.mode, _AAI.seen[:] = "ok", []
    t = asr.transcribe(a)
    assert t.engine == "assemblyai" and t.fallback_reason is None
    assert t.words[0].word == "um" and t.words[1].start == 0.48
    assert any(x.startswith("POST /v2/upload test-key") for x in _AAI.seen) and any(x.startswith("GET /v2/transcript/t1") for x in _AAI.seen)
    e = Engine(s)
    r = e.score({"item_type": "read_aloud", "response": {"audio_path": str(wavs["clean"])}, "item": {"reference_text": TEXT}})
    assert r.traits["content"].score == 12 and r.traits["oral_fluency"].evidence["fillers"] == 1
    assert r.traits["content"].evidence["asr"]["engine"] == "assemblyai"
    for mode in ("transcript_error", "upload_500"):
        _AAI.mode = mode
        t = asr.transcribe(a)
        assert t.engine.startswith("faster-whisper") and "AssemblyAI failed" in t.fallback_reason, mode
        assert len(t.words) >= 10
    _AAI.mode = "transcript_error"
    r = e.score({"item_type": "read_aloud", "response": {"audio_path": str(wavs["clean"])}, "item": {"reference_text": TEXT}})
    assert any("audio too noisy" in w for w in r.warnings)
    dead = ASR(s.model_copy(update={"assemblyai_base_url": "http://127.0.0.1:9"}))
    t = dead.transcribe(a)
    assert t.engine.startswith("faster-whisper") and "AssemblyAI failed" in t.fallback_reason


# ---------------------------------------------------------------- the same transcript on every x86 host

WHISPER = ("import sys; from scoring.settings import Settings; from scoring.speech import audio; "
           "from scoring.speech.asr import LocalWhisper; "
           "w = LocalWhisper('tiny.en', cpu_isa=sys.argv[2]); "
           "print('WORDS', ' '.join(x.word for x in w.transcribe(audio.decode(open(sys.argv[1], 'rb').read(), Settings())).words))")


def _whisper_isa(wav: Path, isa: str) -> tuple[str, str]:
    """Transcribe in a fresh process (the ISA is fixed at a library's first use): (words, oneDNN's ISA line)."""
    env = {k: v for k, v in os.environ.items() if k not in ("CT2_FORCE_CPU_ISA", "ONEDNN_MAX_CPU_ISA")}
    out = subprocess.run([sys.executable, "-c", WHISPER, str(wav), isa], env={**env, "ONEDNN_VERBOSE": "1"},
                         capture_output=True, text=True, timeout=120, cwd=Path(__file__).resolve().parents[1]).stdout
    words = next(line[6:] for line in out.splitlines() if line.startswith("WORDS "))
    return words, next((line for line in out.splitlines() if ",info,cpu,isa:" in line), "")


@pytest.mark.skipif("avx2" not in asr_mod._cpu_flags(), reason="an x86 CPU with AVX2")
def test_whisper_computes_as_an_avx2_host_unless_told_otherwise(wavs):
    words, isa = _whisper_isa(wavs["clean"], "AVX2")
    assert isa.endswith("isa:Intel AVX2"), isa  # oneDNN's GEMMs capped, whatever wider instructions the CPU has
    assert "collected" in words
    native_words, native_isa = _whisper_isa(wavs["clean"], "native")
    assert native_isa and "collected" in native_words  # the widest instructions the CPU has (AVX2 on an AVX2 host)


def test_pin_cpu_isa_keeps_what_the_environment_says(monkeypatch):
    monkeypatch.setattr(asr_mod, "_cpu_flags", lambda: {"avx2", "sse4_1"})
    monkeypatch.setattr(asr_mod.platform, "machine", lambda: "x86_64")
    monkeypatch.delenv("CT2_FORCE_CPU_ISA", raising=False)
    monkeypatch.setenv("ONEDNN_MAX_CPU_ISA", "AVX512_CORE")
    assert asr_mod.pin_cpu_isa("AVX2")
    assert os.environ["CT2_FORCE_CPU_ISA"] == "AVX2" and os.environ["ONEDNN_MAX_CPU_ISA"] == "AVX512_CORE"


@pytest.mark.parametrize("isa,machine,flags", [("native", "x86_64", {"avx2"}), ("AVX2", "aarch64", set()),
                                               ("AVX2", "x86_64", {"avx"})])
def test_pin_cpu_isa_only_where_the_cpu_has_avx2(monkeypatch, isa, machine, flags):
    monkeypatch.setattr(asr_mod, "_cpu_flags", lambda: flags)
    monkeypatch.setattr(asr_mod.platform, "machine", lambda: machine)
    monkeypatch.delenv("CT2_FORCE_CPU_ISA", raising=False)
    monkeypatch.delenv("ONEDNN_MAX_CPU_ISA", raising=False)
    assert not asr_mod.pin_cpu_isa(isa)
    assert "CT2_FORCE_CPU_ISA" not in os.environ and "ONEDNN_MAX_CPU_ISA" not in os.environ


# ---------------------------------------------------------------- scoring synthetic speech

def test_clean_reading_beats_degraded_ones(engine, wavs):
    clean = ra(engine, wavs["clean"])
    assert clean.traits["content"].score >= 12, clean.traits["content"].evidence
    assert clean.traits["oral_fluency"].score >= 4 and clean.traits["pronunciation"].score >= 4
    assert clean.estimate is not None
    paused, skipped, subst = ra(engine, wavs["paused"]), ra(engine, wavs["skipped"]), ra(engine, wavs["subst"])
    assert paused.traits["oral_fluency"].score <= 2 < clean.traits["oral_fluency"].score
    lp = [f for f in paused.traits["oral_fluency"].evidence["findings"] if f["kind"] == "long_pause"]
    assert len(lp) == 1 and 1.5 < lp[0]["time"] < 4
    assert skipped.traits["content"].evidence["omitted"] >= 2
    assert subst.traits["content"].evidence["replaced"] >= 2
    for r in (paused, skipped, subst):
        assert r.score < clean.score
    other = ra(engine, wavs["rms"])
    assert other.traits["content"].score >= 11


LONG = ("Urban gardens have become a common sight in many large cities over the past two decades. They give "
        "people who live in apartments a place to grow fresh vegetables, and they bring neighbours together. "
        "However, they also need water, time and careful planning, and many of them depend on volunteers.")


def test_a_long_answer_is_aligned_in_pieces_and_scored_like_a_short_one(engine, tmp_path):
    """A ~20 s reading is aligned piece by piece (GOP is calibrated on clips of a few seconds):
    a clean reading still gets high pronunciation and fluency, with word times across the whole answer."""
    wav = tmp_path / "long.wav"
    sh(["flite", "-voice", "slt", "-t", LONG, "-o", str(wav)])
    r = ra(engine, wav, LONG)
    pron, flu = r.traits["pronunciation"], r.traits["oral_fluency"]
    assert pron.evidence["align_pieces"] >= 2 and pron.score >= 4 and flu.score >= 4, (pron.evidence, flu.evidence)
    starts = [w["start"] for w in pron.evidence["words"]]
    assert starts == sorted(starts) and starts[-1] > 12
    assert pron.evidence["words_aligned"] >= 0.9 * len(LONG.split())


def test_gop_flags_substituted_sounds(engine, wavs, settings):
    aligner = engine.resources.get("aligner")
    words = TEXT.lower().rstrip(".").split()
    good = aligner.align(audio_mod.decode_path(wavs["clean"], settings), words)
    bad = aligner.align(audio_mod.decode_path(wavs["subst"], settings), words)
    g = {w.word: w.gop for w in good.words}
    b = {w.word: w.gop for w in bad.words}
    assert len(good.words) == len(words)
    # teachers/students, apples/samples, liver/river, evening/morning were said instead
    for w in ("students", "samples", "river", "morning"):
        assert b[w] < g[w] - 3, (w, b[w], g[w])
    assert sum(g.values()) / len(g) > sum(b.values()) / len(b)


def test_alignment_does_not_depend_on_the_answer_aligned_before(tmp_path, settings):
    """pocketsphinx's phone loop carried state from one utterance into the next: before
    Aligner._reset_loop, a reading's GOPs changed with the reading aligned before it (this failed)."""
    from itertools import permutations

    from scoring.speech.align import Aligner
    takes = {}
    for voice in ("rms", "awb"):
        for name, text in (("read", TEXT), ("subst", SUBST)):
            path = tmp_path / f"{name}_{voice}.wav"
            sh(["flite", "-voice", voice, "-t", text, "-o", str(path)])
            takes[path.stem] = (audio_mod.decode_path(path, settings), text.lower().rstrip(".").split())

    def gops(aligner, name):
        return [w.gop for w in aligner.align(*takes[name]).words]
    fresh = {name: gops(Aligner(), name) for name in takes}
    aligner = Aligner()
    for before, name in permutations(takes, 2):
        gops(aligner, before)
        assert gops(aligner, name) == fresh[name], (name, "after", before)


def test_silent_audio_scores_zero_with_reason(engine, wavs):
    r = ra(engine, wavs["silent"])
    assert r.score == 0 and all(t.score == 0 for t in r.traits.values())
    assert "no speech" in r.traits["content"].feedback and any("silent" in w for w in r.warnings)


def test_open_items_from_audio(engine, wavs):
    r = engine.score({"item_type": "retell_lecture", "response": {"audio_path": str(wavs["clean"])},
                      "item": {"key_points": ["students collected river samples", "every morning for three weeks"]}})
    assert r.traits["content"].score >= 3 and r.traits["pronunciation"].scored and r.traits["oral_fluency"].scored
    r = engine.score({"item_type": "answer_short_question", "response": {"audio_path": str(wavs["clean"])},
                      "item": {"answer_key": ["three weeks"]}})
    assert r.score == 1


def test_words_with_audio_score_pronunciation(engine, wavs):
    words = [{"word": w, "start": 0.3 + 0.35 * i, "end": 0.6 + 0.35 * i} for i, w in enumerate(TEXT.rstrip(".").split())]
    r = engine.score({"item_type": "read_aloud", "response": {"words": words, "audio_path": str(wavs["clean"])},
                      "item": {"reference_text": TEXT}})
    assert r.traits["content"].score == 12 and r.traits["pronunciation"].scored
    assert r.traits["content"].evidence["transcript_source"] == "timed words"


def test_engine_server_upload_then_score(engine, settings, wavs):
    """Through the engine server's app (scoring/server.py mounts these routes): upload, then score by id."""
    from scoring.server import create_app
    s = settings.model_copy(update={"engine_preload": False})
    with TestClient(create_app(s, engine)) as c:
        up = c.post("/audio", content=wavs["webm"].read_bytes(), headers={"content-type": "audio/webm"})
        assert up.status_code == 201 and up.json()["format"] == "webm"
        r = c.post("/score", json={"item_type": "repeat_sentence", "item": {"reference_text": TEXT},
                                   "response": {"audio_id": up.json()["audio_id"]}})
        assert r.status_code == 200, r.text
        body = r.json()
        assert body["traits"]["content"]["score"] >= 2 and body["traits"]["pronunciation"]["scored"]
        bad = c.post("/score", json={"item_type": "repeat_sentence", "item": {"reference_text": TEXT},
                                     "response": {"audio_id": "nope"}})
        assert bad.status_code == 422 and bad.json()["errors"][0]["field"] == "response.audio_id"
