"""ReasoningBank: a memory that lets LLM agents learn from their own experience."""

from .embed import Embedder, HashEmbedder
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

__all__ = [
    "LLM",
    "SCHEMA_VERSION",
    "Embedder",
    "EmbeddingRef",
    "Experience",
    "HashEmbedder",
    "LLMResponse",
    "LearnReport",
    "MemoryItem",
    "ScriptedLLM",
    "Step",
    "Trajectory",
    "Usage",
    "Verdict",
    "allow_real_calls",
]
__version__ = "0.1.0"
