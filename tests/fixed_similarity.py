"""An embedder with known similarities: a stored task, a task of the same kind at cosine 0.64, others at 0."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from reasoningbank.embed import Vectors

STORED = "fix the date parser that rejects UTC timestamps"
SAME_KIND = "make the timestamp tests pass again"  # cosine 0.64 to STORED
TITLE = "Parse Z as UTC"


class FixedEmbedder:
    """``STORED`` is e1, ``SAME_KIND`` is 0.64 e1 + 0.768 e2 (cosine 0.64), every other text e3.

    Texts are matched by a phrase that masking quoted values (``mask_literals``) keeps."""

    name = "fixed-similarity"
    dim = 3

    def _one(self, text: str) -> list[float]:
        if "date parser that rejects" in text:
            return [1.0, 0.0, 0.0]
        if "timestamp tests pass" in text:
            return [0.64, 0.768, 0.0]
        return [0.0, 0.0, 1.0]

    def embed_documents(self, texts: Sequence[str]) -> Vectors:
        return np.asarray([self._one(t) for t in texts], dtype=np.float32)

    def embed_query(self, text: str) -> Vectors:
        return self.embed_documents([text])[0]
