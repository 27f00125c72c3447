"""ReasoningBank: a memory that lets LLM agents learn from their own experience."""

from .bank import LearnError, NoLLMError, ReasoningBank
from .config import PRESETS, BankConfig, ConfigError, Preset
from .consolidate import Consolidator
from .embed import Embedder, HashEmbedder
from .extract import ExtractionResult, Extractor
from .judge import Judge
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
    "Judge",
    "LLMResponse",
    "LearnError",
    "LearnReport",
    "MemoryItem",
    "NoLLMError",
    "Preset",
    "ReasoningBank",
    "Retriever",
    "ScriptedLLM",
    "Step",
    "Trajectory",
    "Usage",
    "Verdict",
    "allow_real_calls",
    "render",
]
__version__ = "0.1.0"
