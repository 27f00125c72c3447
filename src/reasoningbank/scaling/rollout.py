"""The seam between MaTTS and an agent: a rollout function, and running several of them.

A rollout plays one attempt at a task with the memory block MaTTS gives it and
returns the trajectory. Each call must own its environment (its own browser,
sandbox or checkout): parallel rollouts of one task run at the same time.
Sequential scaling calls it again with a refinement instruction and the
episode so far; the rollout may keep acting in the same episode and returns
the whole trajectory, refinement steps included.
"""

from __future__ import annotations

from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Protocol

from ..models import Trajectory


@dataclass(frozen=True)
class RolloutRequest:
    task_id: str
    query: str
    memory: str  # the rendered memory block for the system prompt ("" without memory)
    attempt: int  # 0-based: which of the parallel rollouts, or which sequential pass
    instruction: str | None = None  # sequential passes after the first: the re-check instruction
    previous: Trajectory | None = None  # sequential passes after the first: the episode so far


class Rollout(Protocol):
    def __call__(self, request: RolloutRequest) -> Trajectory:
        """Play the attempt ``request`` describes; the trajectory (never the task's score)."""
        ...


class RolloutError(RuntimeError):
    """A rollout raised; names the attempt."""


def run_parallel(
    rollout: Rollout, requests: Sequence[RolloutRequest], max_concurrency: int
) -> list[Trajectory]:
    """Run the requests at most ``max_concurrency`` at a time; trajectories in request order."""
    if max_concurrency < 1:
        raise ValueError(f"max_concurrency must be at least 1, got {max_concurrency}")
    with ThreadPoolExecutor(max_workers=min(max_concurrency, max(1, len(requests)))) as pool:
        futures = [pool.submit(rollout, r) for r in requests]
        out: list[Trajectory] = []
        for request, future in zip(requests, futures, strict=True):
            try:
                out.append(future.result())
            except Exception as exc:
                raise RolloutError(
                    f"rollout {request.attempt + 1} of task {request.task_id!r} failed: {exc}"
                ) from exc
    return out
