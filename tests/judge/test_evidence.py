"""The evidence code reads from an episode, and the failure rules that decide on it."""

from __future__ import annotations

import pytest

from reasoningbank.judge.evidence import ending_of, gather, named_controls
from reasoningbank.judge.rules import P_STEP_LIMIT, P_VALUE_MISSING, failure_rule
from reasoningbank.models import Step, Trajectory

LOGIN = 'Enter the username "karrie" and the password "AU" into the text fields and press login.'


def _traj(steps: list[Step], stop: str | None = "done", query: str = LOGIN) -> Trajectory:
    meta = {"stop_reason": stop} if stop else {}
    return Trajectory(task_id="login-user:0", query=query, steps=steps, meta=meta)


TYPED_BOTH = [
    Step(action='type(2, "karrie")', target="input_text name='username'"),
    Step(action='type(4, "AU")', target="input_password name='password'"),
    Step(action="click(5)", target="button 'Login' name='subbtn'"),
]


def test_a_complete_episode_passes_every_check() -> None:
    ev = gather(_traj(TYPED_BOTH))
    assert ev.ending == "finished" and ev.steps == 3 and ev.action_errors == 0
    assert ev.values == ("karrie", "AU") and ev.missing_values == ()
    assert ev.controls == ("login",) and ev.unpressed == ()
    assert failure_rule(ev) is None


def test_ran_out_of_steps_is_a_failure_whatever_else() -> None:
    hit = failure_rule(gather(_traj(TYPED_BOTH, stop="max_steps")))
    assert hit is not None and hit.rule == "step_limit" and hit.p_success == P_STEP_LIMIT


def test_a_value_never_typed_is_a_failure_naming_it() -> None:
    ev = gather(_traj([TYPED_BOTH[0], TYPED_BOTH[2]]))
    hit = failure_rule(ev)
    assert ev.missing_values == ("AU",)
    assert hit is not None and hit.rule == "value_missing" and "'AU'" in hit.reason
    assert hit.p_success == P_VALUE_MISSING
    assert "'AU' (never used)" in " ".join(ev.lines())


def test_a_value_clicked_by_its_label_counts_as_used() -> None:
    steps = [
        Step(action="click(4)", target="checkbox 'HF2' name='ch1' checked=false"),
        Step(action="click(5)", target="button 'Submit' name='subbtn'"),
    ]
    assert failure_rule(gather(_traj(steps, query="Select HF2 and click Submit."))) is None


def test_the_named_button_never_pressed_is_a_failure() -> None:
    steps = [Step(action='type(1, "Marcella")', target="input_text name='tt'"), Step(action="done()")]
    hit = failure_rule(gather(_traj(steps, query='Enter "Marcella" into the text field and press Submit.')))
    assert hit is not None and hit.rule == "control_unpressed" and "'Submit'" in hit.reason


def test_without_targets_pressing_cannot_be_told_and_decides_nothing() -> None:
    steps = [Step(action='type(1, "Marcella")'), Step(action="click(2)")]
    ev = gather(_traj(steps, query='Enter "Marcella" into the text field and press Submit.'))
    assert ev.unpressed is None and failure_rule(ev) is None


def test_no_steps_is_a_failure() -> None:
    hit = failure_rule(gather(_traj([])))
    assert hit is not None and hit.rule == "no_steps"


def test_errors_repeats_and_answer_are_counted() -> None:
    steps = [Step(action="click(9)", observation="ERROR: no element 9")] + [Step(action="click(3)")] * 4
    ev = gather(_traj(steps, stop=None, query="Focus into the textbox."))
    assert ev.action_errors == 1 and ev.longest_repeat == 4 and ev.ending == "unknown"
    assert any("repeated one action 4 times" in line for line in ev.lines())


@pytest.mark.parametrize(
    ("meta", "ending"),
    [
        ({"stop_reason": "done"}, "finished"),
        ({"stop_reason": "max_steps"}, "step_limit"),
        ({"exit_status": "LimitsExceeded"}, "step_limit"),
        ({"exit_status": "Submitted"}, "finished"),
        ({"stop_reason": "crashed"}, "unknown"),
        ({}, "unknown"),
    ],
)
def test_ending_from_meta(meta: dict[str, str], ending: str) -> None:
    traj = Trajectory(task_id="t", query="q", meta=meta)
    assert ending_of(traj)[0] == ending


def test_named_controls() -> None:
    assert named_controls("Select AU and click Submit.") == ("Submit",)
    assert named_controls('Type it, then click on the "Search" button and press Enter') == ("Search", "Enter")
    assert named_controls("Focus into the textbox.") == ()
    assert named_controls("Click the button.") == ()
