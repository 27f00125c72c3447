"""The numbers of a run's report: :func:`run_metrics` (typed, :mod:`.metric_types`) and
:func:`compute_metrics` (the same as a JSON-ready dict, ``reasoningbank report --json``).

Per method: success rate and average steps per task family and overall; the
95% interval and the paired comparison with the baseline; the judge's confusion
matrix against the benchmark score; tokens per task by role; what the memory
update did; how much memory each task got and where from.
"""

from __future__ import annotations

from collections import Counter
from typing import Any

from .calibration import auroc
from .learn_notes import learn_facts
from .metric_types import (
    Confusion,
    Learning,
    MethodMetrics,
    Rate,
    RetiredItem,
    Retrieval,
    RoleTokens,
    RunMetrics,
    Seconds,
    Significance,
    VsBaseline,
)
from .records import ROLES, TaskRecord
from .rundata import RunData
from .stats import paired, wilson_interval


def _rate(recs: list[TaskRecord]) -> Rate:
    n = len(recs)
    return Rate(
        n=n,
        success_rate=sum(1 for r in recs if r.success) / n if n else None,
        avg_steps=sum(float(r.steps) for r in recs) / n if n else None,
    )


def confusion(pairs: list[tuple[str | None, bool]]) -> dict[str, Any]:
    """Counts of (verdict, benchmark success) pairs; pairs without a verdict are skipped."""
    judged = [(label, ok) for label, ok in pairs if label is not None]
    tp = sum(1 for label, ok in judged if label == "success" and ok)
    fp = sum(1 for label, ok in judged if label == "success" and not ok)
    fn = sum(1 for label, ok in judged if label != "success" and ok)
    tn = sum(1 for label, ok in judged if label != "success" and not ok)
    n = len(judged)
    return {"n": n, "tp": tp, "fp": fp, "fn": fn, "tn": tn, "accuracy": (tp + tn) / n if n else None}


def _confusion(recs: list[TaskRecord]) -> Confusion:
    """The judge against the benchmark: abstentions apart, then the confusion counts of the
    decided verdicts, precision and recall of "success", AUROC of p(success) and who decided."""
    judged = [r for r in recs if r.judge_label is not None]
    decided = [r for r in judged if r.judge_label != "abstained"]
    out = confusion([(r.judge_label, r.success) for r in decided])
    tp, fp, fn = out["tp"], out["fp"], out["fn"]
    scored = [(r.judge_p_success, r.success) for r in judged if r.judge_p_success is not None]
    return Confusion(
        **out,
        unparsed=sum(1 for r in judged if r.judge_parsed is False),
        judged=len(judged),
        abstained=len(judged) - len(decided),
        precision=tp / (tp + fp) if tp + fp else None,
        recall=tp / (tp + fn) if tp + fn else None,
        auroc=auroc([p for p, _ in scored], [t for _, t in scored]) if scored else None,
        sources=dict(Counter(r.judge_source or "judge" for r in judged)),
    )


def _seconds(recs: list[TaskRecord]) -> Seconds:
    """Mean seconds per episode, and the model time of each role in it."""
    n = len(recs)
    if not n:
        return Seconds(episode=None, action=None, judge=None, extraction=None)
    roles = {role: sum(r.llm.by_role()[role].seconds for r in recs) / n for role in ROLES if role != "total"}
    return Seconds(episode=sum(r.seconds for r in recs) / n, **roles)


def learning(recs: list[TaskRecord]) -> Learning:
    """What the memory update did: items learned, tasks whose extraction was skipped (the bank held
    the lesson), abstentions, near-duplicates merged, items dropped (every reason, and by reason)
    and retirements."""
    facts = [(r, learn_facts(r)) for r in recs]
    by_reason = Counter(d.reason for _, f in facts for d in f.dropped)
    return Learning(
        items_learned=sum(len(r.items_learned) for r in recs),
        not_extracted=sum(1 for _, f in facts if "held_already" in f.skipped),
        abstained=sum(1 for r in recs if r.judge_label == "abstained"),
        merged=sum(f.merged for _, f in facts),
        dropped=sum(by_reason.values()),
        dropped_by_reason=dict(sorted(by_reason.items())),
        retired=[
            RetiredItem(task_id=r.task_id, title=x.title, reason=x.reason)
            for r, f in facts
            for x in f.retired
        ],
    )


def _tokens(recs: list[TaskRecord]) -> dict[str, RoleTokens]:
    n = len(recs)
    out: dict[str, RoleTokens] = {}
    for role in ROLES:
        tot = sum(r.llm.by_role()[role].total_tokens for r in recs)
        calls = sum(r.llm.by_role()[role].calls for r in recs)
        out[role] = RoleTokens(
            tokens_per_task=tot / n if n else None, calls_per_task=calls / n if n else None
        )
    return out


def _retrieval(recs: list[TaskRecord]) -> Retrieval:
    """How much memory each task got, and how much of it came from a task of the same
    family (records written before sources were recorded count as unknown)."""
    n = len(recs)
    known = same = 0
    for r in recs:
        for src in r.retrieved_from:
            if src:
                known += 1
                same += int(src.split(":", 1)[0] == r.family)
    return Retrieval(
        tasks_with_memory=sum(1 for r in recs if r.retrieved),
        items_per_task=sum(len(r.retrieved) for r in recs) / n if n else None,
        items_with_source=known,
        same_family=same / known if known else None,
    )


def baseline_method(methods: list[str]) -> str | None:
    """The method the others are compared against: ``none`` when it ran, else the first."""
    if not methods:
        return None
    return "none" if "none" in methods else methods[0]


def _significance(by_method: dict[str, list[TaskRecord]], baseline: str | None) -> dict[str, Significance]:
    """Per method: a 95% Wilson interval on its success rate and, against the
    baseline, the paired task counts and the exact McNemar p-value."""
    out: dict[str, Significance] = {}
    base = {r.index: r.success for r in by_method.get(baseline or "", [])}
    for m, recs in by_method.items():
        wins = sum(1 for r in recs if r.success)
        vs = None
        if baseline is not None and m != baseline and recs:
            pr = paired([r.success for r in recs], [base[r.index] for r in recs])
            counts = (pr.n, pr.both, pr.only_method, pr.only_baseline, pr.neither)
            vs = VsBaseline(baseline=baseline, **dict(zip(_PAIRED, counts, strict=True)),
                            difference=pr.difference, p_value=pr.p_value)  # fmt: skip
        ci = wilson_interval(wins, len(recs)) if recs else None
        out[m] = Significance(ci95=ci, vs_baseline=vs)
    return out


_PAIRED = ("n", "both", "only_method", "only_baseline", "neither")


def common_indices(run: RunData) -> set[int]:
    """Task indices every method has recorded: the only fair basis to compare on."""
    sets = [{r.index for r in recs} for recs in run.records.values()]
    return set.intersection(*sets) if sets else set()


def _method(
    run: RunData, recs: list[TaskRecord], all_recs: list[TaskRecord], sig: Significance
) -> MethodMetrics:
    return MethodMetrics(
        overall=_rate(recs),
        significance=sig,
        families={f: _rate([r for r in recs if r.family == f]) for f in run.families},
        judge=_confusion(recs),
        feedback=any(r.feedback for r in recs),
        seconds=_seconds(recs),
        learning=learning(recs),
        tokens=_tokens(recs),
        retrieval=_retrieval(recs),
        items_learned=sum(len(r.items_learned) for r in recs),
        memory_size=recs[-1].memory_size if recs else 0,
        tasks_recorded=len(all_recs),
        tasks_planned=len(run.manifest.tasks),
    )


def run_metrics(run: RunData) -> RunMetrics:
    """All numbers of the report, typed.

    While a run is unfinished, methods may differ by a task or so; every number is
    computed on the tasks all methods have finished (``compared_tasks``).
    """
    common = common_indices(run)
    compared = {m: [r for r in all_recs if r.index in common] for m, all_recs in run.records.items()}
    baseline = baseline_method(run.methods)
    significance = _significance(compared, baseline)
    return RunMetrics(
        run_dir=str(run.run_dir),
        model=run.manifest.model,
        preset=run.manifest.preset_name,
        families=run.families,
        compared_tasks=len(common),
        baseline=baseline,
        methods={m: _method(run, compared[m], recs, significance[m]) for m, recs in run.records.items()},
    )


def compute_metrics(run: RunData) -> dict[str, Any]:
    """All numbers of the report as a JSON-ready dict (:func:`run_metrics`, dumped)."""
    return run_metrics(run).to_json()
