"""Judging a finished episode without ground truth.

* :class:`Judge`: the protocol every judge follows.
* :class:`EvidenceJudge`: code decides from the episode's evidence where it can
  (:mod:`.evidence`, :mod:`.rules`); a model answers one narrow yes/no question
  otherwise, with a probability (:mod:`.question`, :mod:`.confidence`).
* :class:`LLMJudge`: the paper's open verdict (:mod:`.paper`).
* :func:`outcome_verdict`: the verdict for an outcome the caller already knows.
"""

from __future__ import annotations

from typing import Literal, Protocol, runtime_checkable

from ..models import Trajectory, Usage, Verdict
from .evidence import Evidence, gather
from .evidence_judge import EvidenceJudge
from .gate import gate_verdict
from .paper import LLMJudge
from .parsing import JUDGE_JSON_SCHEMA, normalise_status, parse_verdict_text

Outcome = Literal["success", "failure"]


@runtime_checkable
class Judge(Protocol):
    """Labels a finished trajectory; never sees a benchmark's score."""

    @property
    def prompt_version(self) -> str: ...

    def judge(self, trajectory: Trajectory) -> tuple[Verdict, Usage]:
        """The verdict and the usage of every model call made for it."""
        ...


def outcome_verdict(outcome: Outcome, *, note: str = "") -> Verdict:
    """The verdict for an outcome the caller knows (tests passed, a form was accepted, ...).

    It is a labelled input, recorded as such (``source="outcome"``), not a judgement.
    """
    if outcome not in ("success", "failure"):
        raise ValueError(f"outcome must be 'success' or 'failure', got {outcome!r}")
    return Verdict(
        label=outcome,
        thoughts=note or f"outcome given by the caller: {outcome}",
        judge_model="outcome",
        p_success=1.0 if outcome == "success" else 0.0,
        source="outcome",
        reason="the caller passed the outcome",
    )


__all__ = [
    "JUDGE_JSON_SCHEMA",
    "Evidence",
    "EvidenceJudge",
    "Judge",
    "LLMJudge",
    "Outcome",
    "gate_verdict",
    "gather",
    "normalise_status",
    "outcome_verdict",
    "parse_verdict_text",
]
