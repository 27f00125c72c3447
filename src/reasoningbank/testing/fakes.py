"""The fakes for testing code built on reasoningbank, importable from one place.

* :class:`ScriptedLLM` answers from a script and records every call;
* :class:`HashEmbedder` makes deterministic vectors without a model;
* :class:`InMemoryStore` keeps the bank in memory.

The scripted benchmark environment is not here: ``reasoningbank.testing`` sits
below the benchmark harness and never imports it. Import it from
``reasoningbank.bench.envs.scripted`` (``ScriptedEnvironment``).
"""

from __future__ import annotations

from ..embed import HashEmbedder
from ..llm import ScriptedLLM
from ..stores import InMemoryStore

__all__ = ["HashEmbedder", "InMemoryStore", "ScriptedLLM"]
