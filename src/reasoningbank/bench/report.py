"""Metrics and the Markdown report of a recorded run directory.

The report has four parts: (a) success rate and average steps per task family
and overall, one row per method (the paper's Table 1 layout); (b) the judge's
confusion matrix against the benchmark score; (c) tokens per task split into
action / judge / extraction (the paper's Table 5); (d) every memory item each
method learned, with the task and the judge's verdict it came from.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from .records import MANIFEST, RECORDS, read_json, read_records, write_text_atomic
from .stats import paired, wilson_interval

REPORT_FILE = "report.md"
_ROLES = ("action", "judge", "extraction", "total")


@dataclass
class RunData:
    run_dir: Path
    manifest: dict[str, Any]
    records: dict[str, list[dict[str, Any]]]  # method -> records ordered by index

    @property
    def methods(self) -> list[str]:
        return list(self.records)

    @property
    def families(self) -> list[str]:
        seen: dict[str, None] = {}
        for t in self.manifest.get("tasks", []):
            seen.setdefault(str(t["family"]), None)
        for recs in self.records.values():
            for r in recs:
                seen.setdefault(str(r["family"]), None)
        return list(seen)


def load_run(run_dir: str | Path, methods: list[str] | None = None) -> RunData:
    """Read ``run.json`` and every method's ``records.jsonl`` (only ``methods``,
    in that order, when given: a report on part of a run, e.g. two presets)."""
    root = Path(run_dir)
    only = list(dict.fromkeys(methods)) if methods else None
    path = root / MANIFEST
    if not path.exists():
        raise FileNotFoundError(f"{root} is not a benchmark run directory: {MANIFEST} is missing")
    manifest = read_json(path)
    if not isinstance(manifest, dict):
        raise ValueError(f"{path} is not a JSON object")
    methods = [str(m) for m in manifest.get("methods", [])]
    for sub in sorted(p.name for p in root.iterdir() if (p / RECORDS).exists()):
        if sub not in methods:
            methods.append(sub)
    if only is not None:
        missing = [m for m in only if m not in methods]
        if missing:
            raise ValueError(
                f"{root} has no records of method(s) {', '.join(missing)}; it has: {', '.join(methods)}"
            )
        methods = list(only)
    records: dict[str, list[dict[str, Any]]] = {}
    for m in methods:
        recs = read_records(root / m / RECORDS)
        records[m] = sorted(recs, key=lambda r: int(r["index"]))
    return RunData(root, manifest, records)


# --------------------------------------------------------------------------- metrics


def _rate(recs: list[dict[str, Any]]) -> dict[str, Any]:
    n = len(recs)
    return {
        "n": n,
        "success_rate": sum(1 for r in recs if r["success"]) / n if n else None,
        "avg_steps": sum(float(r["steps"]) for r in recs) / n if n else None,
    }


def confusion(pairs: list[tuple[str | None, bool]]) -> dict[str, Any]:
    """Counts of (verdict, benchmark success) pairs; pairs without a verdict are skipped."""
    judged = [(label, ok) for label, ok in pairs if label is not None]
    tp = sum(1 for label, ok in judged if label == "success" and ok)
    fp = sum(1 for label, ok in judged if label == "success" and not ok)
    fn = sum(1 for label, ok in judged if label != "success" and ok)
    tn = sum(1 for label, ok in judged if label != "success" and not ok)
    n = len(judged)
    return {"n": n, "tp": tp, "fp": fp, "fn": fn, "tn": tn, "accuracy": (tp + tn) / n if n else None}


def _confusion(recs: list[dict[str, Any]]) -> dict[str, Any]:
    out = confusion([(r.get("judge_label"), bool(r["success"])) for r in recs])
    judged = [r for r in recs if r.get("judge_label") is not None]
    out["unparsed"] = sum(1 for r in judged if r.get("judge_parsed") is False)
    return out


def _tokens(recs: list[dict[str, Any]]) -> dict[str, Any]:
    n = len(recs)
    out: dict[str, Any] = {}
    for role in _ROLES:
        tot = sum(int(r["llm"][role]["total_tokens"]) for r in recs)
        calls = sum(int(r["llm"][role]["calls"]) for r in recs)
        out[role] = {
            "tokens_per_task": tot / n if n else None,
            "calls_per_task": calls / n if n else None,
        }
    return out


def _retrieval(recs: list[dict[str, Any]]) -> dict[str, Any]:
    """How much memory each task got, and how much of it came from a task of the same
    family (records written before sources were recorded count as unknown)."""
    n = len(recs)
    with_memory = sum(1 for r in recs if r.get("retrieved"))
    items = sum(len(r.get("retrieved") or []) for r in recs)
    known = same = 0
    for r in recs:
        for src in r.get("retrieved_from") or []:
            if src:
                known += 1
                same += int(str(src).split(":", 1)[0] == r["family"])
    return {
        "tasks_with_memory": with_memory,
        "items_per_task": items / n if n else None,
        "items_with_source": known,
        "same_family": same / known if known else None,
    }


def baseline_method(methods: list[str]) -> str | None:
    """The method the others are compared against: ``none`` when it ran, else the first."""
    if not methods:
        return None
    return "none" if "none" in methods else methods[0]


def _significance(by_method: dict[str, list[dict[str, Any]]], baseline: str | None) -> dict[str, Any]:
    """Per method: a 95% Wilson interval on its success rate and, against the
    baseline, the paired task counts and the exact McNemar p-value."""
    out: dict[str, Any] = {}
    base = {int(r["index"]): bool(r["success"]) for r in by_method.get(baseline or "", [])}
    for m, recs in by_method.items():
        wins = sum(1 for r in recs if r["success"])
        entry: dict[str, Any] = {"ci95": list(wilson_interval(wins, len(recs))) if recs else None}
        if baseline is not None and m != baseline and recs:
            pr = paired([bool(r["success"]) for r in recs], [base[int(r["index"])] for r in recs])
            entry["vs_baseline"] = {
                "baseline": baseline,
                "n": pr.n,
                "both": pr.both,
                "only_method": pr.only_method,
                "only_baseline": pr.only_baseline,
                "neither": pr.neither,
                "difference": pr.difference,
                "p_value": pr.p_value,
            }
        out[m] = entry
    return out


def _common_indices(run: RunData) -> set[int]:
    """Task indices every method has recorded: the only fair basis to compare on."""
    sets = [{int(r["index"]) for r in recs} for recs in run.records.values()]
    return set.intersection(*sets) if sets else set()


def compute_metrics(run: RunData) -> dict[str, Any]:
    """All numbers of the report as a JSON-ready dict.

    While a run is unfinished, methods may differ by a task or so; every number is
    computed on the tasks all methods have finished (``compared_tasks``).
    """
    common = _common_indices(run)
    compared = {m: [r for r in all_recs if int(r["index"]) in common] for m, all_recs in run.records.items()}
    baseline = baseline_method(run.methods)
    significance = _significance(compared, baseline)
    methods: dict[str, Any] = {}
    for m, all_recs in run.records.items():
        recs = compared[m]
        methods[m] = {
            "overall": _rate(recs),
            "significance": significance[m],
            "families": {f: _rate([r for r in recs if r["family"] == f]) for f in run.families},
            "judge": _confusion(recs),
            "tokens": _tokens(recs),
            "retrieval": _retrieval(recs),
            "items_learned": sum(len(r["items_learned"]) for r in recs),
            "memory_size": recs[-1]["memory_size"] if recs else 0,
            "tasks_recorded": len(all_recs),
            "tasks_planned": len(run.manifest.get("tasks", [])),
        }
    return {
        "run_dir": str(run.run_dir),
        "model": run.manifest.get("model"),
        "preset": (run.manifest.get("preset") or {}).get("name")
        if isinstance(run.manifest.get("preset"), dict)
        else run.manifest.get("preset"),
        "families": run.families,
        "compared_tasks": len(common),
        "baseline": baseline,
        "methods": methods,
    }


# --------------------------------------------------------------------------- markdown


def _pct(x: float | None) -> str:
    return "–" if x is None else f"{100 * x:.1f}"


def _num(x: float | None, digits: int = 1) -> str:
    return "–" if x is None else f"{x:.{digits}f}"


def _cell(rate: dict[str, Any]) -> str:
    if not rate["n"]:
        return "–"
    return f"{_pct(rate['success_rate'])} / {_num(rate['avg_steps'])}"


def _md_escape(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", "<br>")


def results_table(metrics: dict[str, Any]) -> str:
    """(a) SR (%) / average steps per family and overall; rows = methods."""
    fams: list[str] = metrics["families"]
    head = "| Method | " + " | ".join(f"{f}" for f in fams) + " | Overall |"
    sep = "|---|" + "---|" * (len(fams) + 1)
    rows = [head, sep]
    for m, mm in metrics["methods"].items():
        cells = [_cell(mm["families"][f]) for f in fams] + [_cell(mm["overall"])]
        rows.append(f"| {m} | " + " | ".join(cells) + " |")
    return "\n".join(rows)


def significance_table(metrics: dict[str, Any]) -> str:
    """Overall success with its 95% interval and the paired comparison with the baseline."""
    base = metrics.get("baseline")
    rows = [
        f"| Method | success (%) | 95% interval | only this method solved | only {base} solved "
        f"| difference (points) | McNemar p |",
        "|---|---|---|---|---|---|---|",
    ]
    for m, mm in metrics["methods"].items():
        sig = mm["significance"]
        ci = sig["ci95"]
        interval = "–" if ci is None else f"{_pct(ci[0])}–{_pct(ci[1])}"
        vs = sig.get("vs_baseline")
        if vs is None:
            tail = "– | – | – | –" if m != base else "(baseline) | | |"
        else:
            tail = (
                f"{vs['only_method']} | {vs['only_baseline']} | {100 * vs['difference']:+.1f} | "
                f"{vs['p_value']:.2f}"
            )
        rows.append(f"| {m} | {_pct(mm['overall']['success_rate'])} | {interval} | {tail} |")
    return "\n".join(rows)


def judge_table(metrics: dict[str, Any]) -> str:
    rows = [
        "| Method | judged | TP | FP | FN | TN | judge accuracy (%) | unparsed |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for m, mm in metrics["methods"].items():
        j = mm["judge"]
        if not j["n"]:
            rows.append(f"| {m} | 0 | – | – | – | – | – | – |")
            continue
        rows.append(
            f"| {m} | {j['n']} | {j['tp']} | {j['fp']} | {j['fn']} | {j['tn']} | "
            f"{_pct(j['accuracy'])} | {j['unparsed']} |"
        )
    return "\n".join(rows)


def token_table(metrics: dict[str, Any]) -> str:
    rows = [
        "| Method | action | judge | extraction | total | LLM calls / task |",
        "|---|---|---|---|---|---|",
    ]
    for m, mm in metrics["methods"].items():
        t = mm["tokens"]
        vals = [_num(t[r]["tokens_per_task"], 0) for r in _ROLES]
        rows.append(f"| {m} | " + " | ".join(vals) + f" | {_num(t['total']['calls_per_task'])} |")
    return "\n".join(rows)


def retrieval_table(metrics: dict[str, Any]) -> str:
    rows = [
        "| Method | tasks with memory | items / task | items from a task of the same family (%) |",
        "|---|---|---|---|",
    ]
    for m, mm in metrics["methods"].items():
        r = mm["retrieval"]
        rows.append(
            f"| {m} | {r['tasks_with_memory']} | {_num(r['items_per_task'])} | {_pct(r['same_family'])} |"
        )
    return "\n".join(rows)


def learned_items_section(run: RunData) -> str:
    parts: list[str] = []
    for m, recs in run.records.items():
        learned = [(r, it) for r in recs for it in r["items_learned"]]
        parts.append(f"### {m} ({len(learned)} items)")
        if not learned:
            parts.append("\n_No items learned._\n")
            continue
        parts.append("")
        parts.append("| # | task | benchmark | judge | origin | title | content |")
        parts.append("|---|---|---|---|---|---|---|")
        for n, (r, it) in enumerate(learned, start=1):
            bench = "success" if r["success"] else "failure"
            judged = r.get("judge_label") or "–"
            parts.append(
                f"| {n} | {r['task_id']} | {bench} | {judged} | {it.get('origin', '')} | "
                f"{_md_escape(str(it['title']))} | {_md_escape(str(it['content']))} |"
            )
        parts.append("")
    return "\n".join(parts)


def render_report(
    run_dir: str | Path, *, plots: list[Path] | None = None, methods: list[str] | None = None
) -> str:
    """The Markdown report of a run (does not write anything)."""
    run = load_run(run_dir, methods)
    return _render(run, compute_metrics(run), plots)


def _render(run: RunData, metrics: dict[str, Any], plots: list[Path] | None) -> str:
    lines = [
        f"# Benchmark report: {run.run_dir.name}",
        "",
        f"Model: `{metrics['model']}` · preset: `{metrics['preset']}` · "
        f"embedder: `{run.manifest.get('embedder', '')}` · max steps: {run.manifest.get('max_steps', '')}",
        "",
    ]
    for m, mm in metrics["methods"].items():
        if mm["tasks_recorded"] < mm["tasks_planned"]:
            lines.append(
                f"> {m}: {mm['tasks_recorded']} of {mm['tasks_planned']} tasks recorded (incomplete)."
            )
    if any(mm["tasks_recorded"] != metrics["compared_tasks"] for mm in metrics["methods"].values()):
        lines.append(f"> The tables compare the {metrics['compared_tasks']} tasks every method has finished.")
    lines += [
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
        f"`{metrics['baseline']}` task by task. The interval is the Wilson 95% interval of the "
        "success rate; the p-value is the exact McNemar test on the tasks only one of the two "
        "solved (a p above 0.05 means the difference may be noise).",
        "",
        significance_table(metrics),
        "",
        "## Judge vs benchmark",
        "",
        "Positive = the judge said success; truth = the benchmark score.",
        "",
        judge_table(metrics),
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
    metrics: dict[str, Any]


def report_suffix(methods: list[str] | None) -> str:
    """File-name suffix of a report on some methods only ("" for the whole run)."""
    if not methods:
        return ""
    return "-" + "-".join(re.sub(r"[^A-Za-z0-9@+._]+", "_", m) for m in dict.fromkeys(methods))


def write_report(run_dir: str | Path, methods: list[str] | None = None) -> WrittenReport:
    """Render the plots and ``report.md`` into ``run_dir``; with ``methods``, a report
    on those methods only (``report-<methods>.md`` and plots with the same suffix)."""
    from .plots import write_plots

    run = load_run(run_dir, methods)
    metrics = compute_metrics(run)
    suffix = report_suffix(methods)
    plots = write_plots(run, suffix=suffix)
    text = _render(run, metrics, plots)
    path = run.run_dir / (Path(REPORT_FILE).stem + suffix + Path(REPORT_FILE).suffix)
    write_text_atomic(path, text)
    return WrittenReport(text=text, path=path, plots=plots, metrics=metrics)
