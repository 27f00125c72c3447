"""The bench commands that look at recorded runs: ``report``, ``bench rejudge``, ``bench scaling-report``."""

from __future__ import annotations

import argparse
import contextlib
import json
import sys
from pathlib import Path
from typing import Any

from ..bench.reading import reading_note
from ..bench.report import write_report
from ..bench.settings import BENCH_PRESET
from ..bench.tables import results_table
from ..config import Preset
from . import bench_llm
from .bench_llm import DEFAULT_LOCAL_MODEL


def register(bsub: Any, subparsers: Any, add_options: Any) -> None:
    """Add ``bench rejudge``, ``bench scaling-report``, and ``report`` (as ``bench report`` too)."""
    _register_rejudge(bsub, add_options)
    _register_scaling_report(bsub)
    for parent in (bsub, subparsers):
        _register_report(parent, add_options)


def _split(text: str) -> list[str]:
    return [x.strip() for x in text.split(",") if x.strip()]


def _register_rejudge(bsub: Any, add_options: Any) -> None:
    p = bsub.add_parser(
        "rejudge",
        help="re-judge a run's recorded episodes with another judge setting; compare with the benchmark",
    )
    add_options(p, model_role="the judge", embedder=False)
    p.add_argument("run_dir")
    p.add_argument("--methods", default=None, help="comma list of the run's methods (default: all)")
    p.add_argument("--families", default=None, help="comma list of task families (default: all)")
    p.add_argument("--limit", type=int, default=None, help="at most this many episodes")
    p.add_argument(
        "--judge",
        choices=("llm", "evidence"),
        default=None,
        help="'llm': the paper's open verdict; 'evidence': rules on the episode's evidence, then one "
        "narrow question to the model (default: the preset's)",
    )
    p.add_argument(
        "--confidence",
        choices=("none", "logprobs", "votes"),
        default=None,
        help="where p(success) comes from: the answer token's probability, or agreement over samples; "
        "'none' asks the evidence judge no model (default: the preset's)",
    )
    p.add_argument(
        "--threshold",
        type=float,
        default=None,
        help="learning threshold: a verdict less sure than this abstains (default: the preset's)",
    )
    p.add_argument(
        "--judge-prompt",
        choices=("paper", "small-local"),
        default=None,
        help="the llm judge's prompt (default: the preset's)",
    )
    p.add_argument("--temperature", type=float, default=None, help="judge temperature (default: preset's)")
    p.add_argument("--max-tokens", type=int, default=None, help="judge max tokens (default: preset's)")
    p.add_argument("--local-model", default=DEFAULT_LOCAL_MODEL, help="bundled model used when no --model")
    p.add_argument(
        "--out", default=None, help="JSONL of every verdict (default: RUN_DIR/rejudge-<setting>.jsonl)"
    )
    p.add_argument("--no-progress", action="store_true", help="no progress bar")
    p.set_defaults(func=cmd_rejudge)


def _register_report(parent: Any, add_options: Any) -> None:
    p = parent.add_parser("report", help="print the report of a run directory, write report.md and plots")
    add_options(p, model_role=None, embedder=False)
    p.add_argument("run_dir")
    p.add_argument(
        "--methods",
        default=None,
        help="comma list: report on these methods only, on the tasks they all finished "
        "(written to report-<methods>.md), e.g. reasoningbank,reasoningbank@paper",
    )
    p.set_defaults(func=cmd_report)


def _register_scaling_report(bsub: Any) -> None:
    p = bsub.add_parser(
        "scaling-report",
        help="compare scaled runs (one mode and k each): success against k, BoN, Pass@1, Pass@k, cost",
    )
    p.add_argument("run_dirs", nargs="+", help="scaled run directories (a k=1 run counts for both modes)")
    p.add_argument("--out", default=None, help="where the plot goes (default: the first run's parent)")
    p.add_argument("--json", action="store_true", help="machine-readable JSON output on stdout")
    p.set_defaults(func=cmd_scaling_report)


def cmd_scaling_report(args: argparse.Namespace) -> int:
    from ..bench.scaling_report import scaling_rows, scaling_table, write_scaling_plot

    rows = scaling_rows(args.run_dirs)
    if not rows:
        raise ValueError("no scaled run with recorded tasks among the given directories")
    plot = write_scaling_plot(rows, args.out or Path(args.run_dirs[0]).parent)
    if args.json:
        payload = [{**r.__dict__, "run_dir": str(r.run_dir)} for r in rows]
        sys.stdout.write(json.dumps({"rows": payload, "plot": str(plot)}, indent=2) + "\n")
        return 0
    sys.stdout.write(scaling_table(rows) + f"\n\nplot: {plot}\n")
    return 0


def _rejudge_episodes(args: argparse.Namespace, run_dir: Path) -> list[Any]:
    from ..bench.rejudge import load_episodes

    episodes = load_episodes(run_dir, _split(args.methods) if args.methods else None)
    if args.families:
        wanted = set(_split(args.families))
        episodes = [e for e in episodes if e.family in wanted]
    if args.limit is not None:
        if args.limit < 1:
            raise ValueError(f"--limit must be at least 1, got {args.limit}")
        episodes = episodes[: args.limit]
    if not episodes:
        raise ValueError(f"{run_dir} has no recorded episode with a stored trajectory to re-judge")
    return episodes


def _rejudge_preset(args: argparse.Namespace) -> Preset:
    """The preset with this command's judge options applied."""
    from ..config import get_preset

    p = get_preset(getattr(args, "preset", None) or BENCH_PRESET)
    overrides: dict[str, Any] = {}
    for option, key in (
        ("judge", "kind"),
        ("confidence", "confidence"),
        ("threshold", "min_confidence"),
        ("judge_prompt", "prompt"),
        ("temperature", "temperature"),
        ("max_tokens", "max_tokens"),
    ):
        if getattr(args, option) is not None:
            overrides[key] = getattr(args, option)
    return p.with_overrides({"judge": overrides})


def _setting_name(p: Preset) -> str:
    j = p.judge
    if j.kind == "evidence":
        return f"evidence-{j.confidence}"
    conf = "" if j.confidence == "none" else f"-{j.confidence}"
    return f"{j.prompt}{conf}-t{j.temperature:g}-max{j.max_tokens or 'none'}"


def cmd_rejudge(args: argparse.Namespace) -> int:
    from ..assemble import make_judge
    from ..bench.envs.checks import MINIWOB_EVIDENCE
    from ..bench.judge_report import report_json, report_text
    from ..bench.rejudge import progress_bar, rejudge

    run_dir = Path(args.run_dir)
    episodes = _rejudge_episodes(args, run_dir)
    p = _rejudge_preset(args)
    setting = _setting_name(p)
    out = Path(args.out) if args.out else run_dir / f"rejudge-{setting}.jsonl"
    as_json = bool(getattr(args, "json", False))
    needs_model = p.judge.kind == "llm" or p.judge.confidence != "none"
    with contextlib.ExitStack() as stack:
        # llm_for refuses blocked real calls and a missing key before anything is written
        llm = stack.enter_context(bench_llm.llm_for(args, run_dir / "rejudge-logs")) if needs_model else None
        if out.exists():
            out.unlink()  # a fresh file per invocation: its lines are exactly this run's verdicts
        judge = make_judge(llm, p, evidence=MINIWOB_EVIDENCE)
        with progress_bar(not args.no_progress and not as_json, len(episodes)) as done:
            results = rejudge(episodes, judge, out_path=out, on_done=done)
    if as_json:
        summary = report_json(results, setting, p.judge.min_confidence)
        summary["verdicts"] = str(out)
        sys.stdout.write(json.dumps(summary, indent=2) + "\n")
        return 0
    sys.stdout.write(report_text(results, setting, p.judge.min_confidence) + f"\n\nverdicts: {out}\n")
    return 0


def cmd_report(args: argparse.Namespace) -> int:
    methods = _split(args.methods) if args.methods else None
    return print_report(
        args.run_dir, as_json=bool(getattr(args, "json", False)), table_only=False, methods=methods
    )


def print_report(
    run_dir: str | Path, *, as_json: bool, table_only: bool, methods: list[str] | None = None
) -> int:
    written = write_report(run_dir, methods)
    if as_json:
        out = written.metrics.to_json()
        out["report"] = str(written.path)
        out["plots"] = [str(p) for p in written.plots]
        sys.stdout.write(json.dumps(out, indent=2) + "\n")
        return 0
    if table_only:
        note = reading_note(written.metrics)
        sys.stdout.write(results_table(written.metrics) + (f"\n\n{note}" if note else "") + "\n")
    else:
        sys.stdout.write(written.text + "\n")
    sys.stdout.write(f"\nreport: {written.path}\n")
    for p in written.plots:
        sys.stdout.write(f"plot: {p}\n")
    return 0
