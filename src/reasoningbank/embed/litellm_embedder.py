"""An :class:`~reasoningbank.embed.Embedder` backed by ``litellm.embedding``.

Works with hosted embedding models (``"text-embedding-3-small"``,
``"gemini/gemini-embedding-001"``) and with OpenAI-compatible servers at an
``api_base`` (a bare model name is sent as ``openai/<model>``). The connection
is an :class:`~reasoningbank.llm.endpoint.Endpoint`, as for the chat client:
every request passes the real-call guard and, for a hosted model, the API-key
check; transient failures are retried with backoff.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Unpack

import numpy as np

from ..llm.endpoint import Connection, Endpoint, EndpointBound
from ..llm.retry import LLMCallError
from .base import Vectors, instruct_query, l2_normalise

_WHAT = "embedding model"  # how errors name the model


class LiteLLMEmbedder(EndpointBound):
    """Embeds through LiteLLM; returns L2-normalised float32 rows.

    ``model`` is a model name, with the connection settings of
    :class:`~reasoningbank.llm.endpoint.Connection` as keywords (as for
    :class:`~reasoningbank.llm.litellm_client.LiteLLMClient`, but ``timeout``
    defaults to 60 s), or an :class:`~reasoningbank.llm.endpoint.Endpoint`, whose
    fields those keywords then replace. The result is ``self.endpoint``.

    ``dim`` is the expected vector size: a response of another size raises. When
    ``dim`` is None it is learnt from the first response (reading ``.dim`` before
    any embedding makes one probe call). ``name`` defaults to the model string.
    ``query_instruction`` (e.g. :data:`reasoningbank.embed.PAPER_QUERY_INSTRUCTION`)
    prefixes queries as in the paper; documents are embedded as they are.
    """

    def __init__(
        self,
        model: str | Endpoint,
        *,
        dim: int | None = None,
        batch_size: int = 128,
        query_instruction: str | None = None,
        name: str | None = None,
        **connection: Unpack[Connection],
    ) -> None:
        if dim is not None and dim <= 0:
            raise ValueError("dim must be positive")
        if batch_size <= 0:
            raise ValueError("batch_size must be positive")
        self.endpoint = Endpoint.of(model, connection, timeout=60)
        self.batch_size = batch_size
        self.query_instruction = query_instruction
        self.name = name or self.endpoint.model
        self._dim = dim

    def __repr__(self) -> str:
        return f"LiteLLMEmbedder(model={self.model!r}, api_base={self.api_base!r}, dim={self._dim})"

    @property
    def dim(self) -> int:
        if self._dim is None:
            self.embed_documents(["dimension probe"])
        assert self._dim is not None
        return self._dim

    def _embed_batch(self, batch: list[str]) -> Vectors:
        kwargs = self.endpoint.request(input=batch)
        resp = self.endpoint.call(lambda litellm: litellm.embedding(**kwargs), what=_WHAT)
        where = self.endpoint.describe(_WHAT)
        rows = _rows(resp)
        if len(rows) != len(batch):
            raise LLMCallError(
                f"{where} returned {len(rows)} vectors for {len(batch)} texts",
                attempts=1,
                retryable=False,
            )
        mat = np.asarray(rows, dtype=np.float32)
        if mat.ndim != 2:
            raise LLMCallError(f"{where} returned ragged vectors", attempts=1, retryable=False)
        if self._dim is None:
            self._dim = int(mat.shape[1])
        elif mat.shape[1] != self._dim:
            raise ValueError(
                f"{where} returned {mat.shape[1]}-d vectors but the embedder was "
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
