"""PNG plots of a run: cumulative success rate and memory size over the stream."""

from __future__ import annotations

import os
import textwrap
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from . import diagnostics
from .records import TaskRecord
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
        ax.plot(xs, ys, label=_label(method, recs), marker="." if len(recs) <= 50 else None)
    ax.set_xlabel("tasks seen")
    ax.set_ylabel("cumulative success rate (%)")
    ax.set_ylim(0, 100)
    ax.set_title("Success rate over the task stream")
    ax.grid(alpha=0.3)
    ax.legend()
    bottom = _footnotes(fig, run)
    path = run.run_dir / SUCCESS_PLOT.replace(".png", f"{suffix}.png")
    _save(fig, path, bottom)
    plt.close(fig)
    out.append(path)

    fig, ax = plt.subplots(figsize=(7, 4))
    for method, recs in run.records.items():
        if not recs:
            continue
        xs = list(range(1, len(recs) + 1))
        ax.step(xs, [r.memory_size for r in recs], where="post", label=_label(method, recs))
    ax.set_xlabel("tasks seen")
    ax.set_ylabel("memory items in bank")
    ax.set_title("Memory size over the task stream")
    ax.grid(alpha=0.3)
    ax.legend()
    bottom = _footnotes(fig, run)
    path = run.run_dir / MEMORY_PLOT.replace(".png", f"{suffix}.png")
    _save(fig, path, bottom)
    plt.close(fig)
    out.append(path)
    return out


def _label(method: str, recs: Sequence[TaskRecord]) -> str:
    """The legend's name of ``method``, marked when the arm is a labelled diagnostic."""
    return diagnostics.label(method, feedback=any(r.feedback for r in recs))


def _footnotes(fig: Any, run: RunData) -> float:
    """Write the marks' meanings under the plot, so a plot read alone says which lines are
    diagnostics; return the share of the figure's height they take (0 when none)."""
    notes = diagnostics.notes((m, any(r.feedback for r in recs)) for m, recs in run.records.items())
    if not notes:
        return 0.0
    text = "\n".join(textwrap.fill(n, 130) for n in notes)
    fig.text(0.01, 0.01, text, fontsize=6, va="bottom", ha="left")
    return 0.03 + 0.025 * (text.count("\n") + 1)


def _save(fig: Any, path: Path, bottom: float = 0.0) -> None:
    """Save a PNG atomically: a crash never leaves a truncated plot behind. ``bottom``: the share
    of the height kept free for footnotes."""
    fig.tight_layout(rect=(0.0, bottom, 1.0, 1.0))
    tmp = path.with_name(path.name + ".tmp")
    try:
        fig.savefig(tmp, dpi=100, format="png")
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
