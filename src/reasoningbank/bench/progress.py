"""The runner's progress display: one rich progress bar per method, with its success rate so far."""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterator, Sequence
from typing import Protocol

from .envs.base import TaskSpec


class Tally(Protocol):
    """What a bar shows of a method: its name, tasks done and successes so far."""

    @property
    def name(self) -> str: ...

    @property
    def done(self) -> set[int]: ...

    @property
    def finished(self) -> int: ...

    @property
    def successes(self) -> int: ...


Advance = Callable[[Tally, TaskSpec], None]
"""Called after each finished task of a method."""


def _describe(t: Tally, task: TaskSpec | None) -> str:
    rate = t.successes / t.finished if t.finished else 0.0
    where = f" {task.task_id}" if task is not None else ""
    return f"{t.name:<26} SR {rate:5.1%}{where}"


@contextlib.contextmanager
def progress_bars(enabled: bool, tallies: Sequence[Tally], n_tasks: int) -> Iterator[Advance]:
    """Show a bar per method while the block runs (nothing when not ``enabled``)."""
    if not enabled:
        yield lambda t, task: None
        return
    from rich.progress import (
        BarColumn,
        MofNCompleteColumn,
        Progress,
        TextColumn,
        TimeElapsedColumn,
        TimeRemainingColumn,
    )

    with Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        TimeRemainingColumn(),
    ) as prog:
        bars = {
            t.name: prog.add_task(_describe(t, None), total=n_tasks, completed=len(t.done)) for t in tallies
        }

        def advance(t: Tally, task: TaskSpec) -> None:
            prog.update(bars[t.name], advance=1, description=_describe(t, task))

        yield advance
