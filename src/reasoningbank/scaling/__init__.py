"""MaTTS: memory-aware test-time scaling, for any agent.

Give :class:`MaTTS` a bank, the backbone LLM and a rollout function (a task,
the rendered memory and, for sequential scaling, a re-check instruction in; a
trajectory out; each call owns its environment). :meth:`MaTTS.run` returns the
trajectories, their verdicts, the best-of-N (or last-pass) answer and what was
learned. The bank preset's ``scale`` section may narrow best-of-N to the judged
successes and stop sequential refinement at one. See :mod:`.matts`.
"""

from .contrast import ContrastExtractor
from .matts import Aggregation, MaTTS, Mode, ScalingResult, StopReason, mark_refinements
from .rollout import Rollout, RolloutError, RolloutRequest, run_parallel
from .select import BestOfN, Selection, candidates, fallback_index, parse_index

__all__ = [
    "Aggregation",
    "BestOfN",
    "ContrastExtractor",
    "MaTTS",
    "Mode",
    "Rollout",
    "RolloutError",
    "RolloutRequest",
    "ScalingResult",
    "Selection",
    "StopReason",
    "candidates",
    "fallback_index",
    "mark_refinements",
    "parse_index",
    "run_parallel",
]
