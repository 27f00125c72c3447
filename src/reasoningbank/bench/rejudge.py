"""Re-judge the recorded episodes of a run with another judge setting.

The judge decides what every memory method learns, so its accuracy matters
more than any other prompt. Tuning it by re-running the benchmark costs the
agent's steps and a browser; this replays the episodes a run already recorded
(``<method>/trajectories.jsonl``, or the experiences in ``<method>/bank.db`` for
runs recorded before that file existed) through a judge and compares its
verdicts with the benchmark's score from the records. The score is read for the
comparison only: the judge sees the trajectory, never the score.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

from ..judge import Judge
from ..models import Trajectory, Usage
from ..stores.sqlite import SQLiteStore
from .records import TaskRecord, read_trajectory_lines
from .rundata import load_run
from .rundir import BANK, TRAJECTORIES, append_record


@dataclass(frozen=True)
class Episode:
    """One recorded episode: what the judge may see, and the score it may not."""

    method: str
    index: int
    task_id: str
    family: str
    trajectory: Trajectory
    success: bool
    recorded_label: str | None  # the verdict the run's own judge gave


@dataclass(frozen=True)
class Rejudged:
    episode: Episode
    label: str  # the judge's lean (success/failure), or abstained when it could not tell at all
    parsed: bool
    thoughts: str
    usage: Usage
    p_success: float | None = None
    source: str = "judge"
    reason: str = ""

    def gated(self, min_confidence: float) -> str:
        """The label the learning loop would use at this threshold (see ``gate_verdict``)."""
        if self.label == "abstained" or min_confidence <= 0.0:
            return self.label
        if self.p_success is None:
            return "abstained"
        return self.label if max(self.p_success, 1 - self.p_success) >= min_confidence else "abstained"


def load_episodes(run_dir: str | Path, methods: list[str] | None = None) -> list[Episode]:
    """Every recorded episode of ``methods`` (default: all) that has a stored trajectory."""
    run = load_run(run_dir, methods)
    out: list[Episode] = []
    for method, recs in run.records.items():
        by_index = {r.index: r for r in recs}
        trajs = _stored_trajectories(run.run_dir / method, by_index)
        for idx in sorted(trajs):
            r = by_index[idx]
            out.append(
                Episode(
                    method=method,
                    index=idx,
                    task_id=r.task_id,
                    family=r.family,
                    trajectory=trajs[idx],
                    success=r.success,
                    recorded_label=r.judge_label,
                )
            )
    return out


def _stored_trajectories(mdir: Path, by_index: dict[int, TaskRecord]) -> dict[int, Trajectory]:
    """The trajectory of each recorded task: from ``trajectories.jsonl`` (the last line
    per task wins), else from the experiences in the method's bank."""
    trajs: dict[int, Trajectory] = {}
    for line in read_trajectory_lines(mdir / TRAJECTORIES):
        if line.index in by_index and by_index[line.index].task_id == line.task_id:
            trajs[line.index] = line.trajectory
    bank = mdir / BANK
    if bank.exists() and len(trajs) < len(by_index):
        by_task = {r.task_id: idx for idx, r in by_index.items()}
        store = SQLiteStore(bank)
        try:
            for exp in store.list("default"):
                idx_or_none = by_task.get(exp.task_id)
                if idx_or_none is not None and idx_or_none not in trajs and exp.trajectory is not None:
                    trajs[idx_or_none] = exp.trajectory
        finally:
            store.close()
    return trajs


def rejudge(
    episodes: list[Episode],
    judge: Judge,
    *,
    out_path: Path | None = None,
    on_done: Callable[[Rejudged], None] | None = None,
) -> list[Rejudged]:
    """Judge every episode; append each verdict to ``out_path`` (JSONL) as it comes."""
    results: list[Rejudged] = []
    for ep in episodes:
        verdict, usage = judge.judge(ep.trajectory)
        res = Rejudged(
            ep,
            verdict.label,
            verdict.parsed,
            verdict.thoughts,
            usage,
            verdict.p_success,
            verdict.source,
            verdict.reason,
        )
        results.append(res)
        if out_path is not None:
            append_record(
                out_path,
                {
                    "method": ep.method,
                    "index": ep.index,
                    "task_id": ep.task_id,
                    "success": ep.success,
                    "recorded_label": ep.recorded_label,
                    "label": res.label,
                    "p_success": res.p_success,
                    "source": res.source,
                    "reason": res.reason,
                    "parsed": res.parsed,
                    "thoughts": res.thoughts,
                    "seconds": round(usage.seconds, 3),
                },
            )
        if on_done is not None:
            on_done(res)
    return results


@contextlib.contextmanager
def progress_bar(enabled: bool, total: int) -> Iterator[Callable[[Rejudged], None]]:
    if not enabled:
        yield lambda r: None
        return
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    agree = [0, 0]
    columns = (TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn())
    with Progress(*columns) as p:
        bar = p.add_task("re-judging", total=total)

        def done(r: Rejudged) -> None:
            agree[0] += int((r.label == "success") == r.episode.success)
            agree[1] += 1
            desc = f"re-judging · agrees with the benchmark {agree[0]}/{agree[1]}"
            p.update(bar, advance=1, description=desc)

        yield done


__all__ = ["Episode", "Rejudged", "load_episodes", "rejudge"]
