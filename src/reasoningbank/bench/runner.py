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

import contextlib
import hashlib
import json
import platform
import random
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from importlib import metadata
from pathlib import Path
from typing import Any, Literal, Protocol

from ..config import Preset, get_preset
from ..embed import Embedder
from ..llm import LLM
from ..models import MemoryItem, Trajectory, Usage
from ..stores.sqlite import SQLiteStore
from .envs.base import Environment, Observation, TaskSpec
from .methods import Method, MethodUpdate, build_method, parse_method
from .records import (
    BANK,
    PENDING,
    RECORDS,
    TRAJECTORIES,
    append_record,
    check_manifest,
    check_or_write_manifest,
    method_dir,
    read_json,
    read_records,
    usage_dict,
    write_json_atomic,
)
from .settings import BENCH_PRESET

Order = Literal["interleaved", "blocked", "shuffled"]

# Keys an environment or agent might leave in trajectory meta that carry the
# benchmark's verdict; they are dropped before the trajectory reaches memory.
_SCORE_KEY_PARTS = ("reward", "score", "success", "evaluat", "ground_truth")


# --------------------------------------------------------------------------- task stream


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


# --------------------------------------------------------------------------- agent seam


class AgentResultLike(Protocol):
    @property
    def trajectory(self) -> Trajectory: ...

    @property
    def usage(self) -> Usage: ...

    @property
    def steps(self) -> int: ...

    @property
    def parse_failures(self) -> int: ...


class AgentLike(Protocol):
    def run(self, env: Environment, task: TaskSpec) -> AgentResultLike: ...


AgentFactory = Callable[[str], AgentLike]
"""Builds the agent for one task from the rendered memory block."""


def react_agent_factory(llm: LLM, *, max_steps: int, **agent_kwargs: Any) -> AgentFactory:
    """The default: a :class:`~reasoningbank.bench.agent.ReActAgent` per task."""
    from .agent import ReActAgent

    def make(memory_text: str) -> AgentLike:
        agent: AgentLike = ReActAgent(llm, max_steps=max_steps, memory_text=memory_text, **agent_kwargs)
        return agent

    return make


class _PrefetchedEnv:
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


# --------------------------------------------------------------------------- run


@dataclass
class StreamResult:
    run_dir: Path
    records: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    resumed: bool = False


def prompt_fingerprint() -> dict[str, str]:
    """Short hashes of every text the models are shown: the prompt templates, and
    the agent's instructions with the action grammar. A run refuses to resume when
    they changed, so one run never mixes two versions of a prompt."""
    from ..prompts import available_prompts, get_prompt
    from .agent import ACTION_JSON_SCHEMA, BASE_INSTRUCTIONS, JSON_FORMAT, XML_FORMAT
    from .envs.actions import ACTION_GRAMMAR

    def digest(text: str) -> str:
        return hashlib.sha256(text.encode("utf-8")).hexdigest()[:16]

    templates = "\n".join(f"## {n}\n{get_prompt(n).source}" for n in available_prompts())
    agent = json.dumps([BASE_INSTRUCTIONS, XML_FORMAT, JSON_FORMAT, ACTION_GRAMMAR, ACTION_JSON_SCHEMA])
    return {"templates": digest(templates), "agent": digest(agent)}


def _versions() -> dict[str, str]:
    out = {"python": platform.python_version()}
    for dist in ("reasoningbank", "litellm", "miniwob", "sentence-transformers"):
        try:
            out[dist] = metadata.version(dist)
        except metadata.PackageNotFoundError:
            continue
    return out


def build_manifest(
    tasks: Sequence[TaskSpec],
    methods: Sequence[str],
    *,
    model: str,
    preset: Preset,
    embedder: Embedder,
    max_steps: int,
    agent_kwargs: dict[str, Any],
    extra: dict[str, Any] | None = None,
) -> dict[str, Any]:
    manifest: dict[str, Any] = {
        "model": model,
        "preset": preset.model_dump(mode="json"),
        "embedder": embedder.name,
        "methods": list(methods),
        "tasks": [{"family": t.family, "seed": t.seed} for t in tasks],
        "max_steps": max_steps,
        "agent_kwargs": {k: agent_kwargs[k] for k in sorted(agent_kwargs)},
        "prompt_fingerprint": prompt_fingerprint(),
        "versions": _versions(),
        "created_at": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
    }
    if extra:
        manifest.update(extra)
    return manifest


def check_resume(
    run_dir: str | Path,
    tasks: Sequence[TaskSpec],
    methods: Sequence[str],
    *,
    model: str,
    embedder: Embedder,
    preset: str | Preset = BENCH_PRESET,
    max_steps: int = 10,
    agent_kwargs: dict[str, Any] | None = None,
    manifest_extra: dict[str, Any] | None = None,
) -> bool:
    """Check, writing nothing, that :func:`run_stream` with these settings may use ``run_dir``.

    Lets a caller refuse a mismatched resume before it starts anything costly
    (a model server). Returns True when ``run_dir`` holds a run to resume;
    raises :class:`ManifestMismatchError` as :func:`run_stream` would.
    """
    manifest = build_manifest(
        tasks,
        methods,
        model=model,
        preset=get_preset(preset),
        embedder=embedder,
        max_steps=max_steps,
        agent_kwargs=dict(agent_kwargs or {}),
        extra=manifest_extra,
    )
    return check_manifest(Path(run_dir), manifest) is not None


@dataclass
class _MethodState:
    name: str
    method: Method
    records_path: Path
    pending_path: Path
    done: set[int]
    successes: int = 0
    finished: int = 0


def _open_method(name: str, run_dir: Path, **kwargs: Any) -> Method:
    kind, _ = parse_method(name)
    store = None if kind == "none" else SQLiteStore(method_dir(run_dir, name) / BANK)
    return build_method(name, store=store, **kwargs)


def _check_records(name: str, records: list[dict[str, Any]], tasks: Sequence[TaskSpec]) -> set[int]:
    done: set[int] = set()
    for r in records:
        idx = int(r["index"])
        if idx >= len(tasks) or tasks[idx].task_id != r.get("task_id"):
            raise ValueError(
                f"records of method {name!r} do not match the task stream at index {idx} "
                f"(record has {r.get('task_id')!r})"
            )
        done.add(idx)
    return done


def run_stream(
    env_factory: Callable[[], Environment],
    tasks: list[TaskSpec],
    methods: list[str],
    llm: LLM,
    embedder: Embedder,
    run_dir: str | Path,
    *,
    preset: str | Preset = BENCH_PRESET,
    max_steps: int = 10,
    agent_kwargs: dict[str, Any] | None = None,
    agent_factory: AgentFactory | None = None,
    judge_llm: LLM | None = None,
    extractor_llm: LLM | None = None,
    progress: bool = True,
    manifest_extra: dict[str, Any] | None = None,
) -> StreamResult:
    """Run ``tasks`` in order through every method; resumable (see module doc).

    ``agent_factory`` overrides the default ReActAgent (tests use scripted
    agents); ``agent_kwargs`` go to the default agent and into the manifest.
    """
    if not tasks:
        raise ValueError("run_stream needs at least one task")
    if not methods:
        raise ValueError("run_stream needs at least one method")
    if len(set(methods)) != len(methods):
        raise ValueError(f"methods are repeated: {methods}")
    for m in methods:
        parse_method(m)
    ids = [t.task_id for t in tasks]
    if len(set(ids)) != len(ids):
        raise ValueError("task ids in the stream must be unique (same family and seed twice?)")
    p = get_preset(preset)
    kwargs = dict(agent_kwargs or {})
    root = Path(run_dir)
    root.mkdir(parents=True, exist_ok=True)
    manifest = build_manifest(
        tasks,
        methods,
        model=str(getattr(llm, "model", "")),
        preset=p,
        embedder=embedder,
        max_steps=max_steps,
        agent_kwargs=kwargs,
        extra=manifest_extra,
    )
    resumed = check_or_write_manifest(root, manifest)
    make_agent = agent_factory or react_agent_factory(llm, max_steps=max_steps, **kwargs)

    states: list[_MethodState] = []
    for name in methods:
        mdir = method_dir(root, name)
        mdir.mkdir(parents=True, exist_ok=True)
        records_path = mdir / RECORDS
        existing = read_records(records_path)
        st = _MethodState(
            name=name,
            method=_open_method(
                name,
                root,
                embedder=embedder,
                llm=llm,
                preset=p,
                judge_llm=judge_llm,
                extractor_llm=extractor_llm,
            ),
            records_path=records_path,
            pending_path=mdir / PENDING,
            done=_check_records(name, existing, tasks),
        )
        st.finished = len(existing)
        st.successes = sum(1 for r in existing if r.get("success"))
        states.append(st)

    env = env_factory()
    try:
        with _progress(progress, states, len(tasks)) as advance:
            for index, task in enumerate(tasks):
                for st in states:
                    if index in st.done:
                        continue
                    record = _run_one(st, index, task, env, make_agent)
                    append_record(st.records_path, record)
                    st.pending_path.unlink(missing_ok=True)
                    st.done.add(index)
                    st.finished += 1
                    st.successes += int(bool(record["success"]))
                    advance(st, task)
    finally:
        env.close()
        for st in states:
            st.method.close()
    return StreamResult(
        run_dir=root,
        records={st.name: read_records(st.records_path) for st in states},
        resumed=resumed,
    )


def _run_one(
    st: _MethodState, index: int, task: TaskSpec, env: Environment, make_agent: AgentFactory
) -> dict[str, Any]:
    pending = _load_pending(st, index, task)
    if pending is None:
        pending = _run_episode(st, index, task, env, make_agent)
        write_json_atomic(st.pending_path, pending)
    trajectory = scrub_trajectory(Trajectory.model_validate(pending["trajectory"]))
    started = time.perf_counter()
    update = st.method.recover(task.task_id)
    if update is None:
        update = st.method.update(trajectory)
    learn_seconds = time.perf_counter() - started
    # Every episode's trajectory, for re-judging and reading later (synapse and awm
    # banks keep only the episodes judged successful). A crash before the record
    # is written may repeat a line on resume; readers keep the last one per index.
    verdict = update.verdict
    append_record(
        st.records_path.with_name(TRAJECTORIES),
        {
            "index": index,
            "task_id": task.task_id,
            "trajectory": trajectory.model_dump(mode="json"),
            "judge": verdict.model_dump(mode="json") if verdict is not None else None,
        },
    )
    return _record(st, index, task, pending, update, learn_seconds)


def _load_pending(st: _MethodState, index: int, task: TaskSpec) -> dict[str, Any] | None:
    if not st.pending_path.exists():
        return None
    data = read_json(st.pending_path)
    if not isinstance(data, dict) or data.get("index") != index or data.get("task_id") != task.task_id:
        st.pending_path.unlink()  # a stale episode of another task: redo this one
        return None
    return data


def _run_episode(
    st: _MethodState, index: int, task: TaskSpec, env: Environment, make_agent: AgentFactory
) -> dict[str, Any]:
    started = time.perf_counter()
    first = env.reset(task)
    retrieved: list[MemoryItem] = st.method.retrieve(task.task_id, first.goal) if first.goal.strip() else []
    memory_text = st.method.render(retrieved)
    agent = make_agent(memory_text)
    result = agent.run(_PrefetchedEnv(env, task, first), task)
    # The benchmark's score, read right after the episode. It goes into the
    # record only; it is never given to the judge or the memory.
    score = float(env.evaluate())
    return {
        "index": index,
        "task_id": task.task_id,
        "goal": first.goal,
        "trajectory": result.trajectory.model_dump(mode="json"),
        "score": score,
        "steps": int(result.steps),
        "parse_failures": int(result.parse_failures),
        "action_usage": result.usage.model_dump(mode="json"),
        "retrieved": [
            {"title": it.title, "origin": it.origin, "from_task": src}
            for it, src in zip(retrieved, st.method.sources(retrieved), strict=True)
        ],
        "memory_chars": len(memory_text),
        "episode_seconds": time.perf_counter() - started,
    }


def _record(
    st: _MethodState,
    index: int,
    task: TaskSpec,
    pending: dict[str, Any],
    update: MethodUpdate,
    learn_seconds: float,
) -> dict[str, Any]:
    action = Usage.model_validate(pending["action_usage"])
    total = action + update.judge_usage + update.extraction_usage
    verdict = update.verdict
    return {
        "method": st.name,
        "index": index,
        "task_id": task.task_id,
        "family": task.family,
        "seed": task.seed,
        "goal": pending.get("goal", ""),
        "score": pending["score"],
        "success": pending["score"] >= 1.0,
        "judge_label": verdict.label if verdict is not None else None,
        "judge_parsed": verdict.parsed if verdict is not None else None,
        "steps": pending["steps"],
        "parse_failures": pending["parse_failures"],
        "llm": {
            "action": usage_dict(action),
            "judge": usage_dict(update.judge_usage),
            "extraction": usage_dict(update.extraction_usage),
            "total": usage_dict(total),
        },
        "items_learned": [
            {"title": it.title, "description": it.description, "content": it.content, "origin": it.origin}
            for it in update.items
        ],
        "memory_size": st.method.memory_size(),
        "retrieved": [r["title"] for r in pending["retrieved"]],
        "retrieved_from": [r.get("from_task") for r in pending["retrieved"]],
        "memory_chars": pending.get("memory_chars", 0),
        "recovered": update.recovered,
        "seconds": round(float(pending["episode_seconds"]) + learn_seconds, 3),
    }


@contextlib.contextmanager
def _progress(
    enabled: bool, states: list[_MethodState], n_tasks: int
) -> Iterator[Callable[[_MethodState, TaskSpec], None]]:
    if not enabled:
        yield lambda st, task: None
        return
    from rich.progress import (
        BarColumn,
        MofNCompleteColumn,
        Progress,
        TextColumn,
        TimeElapsedColumn,
        TimeRemainingColumn,
    )

    def desc(st: _MethodState, task: TaskSpec | None) -> str:
        rate = st.successes / st.finished if st.finished else 0.0
        where = f" {task.task_id}" if task is not None else ""
        return f"{st.name:<26} SR {rate:5.1%}{where}"

    with Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        TimeRemainingColumn(),
    ) as prog:
        bars = {
            st.name: prog.add_task(desc(st, None), total=n_tasks, completed=len(st.done)) for st in states
        }

        def advance(st: _MethodState, task: TaskSpec) -> None:
            prog.update(bars[st.name], advance=1, description=desc(st, task))

        yield advance
