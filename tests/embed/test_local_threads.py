"""The local embedder sets torch's threads itself, so it does not fight a llama.cpp server on the
same cores (issue 25, item 13). torch is replaced by a fake: only the calls matter here."""

from __future__ import annotations

import sys
import types
from typing import Any

import numpy as np
import pytest

from reasoningbank.embed import local as local_mod
from reasoningbank.embed import make_embedder


class FakeTorch(types.ModuleType):
    def __init__(self, threads: int) -> None:
        super().__init__("torch")
        self.threads = threads
        self.set_calls: list[int] = []

    def get_num_threads(self) -> int:
        return self.threads

    def set_num_threads(self, n: int) -> None:
        self.set_calls.append(n)
        self.threads = n


class FakeModel:
    def get_sentence_embedding_dimension(self) -> int:
        return 384

    def encode(self, texts: list[str], **kwargs: Any) -> np.ndarray:
        return np.ones((len(texts), 384), dtype=np.float32)


@pytest.fixture
def torch(monkeypatch: pytest.MonkeyPatch) -> FakeTorch:
    fake = FakeTorch(threads=8)
    monkeypatch.setitem(sys.modules, "torch", fake)
    monkeypatch.setattr(local_mod, "_load", lambda path, device: FakeModel())
    monkeypatch.setattr(local_mod, "default_model_path", lambda: "/model")
    monkeypatch.delenv("REASONINGBANK_EMBED_THREADS", raising=False)
    return fake


@pytest.mark.parametrize(("cpus", "expected"), [(1, 1), (2, 1), (4, 1), (8, 2), (16, 4), (64, 4), (None, 1)])
def test_the_library_way_sets_a_few_threads_by_default(
    torch: FakeTorch, monkeypatch: pytest.MonkeyPatch, cpus: int | None, expected: int
) -> None:
    monkeypatch.setattr(local_mod.os, "cpu_count", lambda: cpus)
    embedder = make_embedder("local")  # as ReasoningBank.from_config builds it
    embedder.embed_documents(["a", "b"])
    assert torch.threads == expected


def test_the_env_var_and_the_argument_set_the_threads(
    torch: FakeTorch, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("REASONINGBANK_EMBED_THREADS", "3")
    make_embedder("local").embed_query("q")
    assert torch.threads == 3
    local_mod.SentenceTransformerEmbedder(threads=2).embed_query("q")  # the argument wins
    assert torch.threads == 2


def test_zero_leaves_torch_alone(torch: FakeTorch, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("REASONINGBANK_EMBED_THREADS", "0")
    make_embedder("local").embed_query("q")
    assert torch.set_calls == [] and torch.threads == 8


@pytest.mark.parametrize("bad", ["-1", "many"])
def test_a_bad_env_value_is_one_clear_error(
    torch: FakeTorch, monkeypatch: pytest.MonkeyPatch, bad: str
) -> None:
    monkeypatch.setenv("REASONINGBANK_EMBED_THREADS", bad)
    with pytest.raises(ValueError, match="REASONINGBANK_EMBED_THREADS"):
        make_embedder("local").embed_query("q")
