"""Unit tests for the text features (real models, no mocks)."""
from __future__ import annotations

import numpy as np
import pytest

from scoring.features import similarity


@pytest.fixture(scope="module")
def embedder():
    return similarity.load_embedder()


def test_embeddings_are_unit_and_semantic(embedder):
    src = "Climate change is driven by greenhouse gas emissions from burning fossil fuels."
    vecs = embedder.embed([src, "Burning coal and oil releases gases that warm the planet.",
                           "I like to eat pizza on Fridays with my friends."])
    assert vecs.shape == (3, similarity.DIM)
    assert np.allclose(np.linalg.norm(vecs, axis=1), 1.0, atol=1e-4)
    assert similarity.cosine(vecs[0], vecs[1]) > similarity.cosine(vecs[0], vecs[2]) + 0.3


def test_embed_cache_gives_identical_vectors(embedder):
    a = embedder.embed(["the same text", "another"])
    b = embedder.embed(["another", "the same text"])
    assert np.allclose(a[0], b[1]) and np.allclose(a[1], b[0])


def test_missing_model_file_is_reported(tmp_path):
    with pytest.raises(FileNotFoundError):
        similarity.load_embedder(model_path=tmp_path / "nope.onnx")
