"""The Markdown report of a recorded run directory, and writing it with its plots.

The report has these parts: (a) success rate and average steps per task family
and overall, one row per method (the paper's Table 1 layout), with how sure each
difference from the baseline is; (b) the judge's confusion matrix against the
benchmark score; (c) tokens per task split into action / judge / extraction (the
paper's Table 5); (d) retrieval; (e) every memory item each method learned,
with the task and the judge's verdict it came from. The numbers come from
:mod:`.metrics` (typed, :mod:`.metric_types`), the tables from :mod:`.tables`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

from .behaviour import behaviour_table
from .metric_types import RunMetrics
from .metrics import common_indices, run_metrics
from .plots import write_plots
from .rundata import RunData, load_run
from .rundir import write_text_atomic
from .tables import (
    judge_table,
    learned_items_section,
    learning_table,
    method_label,
    results_table,
    retrieval_table,
    significance_table,
    time_table,
    token_table,
)

REPORT_FILE = "report.md"


def render_report(
    run_dir: str | Path, *, plots: list[Path] | None = None, methods: list[str] | None = None
) -> str:
    """The Markdown report of a run (does not write anything)."""
    run = load_run(run_dir, methods)
    return _render(run, run_metrics(run), plots)


def _header(run: RunData, metrics: RunMetrics) -> list[str]:
    """The title, the settings and a note on unfinished methods."""
    lines = [
        f"# Benchmark report: {run.run_dir.name}",
        "",
        f"Model: `{metrics.model}` · preset: `{metrics.preset}` · "
        f"embedder: `{run.manifest.embedder}` · max steps: "
        f"{'' if run.manifest.max_steps is None else run.manifest.max_steps}",
        "",
    ]
    for m, mm in metrics.methods.items():
        if mm.tasks_recorded < mm.tasks_planned:
            lines.append(f"> {m}: {mm.tasks_recorded} of {mm.tasks_planned} tasks recorded (incomplete).")
    if any(mm.tasks_recorded != metrics.compared_tasks for mm in metrics.methods.values()):
        lines.append(f"> The tables compare the {metrics.compared_tasks} tasks every method has finished.")
    return lines


def _sections(run: RunData, metrics: RunMetrics) -> list[str]:
    """The report's sections: every table, then the learned items."""
    return [
        "",
        "## Success rate (%) / average steps",
        "",
        "Success is the benchmark's own score, never the judge's verdict.",
        "",
        results_table(metrics),
        "",
        "## How sure is the difference",
        "",
        f"Every method ran the same tasks with the same seeds, so each is compared with "
        f"`{metrics.baseline}` task by task. The interval is the Wilson 95% interval of the "
        "success rate; the p-value is the exact McNemar test on the tasks only one of the two "
        "solved (a p above 0.05 means the difference may be noise).",
        "",
        significance_table(metrics),
        "",
        "## Judge vs benchmark",
        "",
        "Positive = the verdict said success; truth = the benchmark score. Abstained verdicts (not "
        "sure enough to learn from) are counted apart; the confusion counts are the decided ones.",
        "",
        judge_table(metrics),
        "",
        "## What the memory update did",
        "",
        "Items dropped are extracted items kept out of the bank, for every reason: copies of the "
        "prompt's example, placeholders, invalid items, page-specific elements, actions the agent "
        "lacks, exact duplicates (near-duplicates merged are counted apart). Not extracted counts the "
        "tasks where the bank held the lesson already (once per task, however many of its rollouts).",
        "",
        learning_table(metrics),
        "",
        "## How the agent acted",
        "",
        "A faithfulness proxy, from the trajectories: a step whose page is the same as after the "
        "step before changed nothing (a value typed again, a box clicked twice, a failed action). "
        'Lessons that say "do not redo what is done" should lower it if the agent follows them.',
        "",
        _behaviour(run, metrics),
        "",
        "## Seconds per episode",
        "",
        time_table(metrics),
        "",
        "## Tokens per task",
        "",
        token_table(metrics),
        "",
        "## Retrieval",
        "",
        retrieval_table(metrics),
        "",
        "## Memory items learned",
        "",
        learned_items_section(run),
    ]


def _behaviour(run: RunData, metrics: RunMetrics) -> str:
    """The behaviour table over the tasks every method has finished."""
    shared = common_indices(run)
    methods = list(metrics.methods)
    labels = [method_label(m, metrics.methods[m]) for m in methods]
    return behaviour_table(run.run_dir, methods, labels, shared)


def _render(run: RunData, metrics: RunMetrics, plots: list[Path] | None) -> str:
    lines = _header(run, metrics) + _sections(run, metrics)
    if plots:
        lines += ["## Plots", ""]
        lines += [f"![{p.stem}]({p.name})" for p in plots]
        lines.append("")
    return "\n".join(lines).rstrip() + "\n"


@dataclass(frozen=True)
class WrittenReport:
    text: str
    path: Path
    plots: list[Path]
    metrics: RunMetrics


def report_suffix(methods: list[str] | None) -> str:
    """File-name suffix of a report on some methods only ("" for the whole run)."""
    if not methods:
        return ""
    return "-" + "-".join(re.sub(r"[^A-Za-z0-9@+._]+", "_", m) for m in dict.fromkeys(methods))


def write_report(run_dir: str | Path, methods: list[str] | None = None) -> WrittenReport:
    """Render the plots and ``report.md`` into ``run_dir``; with ``methods``, a report
    on those methods only (``report-<methods>.md`` and plots with the same suffix)."""
    run = load_run(run_dir, methods)
    metrics = run_metrics(run)
    suffix = report_suffix(methods)
    plots = write_plots(run, suffix=suffix)
    text = _render(run, metrics, plots)
    path = run.run_dir / (Path(REPORT_FILE).stem + suffix + Path(REPORT_FILE).suffix)
    write_text_atomic(path, text)
    return WrittenReport(text=text, path=path, plots=plots, metrics=metrics)
