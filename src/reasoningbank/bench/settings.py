"""Settings of a benchmark run: the default preset, defined once, and :class:`RunSettings`."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from ..config import Preset
from ..judge.rules import NO_EXTRA_CHECKS, CheckSet
from ..llm import LLM
from .agent_api import AgentFactory

# The bench runs the small local model by default, so it uses the preset tuned for it
# (the library's own default, for hosted models, is the paper's).
BENCH_PRESET = "small-local"


@dataclass(frozen=True)
class RunSettings:
    """How a task stream is run, apart from what it runs (tasks, methods) and with what
    (environment, models, run directory).

    :func:`~reasoningbank.bench.runner.run_stream` and
    :func:`~reasoningbank.bench.manifest.check_resume` take the same object, so the
    manifest a resume is checked against is the one the run writes.

    ``model`` is the model name recorded in the manifest; None means the run
    LLM's own ``model`` attribute (``check_resume``, which has no LLM, needs it
    set). ``agent_kwargs`` go to the default agent and into the manifest;
    ``agent_factory`` replaces the default agent (tests use scripted agents);
    ``judge_llm`` and ``extractor_llm`` replace the run LLM for those roles;
    ``manifest_extra`` adds keys to the manifest (compared on resume);
    ``evidence`` is the environment's own checks for the evidence judge and
    ``agent_actions`` the agent's action names (for screening lessons).
    """

    model: str | None = None
    preset: str | Preset = BENCH_PRESET
    max_steps: int = 10
    agent_kwargs: Mapping[str, Any] = field(default_factory=dict)
    agent_factory: AgentFactory | None = None
    judge_llm: LLM | None = None
    extractor_llm: LLM | None = None
    progress: bool = True
    manifest_extra: Mapping[str, Any] = field(default_factory=dict)
    evidence: CheckSet = NO_EXTRA_CHECKS
    agent_actions: tuple[str, ...] = ()
