"""The MaTTS comparison across scaled runs: the paper's Figure 4 (success against k) and its table.

Each scaled run directory holds one mode and one k (its manifest's ``scaling``);
a k = 1 run belongs to both modes. For every (mode, k, method): best-of-N (or
last-pass) success, Pass@1 (a seeded random rollout), Pass@k (any rollout),
tokens and seconds per task. Methods are named as the paper does: MaTTS
(``reasoningbank``), vanilla scaling (``reasoningbank-vanilla``), and no memory
(``none``). The scores are the benchmark's, read here only.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from .plots import _save
from .records import TaskRecord
from .rundata import load_run

LABELS = {"reasoningbank": "MaTTS", "reasoningbank-vanilla": "vanilla scaling", "none": "no memory"}
SCALING_PLOT = "matts_scaling.png"


@dataclass(frozen=True)
class ScalingRow:
    mode: str  # "parallel", "sequential" or "k=1" (both)
    k: int
    method: str
    tasks: int
    bon: float
    pass1: float
    passk: float
    tokens: float
    seconds: float
    run_dir: Path


def _row(mode: str, k: int, method: str, recs: Sequence[TaskRecord], run_dir: Path) -> ScalingRow:
    n = len(recs)
    scaled = [r.scaled for r in recs if r.scaled is not None]
    return ScalingRow(
        mode=mode,
        k=k,
        method=method,
        tasks=n,
        bon=sum(r.success for r in recs) / n,
        pass1=sum(s.pass_at_1 for s in scaled) / n if scaled else sum(r.success for r in recs) / n,
        passk=sum(s.pass_at_k for s in scaled) / n if scaled else sum(r.success for r in recs) / n,
        tokens=sum(r.llm.total.total_tokens for r in recs) / n,
        seconds=sum(r.seconds for r in recs) / n,
        run_dir=run_dir,
    )


def scaling_rows(run_dirs: Sequence[str | Path]) -> list[ScalingRow]:
    """One row per (run, method) on the tasks every method of that run finished."""
    rows: list[ScalingRow] = []
    for d in run_dirs:
        run = load_run(d)
        extra = run.manifest.model_extra or {}
        scaling = extra.get("scaling") or {"mode": "parallel", "k": 1}
        k = int(scaling.get("k", 1))
        mode = "k=1" if k == 1 else str(scaling.get("mode", "parallel"))
        common = set.intersection(*[{r.index for r in recs} for recs in run.records.values()])
        for method, recs in run.records.items():
            kept = [r for r in recs if r.index in common]
            if kept:
                rows.append(_row(mode, k, method, kept, run.run_dir))
    return sorted(rows, key=lambda r: (r.mode, r.k, r.method))


def _pct(x: float) -> str:
    return f"{100 * x:.1f}"


def scaling_table(rows: Sequence[ScalingRow]) -> str:
    lines = [
        "| mode | k | method | tasks | BoN / answer (%) | Pass@1 (%) | Pass@k (%) | tokens / task "
        "| s / task |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    for r in rows:
        label = LABELS.get(r.method, r.method)
        lines.append(
            f"| {r.mode} | {r.k} | {label} | {r.tasks} | {_pct(r.bon)} | {_pct(r.pass1)} | "
            f"{_pct(r.passk)} | {r.tokens:.0f} | {r.seconds:.1f} |"
        )
    return "\n".join(lines)


def scaling_curve(rows: Sequence[ScalingRow], mode: str, method: str) -> list[tuple[int, float]]:
    """(k, success %) points of one method in one mode; the k = 1 run counts for both modes.

    At k = 1 vanilla scaling and MaTTS are the same method (one rollout, learned on its own),
    so a k = 1 run that played only ``reasoningbank`` gives vanilla scaling its k = 1 point too.
    """
    points = {r.k: 100 * r.bon for r in rows if r.method == method and r.mode in (mode, "k=1")}
    if method == "reasoningbank-vanilla" and 1 not in points:
        points.update({r.k: 100 * r.bon for r in rows if r.method == "reasoningbank" and r.k == 1})
    return sorted(points.items())


def write_scaling_plot(rows: Sequence[ScalingRow], out_dir: str | Path) -> Path:
    """Success (best-of-N, or the last pass) against k, one panel per mode, one line per method."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(1, 2, figsize=(10, 4), sharey=True)
    for ax, mode in zip(axes, ("parallel", "sequential"), strict=True):
        measured_k: set[int] = set()
        for method in ("reasoningbank", "reasoningbank-vanilla", "none"):
            points = scaling_curve(rows, mode, method)
            measured_k.update(k for k, _ in points)
            if points:
                ax.plot([k for k, _ in points], [y for _, y in points], marker="o", label=LABELS[method])
        ax.set_title(f"{mode} scaling")
        ax.set_xlabel("scaling factor k")
        ax.grid(alpha=0.3)
        if ax.lines:
            ax.set_xticks(sorted(measured_k))  # only the measured k, no 1.25, 1.5 ...
            ax.legend()
        else:  # this mode has no run among the given directories
            ax.text(0.5, 0.5, "no run", ha="center", va="center", transform=ax.transAxes)
    axes[0].set_ylabel("success rate (%)")
    path = Path(out_dir) / SCALING_PLOT
    path.parent.mkdir(parents=True, exist_ok=True)
    _save(fig, path)
    plt.close(fig)
    return path
