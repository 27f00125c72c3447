"""LiteLLM itself: imported without fetching a price list, and model names routed to a server.

Shared by the chat client, the embedder and the retry logic.
"""

from __future__ import annotations

import os
from types import ModuleType

DUMMY_API_KEY = "sk-no-key-needed"
"""Sent to OpenAI-compatible local servers, which need no key but whose clients insist on one."""


def import_litellm() -> ModuleType:
    """Import LiteLLM without letting it fetch a remote price list."""
    os.environ.setdefault("LITELLM_LOCAL_MODEL_COST_MAP", "True")
    import litellm

    # LiteLLM prints provider hints to stdout on some errors (e.g. an unpriced model).
    litellm.suppress_debug_info = True
    return litellm


def resolve_model(model: str, api_base: str | None) -> str:
    """``openai/<model>`` for a bare model name served at ``api_base``; else unchanged."""
    if api_base is None:
        return model
    prefix = model.split("/", 1)[0] if "/" in model else ""
    if prefix:
        litellm = import_litellm()
        known = {str(getattr(p, "value", p)) for p in litellm.provider_list}
        if prefix in known:
            return model
    return f"openai/{model}"


def describe(model: str, api_base: str | None) -> str:
    return f"model {model!r}" + (f" at {api_base}" if api_base else "")
