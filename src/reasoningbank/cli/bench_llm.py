"""The model a bench command runs on: a LiteLLM model (``--model``), or a bundled one served locally."""

from __future__ import annotations

import argparse
import contextlib
from collections.abc import Iterator
from pathlib import Path

from ..llm import LLM

DEFAULT_LOCAL_MODEL = "qwen2.5-coder-1.5b"


@contextlib.contextmanager
def llm_for(args: argparse.Namespace, log_dir: Path, log_name: str = "llama-server.log") -> Iterator[LLM]:
    """``args.model`` through LiteLLM, else the bundled ``args.local_model`` served on loopback for
    the block (its log in ``log_dir``)."""
    model = getattr(args, "model", None)
    if model:
        from ..llm.litellm_client import LiteLLMClient

        yield LiteLLMClient(model, api_base=getattr(args, "api_base", None))
        return
    from ..llm.local import local_llm

    log_dir.mkdir(parents=True, exist_ok=True)
    with local_llm(args.local_model, log_path=log_dir / log_name) as client:
        yield client
