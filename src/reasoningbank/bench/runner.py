"""Run a task stream through several memory methods and record every task.

For each task of a fixed stream (the same order for every method), and for
each method with its own bank: retrieve memory for the task's goal, run the
agent with it, read the benchmark score, then update the memory (judge +
extraction; the score is never passed on) and append one JSONL record.

Crash safety and resume: before the memory update the finished episode is
saved to ``pending.json``; the record is appended only after the bank update
committed. On restart, recorded tasks are skipped; a pending episode is
finished without re-running it, and if its experience is already in the bank
(crash between the bank commit and the record) it is not learned again.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from ..config import Preset, get_preset
from ..embed import Embedder
from ..judge import Outcome
from ..llm import LLM
from ..stores.sqlite import SQLiteStore
from .agent_api import AgentFactory, react_agent_factory
from .arms import build_arm
from .envs.base import Environment, TaskSpec
from .episode import run_episode, scrub_trajectory, trajectory_line
from .manifest import build_manifest, check_or_write_manifest, manifest_model
from .methods import parse_method, uses_feedback
from .progress import progress_bars
from .records import PendingEpisode, TaskRecord, read_task_records
from .rundir import (
    BANK,
    LESSONS,
    PENDING,
    RECORDS,
    TRAJECTORIES,
    append_record,
    method_dir,
    read_json,
    write_json_atomic,
    write_lessons_copy,
)
from .settings import RunSettings
from .state import MethodState
from .task_record import Played, build_task_record


@dataclass
class StreamResult:
    run_dir: Path
    records: dict[str, list[TaskRecord]] = field(default_factory=dict)
    resumed: bool = False


def run_stream(
    env_factory: Callable[[], Environment],
    tasks: list[TaskSpec],
    methods: list[str],
    llm: LLM,
    embedder: Embedder,
    run_dir: str | Path,
    settings: RunSettings | None = None,
) -> StreamResult:
    """Run ``tasks`` in order through every method; resumable (see module doc).

    What is run (tasks, methods) and with what (environment, models, directory)
    are arguments; how (preset, steps, agent, progress ...) is ``settings``,
    the same object :func:`~.manifest.check_resume` takes.
    """
    settings = settings or RunSettings()
    manifest = build_manifest(tasks, methods, embedder, settings, model=manifest_model(settings, llm))
    root = Path(run_dir)
    root.mkdir(parents=True, exist_ok=True)
    resumed = check_or_write_manifest(root, manifest)
    if settings.lessons:
        write_lessons_copy(root / LESSONS, settings.lessons)
    preset = get_preset(settings.preset)
    make_agent = settings.agent_factory or react_agent_factory(
        llm, max_steps=settings.max_steps, **settings.agent_kwargs
    )
    states: list[MethodState] = []
    try:
        for name in methods:
            states.append(_open_state(name, root, tasks, llm, embedder, preset, settings))
        run_one, close_envs = _task_runner(env_factory, settings.judge_llm or llm, make_agent, settings)
        try:
            _run_loop(tasks, states, run_one, settings.progress)
        finally:
            close_envs()
    finally:
        for st in states:
            st.method.close()
    return StreamResult(
        run_dir=root,
        records={st.name: read_task_records(st.records_path) for st in states},
        resumed=resumed,
    )


def _open_state(
    name: str,
    root: Path,
    tasks: Sequence[TaskSpec],
    llm: LLM,
    embedder: Embedder,
    preset: Preset,
    settings: RunSettings,
) -> MethodState:
    """A method with its bank, and what its records say is done."""
    mdir = method_dir(root, name)
    mdir.mkdir(parents=True, exist_ok=True)
    records_path = mdir / RECORDS
    existing = read_task_records(records_path)
    kind, _ = parse_method(name)
    store = None if kind == "none" else SQLiteStore(mdir / BANK)
    method = build_arm(
        name,
        store=store,
        embedder=embedder,
        llm=llm,
        preset=preset,
        judge_llm=settings.judge_llm,
        extractor_llm=settings.extractor_llm,
        evidence=settings.evidence,
        agent_actions=settings.agent_actions,
        lessons=settings.lessons,
    )
    return MethodState(
        name=name,
        method=method,
        records_path=records_path,
        pending_path=mdir / PENDING,
        done=_check_records(name, existing, tasks),
        feedback=uses_feedback(name),
        successes=sum(1 for r in existing if r.success),
        finished=len(existing),
    )


def _check_records(name: str, records: list[TaskRecord], tasks: Sequence[TaskSpec]) -> set[int]:
    done: set[int] = set()
    for r in records:
        if r.index >= len(tasks) or tasks[r.index].task_id != r.task_id:
            raise ValueError(
                f"records of method {name!r} do not match the task stream at index {r.index} "
                f"(record has {r.task_id!r})"
            )
        done.add(r.index)
    return done


TaskRun = Callable[[MethodState, int, TaskSpec], TaskRecord]


def _run_loop(tasks: Sequence[TaskSpec], states: list[MethodState], run_one: TaskRun, progress: bool) -> None:
    """Every task in stream order, every method that has not recorded it yet."""
    with progress_bars(progress, states, len(tasks)) as advance:
        for index, task in enumerate(tasks):
            for st in states:
                if index in st.done:
                    continue
                record = run_one(st, index, task)
                append_record(st.records_path, record.model_dump(mode="json"))
                st.pending_path.unlink(missing_ok=True)
                st.done.add(index)
                st.finished += 1
                st.successes += int(record.success)
                advance(st, task)


def _task_runner(
    env_factory: Callable[[], Environment], llm: LLM, make_agent: AgentFactory, settings: RunSettings
) -> tuple[TaskRun, Callable[[], None]]:
    """How each task is run (one episode, or MaTTS over k rollouts) and how to close its environments."""
    if settings.scaling is not None:
        from .scaled import EnvPool, ScaledTasks

        pool = EnvPool(env_factory, settings.scaling.max_concurrency)
        return ScaledTasks(pool, make_agent, llm, settings.scaling).run_one, pool.close
    env = env_factory()
    return (lambda st, index, task: _run_one(st, index, task, env, make_agent)), env.close


def _run_one(
    st: MethodState, index: int, task: TaskSpec, env: Environment, make_agent: AgentFactory
) -> TaskRecord:
    """One task of one method: the episode (or the pending one), the memory update, the record."""
    pending = _load_pending(st, index, task)
    if pending is None:
        data = run_episode(st.method, index, task, env, make_agent).model_dump(mode="json")
        write_json_atomic(st.pending_path, data)
        pending = PendingEpisode.model_validate(data)  # exactly what a resume would read
    trajectory = scrub_trajectory(pending.trajectory)
    started = time.perf_counter()
    update = st.method.recover(task.task_id)
    if update is None:
        # Only the labelled feedback arm is given the benchmark's score, as its outcome.
        outcome: Outcome | None = None
        if st.feedback:
            outcome = "success" if pending.score >= 1.0 else "failure"
        shown = [r.item_id for r in pending.retrieved if r.item_id]
        update = st.method.update(trajectory, outcome=outcome, shown=shown)
    learn_seconds = time.perf_counter() - started
    # Every episode's trajectory, for re-judging and reading later (synapse and awm
    # banks keep only the episodes judged successful). A crash before the record
    # is written may repeat a line on resume; readers keep the last one per index.
    line = trajectory_line(index, task, trajectory, update)
    append_record(st.records_path.with_name(TRAJECTORIES), line.model_dump(mode="json"))
    played, size = Played.of_episode(pending), st.method.memory_size()
    return build_task_record(st.name, task, played, update, learn_seconds=learn_seconds, memory_size=size)


def _load_pending(st: MethodState, index: int, task: TaskSpec) -> PendingEpisode | None:
    if not st.pending_path.exists():
        return None
    data = read_json(st.pending_path)
    if not isinstance(data, dict) or data.get("index") != index or data.get("task_id") != task.task_id:
        st.pending_path.unlink()  # a stale episode of another task: redo this one
        return None
    return PendingEpisode.model_validate(data)
