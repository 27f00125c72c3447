"""An :class:`~reasoningbank.embed.Embedder` backed by ``litellm.embedding``.

Works with hosted embedding models (``"text-embedding-3-small"``,
``"gemini/gemini-embedding-001"``) and with OpenAI-compatible servers at an
``api_base`` (a bare model name is sent as ``openai/<model>``). Every request
passes the real-call guard; transient failures are retried with backoff.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from ..llm import check_real_call
from ..llm.litellm_base import DUMMY_API_KEY, import_litellm, resolve_model
from ..llm.retry import LLMCallError, call_with_retries
from .base import Vectors, instruct_query, l2_normalise


class LiteLLMEmbedder:
    """Embeds through LiteLLM; returns L2-normalised float32 rows.

    ``dim`` is the expected vector size: a response of another size raises. When
    ``dim`` is None it is learnt from the first response (reading ``.dim`` before
    any embedding makes one probe call). ``name`` defaults to the model string.
    ``query_instruction`` (e.g. :data:`reasoningbank.embed.PAPER_QUERY_INSTRUCTION`)
    prefixes queries as in the paper; documents are embedded as they are.
    """

    def __init__(
        self,
        model: str,
        *,
        dim: int | None = None,
        api_base: str | None = None,
        api_key: str | None = None,
        timeout: float = 60,
        max_retries: int = 3,
        backoff: float = 1.0,
        batch_size: int = 128,
        query_instruction: str | None = None,
        name: str | None = None,
        extra: dict[str, Any] | None = None,
    ) -> None:
        if not model:
            raise ValueError("LiteLLMEmbedder needs a model name")
        if dim is not None and dim <= 0:
            raise ValueError("dim must be positive")
        if batch_size <= 0:
            raise ValueError("batch_size must be positive")
        self.model = model
        self.api_base = api_base.rstrip("/") if api_base else None
        self.api_key = api_key
        self.timeout = timeout
        self.max_retries = max_retries
        self.backoff = backoff
        self.batch_size = batch_size
        self.query_instruction = query_instruction
        self.name = name or model
        self.extra: dict[str, Any] = dict(extra or {})
        self._dim = dim

    def __repr__(self) -> str:
        return f"LiteLLMEmbedder(model={self.model!r}, api_base={self.api_base!r}, dim={self._dim})"

    @property
    def dim(self) -> int:
        if self._dim is None:
            self.embed_documents(["dimension probe"])
        assert self._dim is not None
        return self._dim

    def _where(self) -> str:
        return f"embedding model {self.model!r}" + (f" at {self.api_base}" if self.api_base else "")

    def _kwargs(self, batch: list[str]) -> dict[str, Any]:
        routed = resolve_model(self.model, self.api_base)
        kwargs: dict[str, Any] = {
            "model": routed,
            "input": batch,
            "timeout": self.timeout,
            "num_retries": 0,
            "max_retries": 0,
        }
        if self.api_base:
            kwargs["api_base"] = self.api_base
        api_key = self.api_key
        if api_key is None and self.api_base and routed.startswith("openai/"):
            api_key = DUMMY_API_KEY
        if api_key is not None:
            kwargs["api_key"] = api_key
        kwargs.update(self.extra)
        return kwargs

    def _embed_batch(self, batch: list[str]) -> Vectors:
        check_real_call(self._where())
        litellm = import_litellm()
        kwargs = self._kwargs(batch)
        resp = call_with_retries(
            lambda: litellm.embedding(**kwargs),
            where=self._where(),
            max_retries=self.max_retries,
            backoff=self.backoff,
        )
        rows = _rows(resp)
        if len(rows) != len(batch):
            raise LLMCallError(
                f"{self._where()} returned {len(rows)} vectors for {len(batch)} texts",
                attempts=1,
                retryable=False,
            )
        mat = np.asarray(rows, dtype=np.float32)
        if mat.ndim != 2:
            raise LLMCallError(f"{self._where()} returned ragged vectors", attempts=1, retryable=False)
        if self._dim is None:
            self._dim = int(mat.shape[1])
        elif mat.shape[1] != self._dim:
            raise ValueError(
                f"{self._where()} returned {mat.shape[1]}-d vectors but the embedder was "
                f"configured with dim={self._dim}"
            )
        return l2_normalise(mat)

    def embed_documents(self, texts: Sequence[str]) -> Vectors:
        if not texts:
            return np.zeros((0, self._dim or 0), dtype=np.float32)
        items = list(texts)
        parts = [
            self._embed_batch(items[i : i + self.batch_size]) for i in range(0, len(items), self.batch_size)
        ]
        out: Vectors = np.concatenate(parts, axis=0)
        return out

    def embed_query(self, text: str) -> Vectors:
        if self.query_instruction:
            text = instruct_query(text, self.query_instruction)
        row: Vectors = self.embed_documents([text])[0]
        return row


def _rows(resp: Any) -> list[list[float]]:
    data = resp["data"] if isinstance(resp, dict) else getattr(resp, "data", None)
    if data is None:
        raise LLMCallError(f"embedding response has no data: {resp!r}", attempts=1, retryable=False)
    entries: list[tuple[int, list[float]]] = []
    for pos, entry in enumerate(data):
        if isinstance(entry, dict):
            idx, vec = entry.get("index", pos), entry.get("embedding")
        else:
            idx, vec = getattr(entry, "index", pos), getattr(entry, "embedding", None)
        if vec is None:
            raise LLMCallError(f"embedding entry {pos} has no vector", attempts=1, retryable=False)
        entries.append((int(idx), list(vec)))
    entries.sort(key=lambda e: e[0])
    return [vec for _, vec in entries]
