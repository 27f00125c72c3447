"""The LLM seam: messages in; text, token usage and cost out.

* :mod:`.base`: the :class:`LLM` protocol (one synchronous call, ``complete``) and the real-call guard;
* :mod:`.scripted`: :class:`ScriptedLLM`, the fake shipped for users' own tests;
* :mod:`.endpoint`: :class:`Endpoint`, a LiteLLM model and how to reach it (client and embedder);
* :mod:`.litellm_client`: :class:`~.litellm_client.LiteLLMClient`, any model LiteLLM can reach;
* :mod:`.gguf` and :mod:`.local`: the bundled local models, served by llama.cpp on loopback.
"""

from .base import (
    BLOCK_ENV,
    LLM,
    CompletionOptions,
    LLMResponse,
    Message,
    RealCallBlockedError,
    TokenLogprob,
    allow_real_calls,
    check_options,
    check_real_call,
    real_calls_blocked,
)
from .endpoint import Endpoint
from .scripted import RecordedCall, Reply, Responder, ScriptedLLM, json_text

__all__ = [
    "BLOCK_ENV",
    "LLM",
    "CompletionOptions",
    "Endpoint",
    "LLMResponse",
    "Message",
    "RealCallBlockedError",
    "RecordedCall",
    "Reply",
    "Responder",
    "ScriptedLLM",
    "TokenLogprob",
    "allow_real_calls",
    "check_options",
    "check_real_call",
    "json_text",
    "real_calls_blocked",
]
