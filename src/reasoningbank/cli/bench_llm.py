"""The model a bench command runs on: a LiteLLM model (``--model``), or a bundled one served locally.

Before anything is started or written, :func:`llm_for` checks that real calls are allowed
(``REASONINGBANK_BLOCK_REAL_CALLS`` is honoured: bench never lifts it) and that a hosted
model's API key is set, so a refused run leaves no run directory behind.
"""

from __future__ import annotations

import argparse
import contextlib
from collections.abc import Iterator
from pathlib import Path

from ..llm import LLM, check_real_call

DEFAULT_LOCAL_MODEL = "qwen2.5-coder-1.5b"


def hosted_llm(model: str, api_base: str | None) -> LLM:
    """``model`` through LiteLLM; raises, having called nothing, when real calls are blocked or
    the model's API key is missing."""
    from ..llm.litellm_client import LiteLLMClient

    client = LiteLLMClient(model, api_base=api_base)
    check_real_call(client.endpoint.describe())
    client.endpoint.check_keys()
    return client


@contextlib.contextmanager
def llm_for(args: argparse.Namespace, log_dir: Path, log_name: str = "llama-server.log") -> Iterator[LLM]:
    """``args.model`` through LiteLLM, else the bundled ``args.local_model`` served on loopback for
    the block (its log in ``log_dir``). Raises, having started and written nothing, when real
    calls are blocked or a hosted model's API key is missing."""
    model = getattr(args, "model", None)
    if model:
        yield hosted_llm(model, getattr(args, "api_base", None))
        return
    from ..llm import local

    check_real_call(f"local model {args.local_model!r}")
    log_dir.mkdir(parents=True, exist_ok=True)
    with local.local_llm(args.local_model, log_path=log_dir / log_name) as client:
        yield client
