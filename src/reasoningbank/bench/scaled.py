"""Test-time scaling in the bench: every task of a run played k times with MaTTS.

* :class:`EnvPool` lends each concurrent rollout its own environment (a
  MiniWoB++ page in its own browser), so rollouts of one task never share state.
* :class:`BenchRollout` is the rollout function MaTTS calls: it plays the task
  with the agent and the memory block, and keeps the benchmark's score aside
  (for the record only; the trajectory never carries it). A sequential re-check
  pass restarts the task (a MiniWoB++ episode ends at Submit, so it cannot be
  continued) with the previous attempt and the re-check instruction shown to
  the agent; the trajectory it returns is the episode so far: the previous
  passes' steps, then the new ones.
* :class:`ScaledTasks` runs one task of one method: play, save the pending
  result, learn (unless a crash already learned it), and make the record
  (:func:`~.task_record.build_task_record`) with every rollout's score, the
  answer (best-of-N or the last pass), the rollouts best-of-N chose among, why
  the attempts ended (all k, or a sequential pass judged a success, with the
  bank preset's ``scale.stop_on_success``) and a seeded random pick for Pass@1.
"""

from __future__ import annotations

import contextlib
import dataclasses
import queue
import random
import threading
import time
import zlib
from collections.abc import Callable, Iterator
from dataclasses import dataclass

from ..llm import LLM
from ..models import MemoryItem, Trajectory, Usage
from ..scaling import MaTTS, RolloutRequest, ScalingResult, Selection
from ..text.formatting import action_history
from .agent_api import AgentFactory
from .envs.base import Environment, TaskSpec
from .episode import scrub_trajectory
from .methods import BankMethod, MethodUpdate, method_spec
from .records import PendingScaled, RolloutRecord, ScaledRecord, TaskRecord, TrajectoryLine
from .rundir import TRAJECTORIES, append_record, read_json, write_json_atomic
from .settings import ScalingSettings
from .state import MethodState
from .task_record import Played, build_task_record


class EnvPool:
    """Up to ``size`` environments, made on first need; a rollout leases one for its whole attempt."""

    def __init__(self, factory: Callable[[], Environment], size: int) -> None:
        self._factory = factory
        self._size = size
        self._made: list[Environment] = []
        self._free: queue.Queue[Environment] = queue.Queue()
        self._lock = threading.Lock()

    @contextlib.contextmanager
    def lease(self) -> Iterator[Environment]:
        env = self._take()
        try:
            yield env
        finally:
            self._free.put(env)

    def _take(self) -> Environment:
        with self._lock:
            if self._free.empty() and len(self._made) < self._size:
                self._made.append(self._factory())
                return self._made[-1]
        return self._free.get()

    def close(self) -> None:
        for env in self._made:
            env.close()


@dataclass(frozen=True)
class RolloutOutcome:
    score: float
    steps: int
    usage: Usage


class BenchRollout:
    """The rollout function for one task: plays it in a leased environment with the agent."""

    def __init__(self, pool: EnvPool, task: TaskSpec, make_agent: AgentFactory) -> None:
        self.pool = pool
        self.task = task
        self.make_agent = make_agent
        self.outcomes: dict[int, RolloutOutcome] = {}
        self._lock = threading.Lock()

    def __call__(self, request: RolloutRequest) -> Trajectory:
        memory = request.memory
        if request.instruction is not None:
            previous = action_history(request.previous) if request.previous is not None else "(none)"
            recheck = (
                f"# Your previous attempt at this task\n{previous}\n\n# Before you act\n{request.instruction}"
            )
            memory = f"{memory}\n\n{recheck}" if memory else recheck
        with self.pool.lease() as env:
            result = self.make_agent(memory).run(env, self.task)
            score = float(env.evaluate())  # for the record only
        trajectory = scrub_trajectory(result.trajectory)
        if request.previous is not None:
            trajectory = trajectory.model_copy(update={"steps": [*request.previous.steps, *trajectory.steps]})
        with self._lock:
            self.outcomes[request.attempt] = RolloutOutcome(score, int(result.steps), result.usage)
        return trajectory


def pass1_pick(task_id: str, k: int) -> int:
    """The seeded random rollout whose score is Pass@1 (the same for every method of a run)."""
    return random.Random(zlib.crc32(task_id.encode())).randrange(k)


class ScaledTasks:
    """Runs the tasks of a scaled run, one method at a time."""

    def __init__(self, pool: EnvPool, make_agent: AgentFactory, llm: LLM, scaling: ScalingSettings) -> None:
        self.pool = pool
        self.make_agent = make_agent
        self.llm = llm
        self.scaling = scaling

    def matts(self, st: MethodState) -> MaTTS:
        spec = method_spec(st.name)
        if spec.scaled_as is None:
            raise ValueError(
                f"method {st.name!r} cannot be scaled; use none, reasoningbank or reasoningbank-vanilla"
            )
        bank = st.method.bank if isinstance(st.method, BankMethod) else None
        return MaTTS(
            bank,
            self.llm,
            mode=self.scaling.mode,
            k=self.scaling.k,
            aggregation=spec.scaled_as,
            max_concurrency=self.scaling.max_concurrency,
        )

    def run_one(self, st: MethodState, index: int, task: TaskSpec) -> TaskRecord:
        matts = self.matts(st)
        pending = self._load(st, index, task)
        if pending is None:
            pending = self._play(matts, index, task)
            write_json_atomic(st.pending_path, pending.model_dump(mode="json"))
        result = _result(pending, matts)
        started = time.perf_counter()
        recovered = st.method.recover(task.task_id) is not None
        if not recovered:
            matts.learn(result, pending.goal, shown=pending.memory_ids)
        # The answer's trajectory, as for unscaled tasks (for re-judging and reading later).
        line = TrajectoryLine(
            index=index,
            task_id=task.task_id,
            trajectory=result.answer,
            judge=pending.verdicts[pending.selected],
        )
        append_record(st.records_path.with_name(TRAJECTORIES), line.model_dump(mode="json"))
        update = MethodUpdate.of_reports(pending.verdicts[pending.selected], result.learned)
        return build_task_record(
            st.name,
            task,
            Played.of_scaled(pending),
            dataclasses.replace(update, recovered=recovered),
            learn_seconds=time.perf_counter() - started,
            memory_size=st.method.memory_size(),
            scaled=_scaled_info(task, pending, result, matts.k),
        )

    def _play(self, matts: MaTTS, index: int, task: TaskSpec) -> PendingScaled:
        started = time.perf_counter()
        with self.pool.lease() as env:
            goal = env.reset(task).goal
        rollout = BenchRollout(self.pool, task, self.make_agent)
        result = matts.play(task.task_id, goal, rollout)
        outcomes = [rollout.outcomes[i] for i in range(len(result.trajectories))]
        action = Usage()
        for o in outcomes:
            action = action + o.usage
        return PendingScaled(
            index=index,
            task_id=task.task_id,
            goal=goal,
            trajectories=result.trajectories,
            scores=[o.score for o in outcomes],
            steps=[o.steps for o in outcomes],
            verdicts=result.verdicts,
            selected=result.selection.index,
            selected_by=result.selection.by,
            selection_note=result.selection.note,
            selection_candidates=list(result.selection.candidates),
            stopped=result.stopped,
            memory_ids=[it.id for it in result.memory],
            memory_titles=[it.title for it in result.memory],
            action_usage=action,
            judge_usage=result.judge_usage,
            selection_usage=result.selection.usage,
            episode_seconds=time.perf_counter() - started,
        )

    @staticmethod
    def _load(st: MethodState, index: int, task: TaskSpec) -> PendingScaled | None:
        if not st.pending_path.exists():
            return None
        data = read_json(st.pending_path)
        if not isinstance(data, dict) or data.get("index") != index or data.get("task_id") != task.task_id:
            st.pending_path.unlink()
            return None
        return PendingScaled.model_validate(data)


def _result(p: PendingScaled, matts: MaTTS) -> ScalingResult:
    selection = Selection(
        p.selected, p.selected_by, "", p.selection_note, "", p.selection_usage,  # type: ignore[arg-type]
        tuple(p.selection_candidates),
    )  # fmt: skip
    memory: list[MemoryItem] = []
    return ScalingResult(
        p.task_id, matts.mode, matts.aggregation, p.trajectories, p.verdicts, selection, memory,
        judge_usage=p.judge_usage, stopped=p.stopped,  # type: ignore[arg-type]
    )  # fmt: skip


def _scaled_info(task: TaskSpec, p: PendingScaled, result: ScalingResult, k: int) -> ScaledRecord:
    """The record's scaling part; ``k`` is the run's factor (more than the attempts that ran when
    sequential scaling stopped at a success: a Pass@1 pick past them reads the last pass)."""
    return ScaledRecord(
        mode=result.mode,
        k=k,
        aggregation=result.aggregation,
        rollouts=[
            RolloutRecord(
                score=score,
                steps=steps,
                judge_label=v.label if v is not None else None,
                judge_p_success=v.p_success if v is not None else None,
            )
            for score, steps, v in zip(p.scores, p.steps, p.verdicts, strict=True)
        ],
        selected=p.selected,
        selected_by=p.selected_by,
        selection_note=p.selection_note,
        pass1=min(pass1_pick(task.task_id, k), len(p.trajectories) - 1),
        candidates=p.selection_candidates,
        stopped=p.stopped,
    )
