"""The LLM seam: messages in; text, token usage and cost out.

* :mod:`.base`: the :class:`LLM` protocol and the real-call guard;
* :mod:`.scripted`: :class:`ScriptedLLM`, the fake shipped for users' own tests;
* :mod:`.litellm_client`: :class:`LiteLLMClient`, any model LiteLLM can reach;
* :mod:`.gguf` and :mod:`.server`: the bundled local models, served by llama.cpp on loopback.
"""

from .base import (
    BLOCK_ENV,
    LLM,
    LLMResponse,
    Message,
    RealCallBlockedError,
    TokenLogprob,
    allow_real_calls,
    check_real_call,
    real_calls_blocked,
)
from .scripted import RecordedCall, Reply, Responder, ScriptedLLM, json_text

__all__ = [
    "BLOCK_ENV",
    "LLM",
    "LLMResponse",
    "Message",
    "RealCallBlockedError",
    "RecordedCall",
    "Reply",
    "Responder",
    "ScriptedLLM",
    "TokenLogprob",
    "allow_real_calls",
    "check_real_call",
    "json_text",
    "real_calls_blocked",
]
