"""The MiniWoB++ evidence check: a task that gives values ended with an input field still empty."""

from __future__ import annotations

from reasoningbank.bench.envs.checks import P_FIELD_LEFT_EMPTY, empty_field_check
from reasoningbank.judge import gather
from reasoningbank.models import Step, Trajectory

QUERY = 'Enter the password "yA" into both text fields and press submit.'
FINAL_ONE_EMPTY = (
    "[1] text 'Password'\n[2] input_password name='password' value='yA'\n[3] text 'Verify password'\n"
    "[4] input_password name='verify' value=''\n[5] button 'Submit' name='subbtn' focused"
)


def _traj(final: str, query: str = QUERY) -> Trajectory:
    steps = [Step(action='type(2, "yA")'), Step(action="click(5)", observation=final)]
    return Trajectory(task_id="enter-password:0", query=query, steps=steps, meta={"stop_reason": "done"})


def test_an_empty_field_left_behind_is_a_failure() -> None:
    traj = _traj(FINAL_ONE_EMPTY)
    hit = empty_field_check(traj, gather(traj))
    assert hit is not None and hit.rule == "field_left_empty" and hit.p_success == P_FIELD_LEFT_EMPTY
    assert "1 empty input field" in hit.reason


def test_all_fields_filled_passes() -> None:
    traj = _traj(FINAL_ONE_EMPTY.replace("value=''", "value='yA'"))
    assert empty_field_check(traj, gather(traj)) is None


def test_tasks_without_values_are_not_checked() -> None:
    traj = _traj("[1] input_text name='tt' value='' focused", query="Focus into the textbox.")
    assert empty_field_check(traj, gather(traj)) is None
