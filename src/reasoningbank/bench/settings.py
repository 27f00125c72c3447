"""Settings of a benchmark run: the default preset, defined once, and :class:`RunSettings`."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

from ..config import Preset
from ..judge.rules import NO_EXTRA_CHECKS, CheckSet
from ..lessons import Lesson
from ..llm import LLM
from .agent_api import AgentFactory

# The bench runs the small local model by default, so it uses the preset tuned for it
# (the library's own default, for hosted models, is the paper's).
BENCH_PRESET = "small-local"


@dataclass(frozen=True)
class ScalingSettings:
    """MaTTS for every task of a run: ``mode``, the factor ``k``, and how many rollouts may run at
    once (each in its own environment; 1 suits one local model server)."""

    mode: Literal["parallel", "sequential"] = "parallel"
    k: int = 3
    max_concurrency: int = 1

    def __post_init__(self) -> None:
        if self.mode not in ("parallel", "sequential"):
            raise ValueError(f"unknown scaling mode {self.mode!r}; expected 'parallel' or 'sequential'")
        if self.k < 1:
            raise ValueError(f"the scaling factor k must be at least 1, got {self.k}")
        if self.max_concurrency < 1:
            raise ValueError(f"max_concurrency must be at least 1, got {self.max_concurrency}")


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
    ``agent_actions`` the agent's action names (for screening lessons);
    ``scaling`` runs every task with MaTTS (:mod:`.scaled`); ``lessons`` seed the banks of the
    curated arms (:mod:`.controls`), and the run keeps a copy of them.
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
    scaling: ScalingSettings | None = None
    lessons: tuple[Lesson, ...] = ()
