"""Forced alignment and Goodness of Pronunciation with pocketsphinx 5 (the en-US model its wheel ships).

`Aligner.align(audio, words)`:
1. forced alignment of the words (`set_align_text`, then phone alignment) on the audio padded with
   0.3 s of silence, with wide beams (beam 1e-80, wbeam 1e-60, pbeam 1e-80);
2. a free phone loop (allphone search with the en-us phone LM) over the same audio;
3. the free phone string is itself force-aligned (as pseudo-words of 2-3 phones) so both scores are
   in the same units;
4. GOP per phone = (forced score - free score over the same frames) / frames, capped at 0 (a phone
   matching the free loop is as good as it gets); word GOP = mean over its phones.
Correctly pronounced words stay near 0; substituted sounds drop by 10-100.
Words missing from the dictionary are skipped (listed in `oov`). The decoders are not thread-safe:
one lock serialises them per Aligner."""
from __future__ import annotations

import os
import threading
from dataclasses import dataclass, field
from typing import Any, Optional

import numpy as np

from scoring.registry import resource
from scoring.speech.audio import Audio

PAD_S = 0.3
FRAME_S = 0.01
_SILENCE = bytes(2 * 8000)  # 0.5 s of 16-bit silence at 16 kHz (Aligner._reset_loop)
PHONES = frozenset("AA AE AH AO AW AY B CH D DH EH ER EY F G HH IH IY JH K L M N NG OW OY P R S SH T TH UH UW V W Y Z ZH".split())


@dataclass
class PhoneScore:
    phone: str
    start: float
    end: float
    gop: float


@dataclass
class WordScore:
    word: str
    index: int  # index into the word list given to align()
    start: float
    end: float
    gop: float
    phones: list[PhoneScore]


@dataclass
class AlignmentResult:
    words: list[WordScore]
    silences: list[tuple[float, float]]
    oov: list[str] = field(default_factory=list)
    seconds: float = 0.0
    pieces: int = 1  # aligned piece by piece when the answer is long (pronunciation.align_answer)


class AlignError(RuntimeError):
    pass


class Aligner:
    def __init__(self) -> None:
        import pocketsphinx as ps
        mp = ps.get_model_path()
        self._ps = ps
        self.dec = ps.Decoder(ps.Config(beam=1e-80, wbeam=1e-60, pbeam=1e-80, loglevel="FATAL", lm=None))
        self.loop = ps.Decoder(ps.Config(allphone=os.path.join(mp, "en-us-phone.lm.bin"), beam=1e-80, pbeam=1e-80,
                                         loglevel="FATAL", lm=None))
        self._pseudo: set[str] = set()
        self.lock = threading.Lock()

    def _reset_loop(self) -> None:
        """Run half a second of digital silence through the phone loop. The loop decoder carries
        state from one utterance into the next (not its CMN vector: restoring that changes nothing),
        so a word's GOP depended on the answer scored before it on the same engine: one speechocean
        clip's mean GOP was -8.6 after most clips and -10.5 after one. After silence every answer is
        decoded from the same state, the one a fresh decoder has (2 ms)."""
        self.loop.start_utt(); self.loop.process_raw(_SILENCE, full_utt=True); self.loop.end_utt()  # noqa: E702

    def known(self, word: str) -> bool:
        return self.dec.lookup_word(word) is not None

    def _pseudo_word(self, phones: list[str]) -> str:
        name = "zz_" + "_".join(phones).lower()
        if name not in self._pseudo:
            self.dec.add_word(name, " ".join(phones), False)
            self._pseudo.add(name)
        return name

    def _force(self, pcm: bytes, text: str):
        d = self.dec
        d.set_align_text(text)
        d.start_utt(); d.process_raw(pcm, full_utt=True); d.end_utt()  # noqa: E702
        d.set_alignment()
        d.start_utt(); d.process_raw(pcm, full_utt=True); d.end_utt()  # noqa: E702
        return d.get_alignment()

    def align(self, audio: Audio, words: list[str]) -> AlignmentResult:
        import time
        t0 = time.perf_counter()
        pad = np.zeros(int(PAD_S * audio.sr), dtype=np.float32)
        pcm = (np.clip(np.concatenate([pad, audio.samples, pad]), -1, 1) * 32767).astype("<i2").tobytes()
        with self.lock:
            keep, oov = [], []
            for i, w in enumerate(words):
                lw = w.lower()
                if lw and self.known(lw):
                    keep.append((i, lw))
                else:
                    oov.append(w)
            if not keep:
                raise AlignError("no word of the transcript is in the pronunciation dictionary")
            # single-phone words ("I", "a") make pocketsphinx's word search fail: join each to its
            # neighbour as one pseudo-word, and split its phones back afterwards
            units: list[tuple[str, list[tuple[int, str, int]]]] = []  # (dict word, [(word index, word, n phones)])
            pron = [(i, w, self.dec.lookup_word(w).split()) for i, w in keep]
            j = 0
            while j < len(pron):
                group = [pron[j]]
                if len(pron[j][2]) == 1 and j + 1 < len(pron):
                    group.append(pron[j + 1]); j += 1
                elif j + 1 < len(pron) and len(pron[j + 1][2]) == 1 and j + 2 == len(pron):
                    group.append(pron[j + 1]); j += 1
                j += 1
                if len(group) == 1 and len(group[0][2]) > 1:
                    units.append((group[0][1], [(group[0][0], group[0][1], len(group[0][2]))]))
                else:
                    phones = [ph for g in group for ph in g[2]]
                    units.append((self._pseudo_word(phones), [(g[0], g[1], len(g[2])) for g in group]))
            try:
                forced = self._force(pcm, " ".join(u for u, _ in units))
                self._reset_loop()
                self.loop.start_utt(); self.loop.process_raw(pcm, full_utt=True); self.loop.end_utt()  # noqa: E702
                seq = [s.word for s in self.loop.seg() if s.word in PHONES]
                groups = [seq[i:i + 3] for i in range(0, len(seq), 3)]
                if len(groups) > 1 and len(groups[-1]) < 2:
                    groups[-2] += groups.pop()
                elif len(groups) == 1 and len(groups[0]) < 2:
                    groups = []
                free_al = self._force(pcm, " ".join(self._pseudo_word(g) for g in groups)) if groups else None
            except RuntimeError as e:
                raise AlignError(f"forced alignment failed: {e}") from None
            n_frames = len(pcm) // 2 // 160 + 2
            free = np.zeros(n_frames)
            if free_al is not None:
                for ph in free_al.phones():
                    free[ph.start:ph.start + ph.duration] = ph.score / max(ph.duration, 1)
            out, sil, k = [], [], 0
            for w in forced.words():
                t_s = w.start * FRAME_S - PAD_S
                t_e = (w.start + w.duration) * FRAME_S - PAD_S
                if w.name.startswith("<") or w.name.startswith("["):
                    if w.name == "<sil>" and t_e > 0 and t_s < audio.duration_s:
                        sil.append((round(max(t_s, 0.0), 3), round(min(t_e, audio.duration_s), 3)))
                    continue
                phones = []
                for p in w:
                    f = float(free[p.start:p.start + p.duration].sum())
                    g = min(0.0, (p.score - f) / max(p.duration, 1))
                    phones.append(PhoneScore(p.name, round(p.start * FRAME_S - PAD_S, 3),
                                             round((p.start + p.duration) * FRAME_S - PAD_S, 3), round(g, 2)))
                members = units[k][1] if k < len(units) else [(-1, w.name.split("(")[0], len(phones))]
                k += 1
                pos = 0
                for idx, word, n in members:
                    ph = phones[pos:pos + n]
                    pos += n
                    if not ph:
                        continue
                    gop = float(np.mean([p.gop for p in ph]))
                    out.append(WordScore(word, idx, round(max(ph[0].start, 0.0), 3), round(ph[-1].end, 3), round(gop, 2), ph))
        return AlignmentResult(out, sil, oov, round(time.perf_counter() - t0, 3))


@resource("aligner")
def _load(settings: Any) -> Aligner:
    return Aligner()
