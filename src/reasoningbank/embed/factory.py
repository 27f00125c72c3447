"""Build an embedder from a short spec: ``local``, ``hash`` or ``litellm:<model>``."""

from __future__ import annotations

from .base import Embedder
from .hashing import HashEmbedder


def make_embedder(spec: str, *, api_base: str | None = None) -> Embedder:
    """Build an embedder from ``"local"``, ``"hash"`` or ``"litellm:<model>"``."""
    if spec == "hash":
        return HashEmbedder()
    if spec == "local":
        from .local import SentenceTransformerEmbedder  # heavy import: only when asked

        return SentenceTransformerEmbedder()
    if spec.startswith("litellm:") and spec[len("litellm:") :].strip():
        from .litellm_embedder import LiteLLMEmbedder

        return LiteLLMEmbedder(spec[len("litellm:") :].strip(), api_base=api_base)
    raise ValueError(f"unknown embedder {spec!r}; expected 'local', 'hash' or 'litellm:<model>'")
