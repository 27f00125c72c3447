"""What a run can and cannot show, in words a newcomer reads beside its table.

A short stream (the README's main job: 6 tasks per method) cannot tell a difference from noise,
and its first screen must not suggest otherwise either way. :func:`reading_note` states, from the
run's own numbers, each method's 95% interval, each paired comparison's p-value, the smallest
number of tasks a difference needs before the exact McNemar test can call it real, and where the
full-size measurement lives.
"""

from __future__ import annotations

from . import diagnostics
from .metric_types import RunMetrics
from .stats import mcnemar_exact

ALPHA = 0.05
FULL_SIZE = (
    "The full-size measurement (60 tasks per method on fresh seeds, with the judge, the lessons "
    "and the controls that explain it) is in docs/benchmarks.md, 'Memory methods on MiniWoB++ "
    "with a local 1.5B model'."
)


def min_discordant(alpha: float = ALPHA) -> int:
    """The fewest tasks that only one of two methods solved, all the same way, for which the
    two-sided exact McNemar test gives p < ``alpha`` (6 at 0.05)."""
    n = 1
    while mcnemar_exact(n, 0) >= alpha:
        n += 1
    return n


def reading_note(metrics: RunMetrics) -> str:
    """The note printed under a run's results table: the intervals, the paired tests, what the
    run's size can show at best, and where the full-size result is."""
    lines: list[str] = []
    for method, mm in metrics.methods.items():
        name = diagnostics.label(method, feedback=mm.feedback)
        ci, rate = mm.significance.ci95, mm.overall.success_rate
        if ci is None or rate is None:
            continue
        interval = f"95% interval {100 * ci[0]:.0f}-{100 * ci[1]:.0f}%"
        lines.append(f"- {name}: {100 * rate:.1f}% of {mm.overall.n} tasks ({interval})")
    need = min_discordant()
    verdicts: list[str] = []
    for method, mm in metrics.methods.items():
        name = diagnostics.label(method, feedback=mm.feedback)
        vs = mm.significance.vs_baseline
        if vs is None:
            continue
        if vs.n < need:
            said = f"{vs.n} paired tasks cannot show a difference at all (p < {ALPHA} needs {need})"
        elif vs.p_value < ALPHA:
            said = f"p {vs.p_value:.2f}: a real difference on this stream"
        else:
            said = f"p {vs.p_value:.2f}: within noise, evidence neither way"
        verdicts.append(
            f"- {name} against {vs.baseline}: {100 * vs.difference:+.1f} points "
            f"({vs.only_method} tasks only {name} solved, {vs.only_baseline} only {vs.baseline}); {said}"
        )
    if not lines:
        return ""
    size = min(mm.overall.n for mm in metrics.methods.values())
    head = (
        f"What this run can show: {size} tasks per method. The exact paired test calls a difference "
        f"real only once at least {need} tasks were solved by one method and not the other, all the "
        "same way (more when some go the other way)."
    )
    return "\n".join([head, *lines, *verdicts, FULL_SIZE])
