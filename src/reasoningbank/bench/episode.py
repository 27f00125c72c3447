"""One episode of one method: run the agent with the method's memory, then record it.

:func:`run_episode` resets the environment (to learn the goal, the retrieval
query), retrieves memory, runs the agent and reads the benchmark's score; the
result is a :class:`~.records.PendingEpisode`. After the method's memory update,
:func:`trajectory_line` and :func:`~.task_record.build_task_record` make what the run keeps of it.
The score goes into the record only: :func:`scrub_trajectory` removes anything
that could carry it from the trajectory the memory sees.
"""

from __future__ import annotations

import time

from ..models import MemoryItem, Trajectory
from .agent_api import AgentFactory
from .envs.base import Environment, Observation, TaskSpec
from .methods import Method, MethodUpdate
from .records import PendingEpisode, RetrievedRef, TrajectoryLine

# Keys an environment or agent might leave in trajectory meta that carry the
# benchmark's verdict; they are dropped before the trajectory reaches memory.
_SCORE_KEY_PARTS = ("reward", "score", "success", "evaluat", "ground_truth")


class PrefetchedEnv:
    """Serves the already-made first observation to the agent's ``reset``.

    The runner resets the environment itself to learn the goal (the retrieval
    query) before building the agent; this avoids a second reset.
    """

    def __init__(self, env: Environment, task: TaskSpec, first: Observation) -> None:
        self._env = env
        self._task = task
        self._first: Observation | None = first

    def reset(self, task: TaskSpec) -> Observation:
        if self._first is not None and task == self._task:
            first, self._first = self._first, None
            return first
        return self._env.reset(task)

    def step(self, action: str) -> Observation:
        self._first = None
        return self._env.step(action)

    def evaluate(self) -> float:
        return self._env.evaluate()

    def close(self) -> None:
        self._env.close()


def scrub_trajectory(traj: Trajectory) -> Trajectory:
    """A copy without meta keys that could carry the benchmark score."""
    meta = {k: v for k, v in traj.meta.items() if not any(part in k.lower() for part in _SCORE_KEY_PARTS)}
    return traj.model_copy(update={"meta": meta})


def run_episode(
    method: Method, index: int, task: TaskSpec, env: Environment, make_agent: AgentFactory
) -> PendingEpisode:
    """Run ``task`` with ``method``'s memory; the episode before its memory update."""
    started = time.perf_counter()
    first = env.reset(task)
    retrieved: list[MemoryItem] = method.retrieve(task.task_id, first.goal) if first.goal.strip() else []
    memory_text = method.render(retrieved)
    agent = make_agent(memory_text)
    result = agent.run(PrefetchedEnv(env, task, first), task)
    # The benchmark's score, read right after the episode. It goes into the
    # record only; it is never given to the judge or the memory.
    score = float(env.evaluate())
    return PendingEpisode(
        index=index,
        task_id=task.task_id,
        goal=first.goal,
        trajectory=result.trajectory,
        score=score,
        steps=int(result.steps),
        parse_failures=int(result.parse_failures),
        action_usage=result.usage,
        retrieved=[
            RetrievedRef(title=it.title, origin=it.origin, from_task=src, item_id=it.id)
            for it, src in zip(retrieved, method.sources(retrieved), strict=True)
        ],
        memory_chars=len(memory_text),
        episode_seconds=time.perf_counter() - started,
    )


def trajectory_line(
    index: int, task: TaskSpec, trajectory: Trajectory, update: MethodUpdate
) -> TrajectoryLine:
    """What ``trajectories.jsonl`` keeps of an episode: the (scrubbed) trajectory and its verdict."""
    return TrajectoryLine(index=index, task_id=task.task_id, trajectory=trajectory, judge=update.verdict)
