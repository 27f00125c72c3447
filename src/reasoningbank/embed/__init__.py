"""The embedder seam: texts in, L2-normalised float32 vectors out.

* :mod:`.base`: the :class:`Embedder` protocol and vector helpers;
* :mod:`.hashing`: :class:`HashEmbedder`, the deterministic fake shipped for tests;
* :mod:`.local`: all-MiniLM-L6-v2 shipped by a PyPI package (sentence-transformers, offline);
* :mod:`.litellm_embedder`: hosted embedding models through LiteLLM;
* :mod:`.factory`: :func:`make_embedder` from ``local``, ``hash`` or ``litellm:<model>``.
"""

from .base import PAPER_QUERY_INSTRUCTION, Embedder, Vectors, instruct_query, l2_normalise
from .factory import make_embedder
from .hashing import HashEmbedder

__all__ = [
    "PAPER_QUERY_INSTRUCTION",
    "Embedder",
    "HashEmbedder",
    "Vectors",
    "instruct_query",
    "l2_normalise",
    "make_embedder",
]
