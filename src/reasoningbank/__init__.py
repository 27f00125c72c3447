"""ReasoningBank: a memory that lets LLM agents learn from their own experience.

The public names, curated. Everything else is reachable from its subpackage:
``reasoningbank.llm`` (LiteLLM client, local models), ``reasoningbank.embed``
(local and LiteLLM embedders), ``reasoningbank.stores`` (SQLite, in-memory,
export/import), ``reasoningbank.testing`` (store conformance suite and fakes)
and ``reasoningbank.bench`` (the MiniWoB++ benchmark).
"""

from typing import Any

from . import models as _models
from .bank import LearnError, NoLLMError, ReasoningBank
from .config import PRESETS, BankConfig, ConfigError, Preset
from .consolidate import Consolidator
from .embed import Embedder, HashEmbedder
from .extract import ExtractionResult, Extractor, LLMExtractor
from .judge import Judge, LLMJudge
from .llm import LLM, LLMResponse, ScriptedLLM, allow_real_calls
from .models import (
    DATA_MODEL_VERSION,
    EmbeddingRef,
    Experience,
    LearnReport,
    MemoryItem,
    Step,
    Trajectory,
    Usage,
    Verdict,
)
from .retrieve import Retriever, render
from .stores import InMemoryStore, SQLiteStore, Store, open_store

__all__ = [
    "DATA_MODEL_VERSION",
    "LLM",
    "PRESETS",
    "BankConfig",
    "ConfigError",
    "Consolidator",
    "Embedder",
    "EmbeddingRef",
    "Experience",
    "ExtractionResult",
    "Extractor",
    "HashEmbedder",
    "InMemoryStore",
    "Judge",
    "LLMExtractor",
    "LLMJudge",
    "LLMResponse",
    "LearnError",
    "LearnReport",
    "MemoryItem",
    "NoLLMError",
    "Preset",
    "ReasoningBank",
    "Retriever",
    "SQLiteStore",
    "ScriptedLLM",
    "Step",
    "Store",
    "Trajectory",
    "Usage",
    "Verdict",
    "allow_real_calls",
    "open_store",
    "render",
]
__version__ = "0.1.0"


def __getattr__(name: str) -> Any:
    """``SCHEMA_VERSION`` (now :data:`DATA_MODEL_VERSION`) still reads, with a ``DeprecationWarning``."""
    if name == "SCHEMA_VERSION":
        return _models.__getattr__(name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
