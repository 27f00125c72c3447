"""SentenceTransformerEmbedder with the real all-MiniLM-L6-v2 shipped by a PyPI package."""

from __future__ import annotations

import builtins
from typing import Any

import numpy as np
import pytest

from reasoningbank.embed import PAPER_QUERY_INSTRUCTION, Embedder, instruct_query
from reasoningbank.embed import local as embed_local
from reasoningbank.embed.local import (
    LocalEmbedderUnavailableError,
    SentenceTransformerEmbedder,
    default_model_path,
)

pytest.importorskip("sentence_transformers")


@pytest.fixture(scope="module")
def emb() -> SentenceTransformerEmbedder:
    return SentenceTransformerEmbedder()


def test_identity_without_loading() -> None:
    e = SentenceTransformerEmbedder()
    assert isinstance(e, Embedder)
    assert e.name == "all-MiniLM-L6-v2"
    assert e.dim == 384
    assert (default_model_path() / "model.safetensors").is_file()


def test_unit_vectors(emb: SentenceTransformerEmbedder) -> None:
    vecs = emb.embed_documents(["click the submit button", "type the password"])
    assert vecs.shape == (2, 384)
    assert vecs.dtype == np.float32
    np.testing.assert_allclose(np.linalg.norm(vecs, axis=1), 1.0, atol=1e-5)
    q = emb.embed_query("press submit")
    assert q.shape == (384,)
    assert emb.embed_documents([]).shape == (0, 384)


def test_similar_sentences_score_higher(emb: SentenceTransformerEmbedder) -> None:
    a, b, c = emb.embed_documents(
        [
            "Buy a pair of running shoes in the online store",
            "Purchase sneakers for jogging from the web shop",
            "The capital of France is Paris",
        ]
    )
    assert float(a @ b) > float(a @ c) + 0.2


def test_batch_equals_one_by_one(emb: SentenceTransformerEmbedder) -> None:
    texts = [f"task {i}: " + "open the settings and change the email " * (i % 3 + 1) for i in range(100)]
    batched = emb.embed_documents(texts)
    single = np.stack([emb.embed_documents([t])[0] for t in texts])
    np.testing.assert_allclose(batched, single, atol=1e-5)


def test_query_instruction(emb: SentenceTransformerEmbedder) -> None:
    plain = emb.embed_query("find the cheapest flight")
    inst = SentenceTransformerEmbedder(query_instruction=PAPER_QUERY_INSTRUCTION)
    prefixed = inst.embed_query("find the cheapest flight")
    expected = emb.embed_documents([instruct_query("find the cheapest flight", PAPER_QUERY_INSTRUCTION)])[0]
    np.testing.assert_allclose(prefixed, expected, atol=1e-6)
    assert float(plain @ prefixed) < 0.999
    # documents are never prefixed
    np.testing.assert_allclose(inst.embed_documents(["x y"]), emb.embed_documents(["x y"]), atol=1e-6)


def test_model_cached_per_process(emb: SentenceTransformerEmbedder) -> None:
    other = SentenceTransformerEmbedder()
    assert other._model() is emb._model()


def test_missing_dependency_names_the_extra(monkeypatch: pytest.MonkeyPatch) -> None:
    real_import = builtins.__import__

    def fake_import(name: str, *args: Any, **kwargs: Any) -> Any:
        if name.startswith("sentence_transformers"):
            raise ImportError("No module named 'sentence_transformers'")
        return real_import(name, *args, **kwargs)

    monkeypatch.setattr(builtins, "__import__", fake_import)
    monkeypatch.setattr(embed_local, "_cache", {})
    with pytest.raises(LocalEmbedderUnavailableError, match=r"reasoningbank\[local\]"):
        SentenceTransformerEmbedder().embed_documents(["x"])


def test_missing_model_package_names_the_extra(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(embed_local, "DEFAULT_MODEL_PACKAGE", "no_such_package_xyz")
    with pytest.raises(LocalEmbedderUnavailableError, match=r"reasoningbank\[local\]"):
        default_model_path()
