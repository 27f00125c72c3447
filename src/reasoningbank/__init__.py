"""ReasoningBank: a memory that lets LLM agents learn from their own experience.

The public names, curated. Everything else is reachable from its subpackage:
``reasoningbank.llm`` (LiteLLM client, local models), ``reasoningbank.embed``
(local and LiteLLM embedders), ``reasoningbank.stores`` (SQLite, in-memory,
export/import), ``reasoningbank.testing`` (store conformance suite and fakes)
and ``reasoningbank.bench`` (the MiniWoB++ benchmark).
"""

from .bank import LearnError, NoLLMError, ReasoningBank
from .config import PRESETS, BankConfig, ConfigError, Preset
from .consolidate import Consolidator
from .embed import Embedder, HashEmbedder
from .extract import ExtractionResult, Extractor, LLMExtractor
from .judge import Judge, LLMJudge
from .llm import LLM, LLMResponse, ScriptedLLM, allow_real_calls
from .models import (
    SCHEMA_VERSION,
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
    "LLM",
    "PRESETS",
    "SCHEMA_VERSION",
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
