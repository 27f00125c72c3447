"""Evidence checks that know the MiniWoB++ page listing, for the evidence judge.

The evidence judge's built-in rules read facts every deployment has (how the
episode ended, which values an action used, which named controls were
pressed). An environment knows more: this one lists form fields with their
values (``[4] input_password name='verify' value=''``), so it can tell that a
task which gives values to enter ended with a field still empty. Measured on
the calibration stream (compare8, seeds 0-9): it fired on 9 episodes that
passed every built-in rule, all benchmark failures (enter-password typed into
one of its two fields), and on no success.
"""

from __future__ import annotations

import re

from ...judge.evidence import Evidence
from ...judge.rules import CheckSet, RuleHit
from ...models import Trajectory

P_FIELD_LEFT_EMPTY = 1 / 11
# Among the calibration episodes that pass the built-in rules and this check: 86 of 91 were
# successes (add-one smoothed).
PASSED_WITH_CHECKS_P_SUCCESS = 87 / 93

_EMPTY_FIELD = re.compile(
    r"^\[\d+\] input_(?:text|password|email|number|search|tel|url)\b[^\n]*value=''", re.M
)


def empty_field_check(trajectory: Trajectory, evidence: Evidence) -> RuleHit | None:
    """A failure when the task gives values to enter and the final page still has an empty field."""
    if not evidence.values or not trajectory.steps:
        return None
    final = trajectory.steps[-1].observation or ""
    empty = _EMPTY_FIELD.findall(final)
    if not empty:
        return None
    return RuleHit(
        "field_left_empty",
        f"the task gives values to enter, and the final page still shows {len(empty)} empty input field(s)",
        P_FIELD_LEFT_EMPTY,
    )


MINIWOB_EVIDENCE = CheckSet(checks=(empty_field_check,), passed_p_success=PASSED_WITH_CHECKS_P_SUCCESS)
