"""The evidence judge: code decides where the evidence decides; a model answers one narrow question.

1. :func:`~.evidence.gather` reads the episode's facts (how it ended, errors,
   values used, controls pressed).
2. A failure rule that fires decides (source ``rules``), with the probability
   of success measured for that rule on the calibration stream.
3. Otherwise the model is asked one yes/no question about the rest, and its
   probability of "yes" is the verdict's ``p_success`` (source ``judge``).
   Without a model, a finished episode that passes gets the measured base rate,
   and one whose ending is unknown is abstained on.

The verdict's label is its lean (``p_success >= 0.5``); whether it is sure
enough to learn from is the bank's threshold (the preset's ``judge.min_confidence``).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import KW_ONLY, dataclass

from ..llm import LLM
from ..models import Trajectory, Usage, Verdict
from ..prompts import get_prompt
from ..text.formatting import DEFAULT_LIMITS, Limits
from .evidence import Evidence, gather
from .question import DEFAULT_QUESTION, ConfidenceMode, ask_yes_no, question_messages
from .rules import PASSED_P_SUCCESS, Check, failure_rule


@dataclass(eq=False)
class EvidenceJudge:
    """Judge from the episode's evidence first, and ask a model only what code cannot tell."""

    llm: LLM | None
    _: KW_ONLY
    question: str = DEFAULT_QUESTION
    confidence: ConfidenceMode = "logprobs"
    votes: int = 3
    limits: Limits = DEFAULT_LIMITS
    checks: Sequence[Check] = ()  # run after the built-in rules, in order
    # p(success) of an episode that passes every rule and check, when no model is asked
    passed_p_success: float = PASSED_P_SUCCESS

    def __post_init__(self) -> None:
        if self.confidence not in ("logprobs", "votes"):
            raise ValueError(f"unknown confidence mode {self.confidence!r}; expected 'logprobs' or 'votes'")
        if self.votes < 1:
            raise ValueError(f"votes must be at least 1, got {self.votes}")
        self.checks = tuple(self.checks)

    @property
    def prompt_version(self) -> str:
        return get_prompt("judge_question_user").version

    def judge(self, trajectory: Trajectory) -> tuple[Verdict, Usage]:
        ev = gather(trajectory)
        thoughts = "\n".join(ev.lines())
        hit = failure_rule(ev)
        for check in self.checks:
            if hit is not None:
                break
            hit = check(trajectory, ev)
        if hit is not None:
            verdict = Verdict(
                label="failure",
                thoughts=thoughts,
                judge_model="rules",
                p_success=hit.p_success,
                source="rules",
                reason=hit.reason,
                rule=hit.rule,
            )
            return verdict, Usage()
        if self.llm is None:
            return self._without_model(ev, thoughts), Usage()
        return self._ask(trajectory, ev, thoughts)

    def _without_model(self, ev: Evidence, thoughts: str) -> Verdict:
        """No rule fired and no model is asked: a finished episode gets the measured base rate;
        one whose ending is not known cannot be told, so the judge abstains."""
        if ev.ending != "finished":
            return Verdict(
                label="abstained",
                thoughts=thoughts,
                judge_model="rules",
                p_success=0.5,
                source="rules",
                reason="no rule decides, how the episode ended is not known, and no model was asked",
            )
        return Verdict(
            label="success" if self.passed_p_success >= 0.5 else "failure",
            thoughts=thoughts,
            judge_model="rules",
            p_success=self.passed_p_success,
            source="rules",
            reason="the agent ended the episode itself and every check passed; no model was asked",
        )

    def _ask(self, trajectory: Trajectory, ev: Evidence, thoughts: str) -> tuple[Verdict, Usage]:
        assert self.llm is not None
        messages = question_messages(trajectory, ev.lines(), self.question, self.limits)
        answer = ask_yes_no(self.llm, messages, mode=self.confidence, votes=self.votes)
        if answer.p_yes is None:
            verdict = Verdict(
                label="abstained",
                thoughts=thoughts,
                judge_model=answer.model,
                parsed=False,
                raw=answer.raw,
                source="judge",
                reason="every check passed, and the model's answer to the question could not be read",
            )
            return verdict, answer.usage
        verdict = Verdict(
            label="success" if answer.p_yes >= 0.5 else "failure",
            thoughts=f"{thoughts}\nQuestion: {self.question} P(yes) = {answer.p_yes:.3f} ({answer.how}).",
            judge_model=answer.model,
            raw=answer.raw,
            p_success=answer.p_yes,
            source="judge",
            reason=f"every check passed; the model answered the question with P(yes) = {answer.p_yes:.2f}",
        )
        return verdict, answer.usage
