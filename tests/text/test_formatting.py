"""Trajectories as prompt text: clipping, step elision, action history, final state."""

from __future__ import annotations

import pytest

from reasoningbank.models import Step, Trajectory
from reasoningbank.text.formatting import (
    DEFAULT_LIMITS,
    Limits,
    action_history,
    clip,
    final_state,
    select_steps,
    think_action_blocks,
)


def traj(*steps: Step, meta: dict[str, object] | None = None) -> Trajectory:
    return Trajectory(task_id="t", query="q", steps=list(steps), meta=meta or {})


def numbered(n: int) -> list[Step]:
    return [Step(thought=f"think {i}", action=f"click({i})") for i in range(1, n + 1)]


def test_clip_keeps_head_and_tail_and_counts_the_rest() -> None:
    assert clip("abcdefghij", 4) == "ab\n[... 6 characters omitted ...]\nij"
    assert clip("abcdefghij", 5) == "ab\n[... 6 characters omitted ...]\nij"


@pytest.mark.parametrize(("text", "limit"), [("abc", 3), ("abc", 10), ("abc", 0), ("abc", -1), ("", 5)])
def test_clip_leaves_short_text_or_no_limit_alone(text: str, limit: int) -> None:
    assert clip(text, limit) == text


def test_select_steps_keeps_everything_within_the_limits() -> None:
    steps = numbered(5)
    assert select_steps(steps, Limits(head_steps=2, tail_steps=3)) == (list(enumerate(steps, 1)), 0)
    assert select_steps([], DEFAULT_LIMITS) == ([], 0)


def test_select_steps_keeps_head_and_tail_numbered_from_one() -> None:
    shown, elided = select_steps(numbered(10), Limits(head_steps=2, tail_steps=3))
    assert [i for i, _ in shown] == [1, 2, 8, 9, 10]
    assert [s.action for _, s in shown] == ["click(1)", "click(2)", "click(8)", "click(9)", "click(10)"]
    assert elided == 5


def test_select_steps_with_no_head_or_no_tail() -> None:
    shown, elided = select_steps(numbered(6), Limits(head_steps=0, tail_steps=2))
    assert ([i for i, _ in shown], elided) == ([5, 6], 4)
    shown, elided = select_steps(numbered(6), Limits(head_steps=2, tail_steps=0))
    assert ([i for i, _ in shown], elided) == ([1, 2], 4)


def test_action_history_marks_the_elision_after_the_head() -> None:
    text = action_history(traj(*numbered(7)), Limits(head_steps=2, tail_steps=3))
    assert text.splitlines() == [
        "1: click(1)",
        "2: click(2)",
        "[... 2 steps omitted ...]",
        "5: click(5)",
        "6: click(6)",
        "7: click(7)",
    ]


def test_action_history_with_no_head_starts_with_the_elision() -> None:
    text = action_history(traj(*numbered(5)), Limits(head_steps=0, tail_steps=2))
    assert text.splitlines() == ["[... 3 steps omitted ...]", "4: click(4)", "5: click(5)"]


def test_action_history_with_no_tail_ends_with_the_elision() -> None:
    text = action_history(traj(*numbered(5)), Limits(head_steps=2, tail_steps=0))
    assert text.splitlines() == ["1: click(1)", "2: click(2)", "[... 3 steps omitted ...]"]


def test_action_history_names_targets_and_marks_empty_actions() -> None:
    text = action_history(
        traj(
            Step(action=" click(2) ", target="  button 'Submit' "),
            Step(action="click(3)", target="   "),
            Step(thought="I am stuck", action="  "),
        )
    )
    # the docstring of action_history says the thought stands in for an empty action; the code writes this
    assert text.splitlines() == ["1: click(2)  # on button 'Submit'", "2: click(3)", "3: (no action)"]


def test_action_history_clips_long_actions_and_handles_no_steps() -> None:
    text = action_history(traj(Step(action="x" * 50)), Limits(max_field_chars=10))
    assert text == "1: xxxxx\n[... 40 characters omitted ...]\nxxxxx"
    assert action_history(traj()) == "(no actions)"


def test_final_state_prefers_the_last_observation() -> None:
    steps = [Step(thought="a", observation="first page"), Step(thought="b", observation=" last page \n")]
    assert final_state(traj(*steps)) == "last page"


@pytest.mark.parametrize("observation", [None, "", "   \n"])
def test_final_state_falls_back_to_the_last_thought(observation: str | None) -> None:
    steps = [Step(observation="earlier page"), Step(thought=" I submitted ", observation=observation)]
    assert final_state(traj(*steps)) == "I submitted"


def test_final_state_when_there_is_nothing_to_show() -> None:
    assert final_state(traj()) == "(the agent took no steps)"
    assert final_state(traj(Step(thought="  ", observation=""))) == "(empty)"


def test_final_state_is_clipped_to_the_state_limit() -> None:
    text = final_state(traj(Step(observation="y" * 100)), Limits(max_state_chars=20, max_field_chars=1000))
    assert text == "y" * 10 + "\n[... 80 characters omitted ...]\n" + "y" * 10


def test_think_action_blocks_and_meta_is_never_rendered() -> None:
    t = traj(*numbered(2), meta={"score": "SECRET-1.0"})
    text = think_action_blocks(t)
    assert text == (
        "<think>\nthink 1\n</think>\n<action>\nclick(1)\n</action>\n\n"
        "<think>\nthink 2\n</think>\n<action>\nclick(2)\n</action>"
    )
    for rendered in (text, action_history(t), final_state(t)):
        assert "SECRET" not in rendered
    assert think_action_blocks(traj()) == "(the agent took no steps)"


def test_think_action_blocks_mark_the_elision() -> None:
    blocks = think_action_blocks(traj(*numbered(6)), Limits(head_steps=1, tail_steps=1)).split("\n\n")
    assert blocks[1] == "[... 4 steps omitted ...]"
    assert len(blocks) == 3
    assert "click(1)" in blocks[0] and "click(6)" in blocks[2]
