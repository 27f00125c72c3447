"""Failure rules: where the evidence alone decides, code decides.

Each rule names a fact that makes success implausible, with the probability of
success that remained when it fired on the calibration stream (compare8's seeds
0-9: 300 recorded MiniWoB++ episodes of five memory methods, scored by the
benchmark only to measure the rule; add-one smoothed). No rule fires for
success: a finished episode that passes every check goes to the model's narrow
question (or, without a model, gets :data:`PASSED_P_SUCCESS`).

| rule | fired | of which successes | p(success) |
|---|---|---|---|
| ran out of steps | 161 | 0 | 1/163 |
| a value the task names was never used | 30 | 2 | 3/32 |
| a control the task says to press was never pressed | 9 | 0 | 1/11 |
| (no rule fired) | 100 | 86 | 87/102 |
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from ..models import Trajectory
from .evidence import Evidence

P_STEP_LIMIT = 1 / 163
P_VALUE_MISSING = 3 / 32
P_CONTROL_UNPRESSED = 1 / 11
P_NO_STEPS = 1 / 11
PASSED_P_SUCCESS = 87 / 102


@dataclass(frozen=True)
class RuleHit:
    rule: str
    reason: str
    p_success: float


Check = Callable[[Trajectory, Evidence], RuleHit | None]
"""An extra failure rule, e.g. one an environment provides because it knows its observation
format (``reasoningbank.bench.envs.checks``): the episode and its evidence in, a hit or None out."""


@dataclass(frozen=True)
class CheckSet:
    """An environment's extra checks, and the success rate measured for episodes that pass
    the built-in rules and these checks (what the judge says when it asks no model)."""

    checks: tuple[Check, ...] = ()
    passed_p_success: float = PASSED_P_SUCCESS


def failure_rule(ev: Evidence) -> RuleHit | None:
    """The first failure rule the evidence meets, or None."""
    if ev.steps == 0:
        return RuleHit("no_steps", "the agent took no step", P_NO_STEPS)
    if ev.ending == "step_limit":
        return RuleHit("step_limit", "the agent ran out of steps before it ended the episode", P_STEP_LIMIT)
    if ev.missing_values:
        names = ", ".join(f"'{v}'" for v in ev.missing_values)
        return RuleHit(
            "value_missing", f"no action used the value(s) the task names: {names}", P_VALUE_MISSING
        )
    if ev.unpressed:
        names = ", ".join(f"'{c}'" for c in ev.unpressed)
        return RuleHit(
            "control_unpressed",
            f"the agent never pressed what the task says to press: {names}",
            P_CONTROL_UNPRESSED,
        )
    return None


NO_EXTRA_CHECKS = CheckSet()
