"""How the agent acted, read from a run's trajectories: a faithfulness proxy for memory.

Most lessons the small agent needs say "do not redo what is done" (the field already shows the
value; the box is ticked). Whether a lesson it was shown changed what it did shows in its steps:
a step whose page is the same as after the step before changed nothing (a value typed again, a
box clicked twice, an action that failed), and an episode the step limit ended ran out of time.
The step that ended an episode is not judged: a Submit that ends it may leave the page as it was.
The table compares those shares across arms on the tasks every arm has finished. It reads only
what the agent did, never the benchmark's score.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

from ..models import Trajectory
from .records import read_trajectory_lines
from .rundir import TRAJECTORIES, method_dir


@dataclass(frozen=True)
class Behaviour:
    """Counts over one arm's episodes."""

    episodes: int = 0
    steps: int = 0
    # Steps after the first (whose page before is known), but not the one that ended the episode.
    comparable: int = 0
    unchanged: int = 0  # of those, steps that left the page as it was
    repeated: int = 0  # of those, steps repeating the previous action word for word
    step_limit: int = 0  # episodes ended by the step limit

    def __add__(self, other: Behaviour) -> Behaviour:
        return Behaviour(
            self.episodes + other.episodes,
            self.steps + other.steps,
            self.comparable + other.comparable,
            self.unchanged + other.unchanged,
            self.repeated + other.repeated,
            self.step_limit + other.step_limit,
        )


def episode_behaviour(trajectory: Trajectory) -> Behaviour:
    """The counts of one episode."""
    steps = trajectory.steps
    limit = int(trajectory.meta.get("stop_reason") == "max_steps")
    # The step that ended the episode (a Submit the page does not redraw for) did something.
    judged = steps if limit else steps[:-1]
    comparable = unchanged = repeated = 0
    for before, step in itertools.pairwise(judged):
        comparable += 1
        page = step.observation or ""
        unchanged += int(page == (before.observation or "") or page.startswith("ERROR: "))
        repeated += int(bool(step.action) and step.action.strip() == (before.action or "").strip())
    return Behaviour(1, len(steps), comparable, unchanged, repeated, limit)


def arm_behaviour(run_dir: Path, method: str, indices: Iterable[int]) -> Behaviour | None:
    """The counts of ``method``'s episodes at ``indices`` (None when it kept no trajectories)."""
    path = method_dir(run_dir, method) / TRAJECTORIES
    if not path.exists():
        return None
    latest = {line.index: line.trajectory for line in read_trajectory_lines(path)}  # last line wins
    total = Behaviour()
    for i in indices:
        if i in latest:
            total = total + episode_behaviour(latest[i])
    return total


def _pct(part: int, whole: int) -> str:
    return "–" if not whole else f"{100 * part / whole:.1f}"


def behaviour_table(run_dir: Path, methods: Sequence[str], labels: Sequence[str], indices: set[int]) -> str:
    """One row per arm (``labels`` are the table's names of ``methods``)."""
    rows = [
        "| Method | episodes | steps / episode | steps that changed nothing (%) | steps repeating the "
        "previous action (%) | episodes ended by the step limit (%) |",
        "|---|---|---|---|---|---|",
    ]
    for method, label in zip(methods, labels, strict=True):
        b = arm_behaviour(run_dir, method, sorted(indices))
        if b is None or not b.episodes:
            rows.append(f"| {label} | 0 | – | – | – | – |")
            continue
        rows.append(
            f"| {label} | {b.episodes} | {b.steps / b.episodes:.1f} | {_pct(b.unchanged, b.comparable)} | "
            f"{_pct(b.repeated, b.comparable)} | {_pct(b.step_limit, b.episodes)} |"
        )
    return "\n".join(rows)
