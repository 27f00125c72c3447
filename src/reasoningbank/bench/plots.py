"""PNG plots of a run: cumulative success rate and memory size over the stream."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from .rundata import RunData

SUCCESS_PLOT = "cumulative_success.png"
MEMORY_PLOT = "memory_size.png"


def write_plots(run: RunData, suffix: str = "") -> list[Path]:
    """Write both plots into the run directory (``suffix`` before ``.png``); return their paths."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    out: list[Path] = []

    fig, ax = plt.subplots(figsize=(7, 4))
    for method, recs in run.records.items():
        if not recs:
            continue
        xs = list(range(1, len(recs) + 1))
        wins = 0
        ys: list[float] = []
        for n, r in enumerate(recs, start=1):
            wins += int(r.success)
            ys.append(100.0 * wins / n)
        ax.plot(xs, ys, label=method, marker="." if len(recs) <= 50 else None)
    ax.set_xlabel("tasks seen")
    ax.set_ylabel("cumulative success rate (%)")
    ax.set_ylim(0, 100)
    ax.set_title("Success rate over the task stream")
    ax.grid(alpha=0.3)
    ax.legend()
    path = run.run_dir / SUCCESS_PLOT.replace(".png", f"{suffix}.png")
    _save(fig, path)
    plt.close(fig)
    out.append(path)

    fig, ax = plt.subplots(figsize=(7, 4))
    for method, recs in run.records.items():
        if not recs:
            continue
        xs = list(range(1, len(recs) + 1))
        ax.step(xs, [r.memory_size for r in recs], where="post", label=method)
    ax.set_xlabel("tasks seen")
    ax.set_ylabel("memory items in bank")
    ax.set_title("Memory size over the task stream")
    ax.grid(alpha=0.3)
    ax.legend()
    path = run.run_dir / MEMORY_PLOT.replace(".png", f"{suffix}.png")
    _save(fig, path)
    plt.close(fig)
    out.append(path)
    return out


def _save(fig: Any, path: Path) -> None:
    """Save a PNG atomically: a crash never leaves a truncated plot behind."""
    fig.tight_layout()
    tmp = path.with_name(path.name + ".tmp")
    try:
        fig.savefig(tmp, dpi=100, format="png")
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
