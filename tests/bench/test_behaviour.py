"""The faithfulness proxy: steps that changed nothing, repeated actions, step-limit endings."""

from __future__ import annotations

from pathlib import Path

from reasoningbank.bench.behaviour import arm_behaviour, behaviour_table, episode_behaviour
from reasoningbank.bench.report import render_report
from reasoningbank.llm import ScriptedLLM
from reasoningbank.models import Step, Trajectory
from tests.bench.fakes import TASKS, respond, run


def _traj(steps: list[tuple[str, str]], stop: str) -> Trajectory:
    return Trajectory(
        task_id="t:1",
        query="q",
        steps=[Step(action=a, observation=o) for a, o in steps],
        meta={"stop_reason": stop},
    )


def test_an_episode_that_retypes_a_shown_value_is_counted() -> None:
    looping = _traj(
        [
            ('type(1, "Ada")', "[1] input value='Ada'"),
            ('type(1, "Ada")', "[1] input value='Ada'"),  # changed nothing, repeats the action
            ("click(9)", "ERROR: no element 9"),  # changed nothing (failed)
            ("click(2)", "[1] input value='Ada' [2] button focused"),
        ],
        "max_steps",
    )
    b = episode_behaviour(looping)
    assert (b.episodes, b.steps, b.comparable, b.unchanged, b.repeated, b.step_limit) == (1, 4, 3, 2, 1, 1)
    clean = episode_behaviour(_traj([("click(1)", "a"), ("click(2)", "b"), ("click(3)", "b")], "done"))
    # the last step ended the episode: a Submit the page does not redraw for is not "nothing"
    assert (clean.comparable, clean.unchanged, clean.repeated, clean.step_limit) == (1, 0, 0, 0)
    assert episode_behaviour(_traj([], "done")).comparable == 0


def test_the_report_has_the_table_over_the_shared_tasks(tmp_path: Path) -> None:
    run(tmp_path, ScriptedLLM(default=respond), methods=["none", "reasoningbank"], tasks=TASKS[:3])
    run_dir = tmp_path / "run"
    b = arm_behaviour(run_dir, "none", [0, 1, 2])
    assert b is not None and b.episodes == 3 and b.steps == 6  # the fake agent types, then submits
    assert arm_behaviour(run_dir, "absent", [0]) is None
    table = behaviour_table(run_dir, ["none", "absent"], ["none", "absent"], {0, 1, 2})
    assert (
        "| none | 3 | 2.0 | – | – | 0.0 |" in table
    )  # type, then the Submit that ended it and "| absent | 0 | – |" in table
    assert "## How the agent acted" in render_report(run_dir)
