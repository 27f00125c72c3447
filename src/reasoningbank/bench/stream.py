"""The task stream: which tasks a run does, in which order, identical for every method."""

from __future__ import annotations

import random
from collections.abc import Iterable, Sequence
from typing import Literal

from .envs.base import TaskSpec

Order = Literal["interleaved", "blocked", "shuffled"]


def make_stream(
    families: Sequence[str],
    episodes_per_family: int,
    seed: int = 0,
    order: Order = "interleaved",
) -> list[TaskSpec]:
    """A deterministic task stream.

    Family ``f`` gets seeds ``seed, seed+1, ...``; ``interleaved`` cycles the
    families (f1:s, f2:s, f1:s+1, ...), ``blocked`` runs each family's episodes
    together, ``shuffled`` is a shuffle seeded by ``seed``.
    """
    fams = [f.strip() for f in families if f.strip()]
    if not fams:
        raise ValueError("make_stream needs at least one task family")
    if len(set(fams)) != len(fams):
        raise ValueError(f"task families are repeated: {fams}")
    if episodes_per_family < 1:
        raise ValueError(f"episodes_per_family must be at least 1, got {episodes_per_family}")
    if order == "blocked":
        return [TaskSpec(f, seed + i) for f in fams for i in range(episodes_per_family)]
    tasks = [TaskSpec(f, seed + i) for i in range(episodes_per_family) for f in fams]
    if order == "interleaved":
        return tasks
    if order == "shuffled":
        random.Random(seed).shuffle(tasks)
        return tasks
    raise ValueError(f"unknown order {order!r}; expected interleaved, blocked or shuffled")


def check_families(families: Iterable[str], supported: Sequence[str]) -> None:
    """Raise ValueError naming every family of ``families`` that is not in ``supported``."""
    unknown = [f for f in dict.fromkeys(f.strip() for f in families) if f and f not in supported]
    if unknown:
        raise ValueError(
            f"unknown task famil{'y' if len(unknown) == 1 else 'ies'} {', '.join(map(repr, unknown))}; "
            f"supported: {', '.join(supported)}"
        )
