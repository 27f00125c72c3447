"""The Markdown tables of a run's report, rendered from :func:`~.metrics.run_metrics`."""

from __future__ import annotations

from . import diagnostics
from .metric_types import MethodMetrics, Rate, RunMetrics
from .records import ROLES
from .rundata import RunData


def _pct(x: float | None) -> str:
    return "–" if x is None else f"{100 * x:.1f}"


def _num(x: float | None, digits: int = 1) -> str:
    return "–" if x is None else f"{x:.{digits}f}"


def _cell(rate: Rate) -> str:
    if not rate.n:
        return "–"
    return f"{_pct(rate.success_rate)} / {_num(rate.avg_steps)}"


def _md_escape(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", "<br>")


def method_label(m: str, mm: MethodMetrics) -> str:
    """The method's name, marked when it is a labelled diagnostic (:mod:`.diagnostics`)."""
    return diagnostics.label(m, feedback=mm.feedback)


def diagnostic_note(metrics: RunMetrics) -> str:
    """The footnotes for the marked rows ("" when every arm is a result of a method)."""
    return "\n\n".join(diagnostics.notes((m, mm.feedback) for m, mm in metrics.methods.items()))


def _with_note(table: str, metrics: RunMetrics) -> str:
    note = diagnostic_note(metrics)
    return f"{table}\n\n{note}" if note else table


def results_table(metrics: RunMetrics) -> str:
    """(a) SR (%) / average steps per family and overall; rows = methods."""
    fams = metrics.families
    head = "| Method | " + " | ".join(f"{f}" for f in fams) + " | Overall |"
    sep = "|---|" + "---|" * (len(fams) + 1)
    rows = [head, sep]
    for m, mm in metrics.methods.items():
        cells = [_cell(mm.families[f]) for f in fams] + [_cell(mm.overall)]
        rows.append(f"| {method_label(m, mm)} | " + " | ".join(cells) + " |")
    return _with_note("\n".join(rows), metrics)


def _significance_row(m: str, mm: MethodMetrics, base: str | None) -> str:
    ci = mm.significance.ci95
    interval = "–" if ci is None else f"{_pct(ci[0])}–{_pct(ci[1])}"
    vs = mm.significance.vs_baseline
    if vs is None:
        tail = "– | – | – | –" if m != base else "(baseline) | | |"
    else:
        tail = f"{vs.only_method} | {vs.only_baseline} | {100 * vs.difference:+.1f} | {vs.p_value:.2f}"
    return f"| {method_label(m, mm)} | {_pct(mm.overall.success_rate)} | {interval} | {tail} |"


def significance_table(metrics: RunMetrics) -> str:
    """Overall success with its 95% interval and the paired comparison with the baseline."""
    base = metrics.baseline
    rows = [
        f"| Method | success (%) | 95% interval | only this method solved | only {base} solved "
        f"| difference (points) | McNemar p |",
        "|---|---|---|---|---|---|---|",
    ]
    rows += [_significance_row(m, mm, base) for m, mm in metrics.methods.items()]
    return _with_note("\n".join(rows), metrics)


def judge_table(metrics: RunMetrics) -> str:
    """The verdicts against the benchmark: abstentions apart, confusion counts of the decided ones."""
    rows = [
        "| Method | judged | abstained | TP | FP | FN | TN | accuracy (%) | success precision (%) "
        "| success recall (%) | AUROC of p(success) | decided by | unparsed |",
        "|---|---|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    for m, mm in metrics.methods.items():
        j = mm.judge
        if not j.judged:
            rows.append(f"| {method_label(m, mm)} | 0 |" + " – |" * 11)
            continue
        sources = ", ".join(f"{k} {v}" for k, v in sorted(j.sources.items()))
        rows.append(
            f"| {method_label(m, mm)} | {j.judged} | {j.abstained} | {j.tp} | {j.fp} | {j.fn} | {j.tn} | "
            f"{_pct(j.accuracy)} | {_pct(j.precision)} | {_pct(j.recall)} | {_num(j.auroc, 2)} | {sources} | "
            f"{j.unparsed} |"
        )
    return _with_note("\n".join(rows), metrics)


def time_table(metrics: RunMetrics) -> str:
    """Seconds per episode, and the model's seconds per role within it."""
    rows = ["| Method | s / episode | action (model s) | judge (model s) | extraction (model s) |"]
    rows.append("|---|---|---|---|---|")
    for m, mm in metrics.methods.items():
        t = mm.seconds
        cells = [_num(x) for x in (t.episode, t.action, t.judge, t.extraction)]
        rows.append(f"| {method_label(m, mm)} | " + " | ".join(cells) + " |")
    return "\n".join(rows)


def learning_table(metrics: RunMetrics) -> str:
    """What each method's memory update did over the run."""
    rows = [
        "| Method | items learned | abstained | not extracted (held already) | near-duplicates merged "
        "| items dropped (every reason) | dropped by reason | items retired |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for m, mm in metrics.methods.items():
        g = mm.learning
        reasons = ", ".join(f"{k} {v}" for k, v in g.dropped_by_reason.items()) or "–"
        rows.append(
            f"| {method_label(m, mm)} | {g.items_learned} | {g.abstained} | {g.not_extracted} | "
            f"{g.merged} | {g.dropped} | {reasons} | {len(g.retired)} |"
        )
    retired = [(m, r) for m, mm in metrics.methods.items() for r in mm.learning.retired]
    if retired:
        rows += ["", "Retired items (never deleted; `reasoningbank restore` brings one back):", ""]
        rows += [f"- {m}, at {r.task_id}: {_md_escape(r.title)}: {_md_escape(r.reason)}" for m, r in retired]
    return "\n".join(rows)


def token_table(metrics: RunMetrics) -> str:
    rows = [
        "| Method | action | judge | extraction | total | LLM calls / task |",
        "|---|---|---|---|---|---|",
    ]
    for m, mm in metrics.methods.items():
        t = mm.tokens
        vals = [_num(t[r].tokens_per_task, 0) for r in ROLES]
        rows.append(
            f"| {method_label(m, mm)} | " + " | ".join(vals) + f" | {_num(t['total'].calls_per_task)} |"
        )
    return "\n".join(rows)


def retrieval_table(metrics: RunMetrics) -> str:
    rows = [
        "| Method | tasks with memory | items / task | items from a task of the same family (%) |",
        "|---|---|---|---|",
    ]
    for m, mm in metrics.methods.items():
        r = mm.retrieval
        label = method_label(m, mm)
        rows.append(f"| {label} | {r.tasks_with_memory} | {_num(r.items_per_task)} | {_pct(r.same_family)} |")
    return "\n".join(rows)


def learned_items_section(run: RunData) -> str:
    """Every memory item each method learned, with its task and the two verdicts."""
    parts: list[str] = []
    for m, recs in run.records.items():
        learned = [(r, it) for r in recs for it in r.items_learned]
        parts.append(f"### {m} ({len(learned)} items)")
        if not learned:
            parts.append("\n_No items learned._\n")
            continue
        parts.append("")
        parts.append("| # | task | benchmark | judge | origin | title | content |")
        parts.append("|---|---|---|---|---|---|---|")
        for n, (r, it) in enumerate(learned, start=1):
            bench = "success" if r.success else "failure"
            judged = r.judge_label or "–"
            parts.append(
                f"| {n} | {r.task_id} | {bench} | {judged} | {it.origin} | "
                f"{_md_escape(it.title)} | {_md_escape(it.content)} |"
            )
        parts.append("")
    return "\n".join(parts)
