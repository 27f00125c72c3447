"""``reasoningbank bench``: run MiniWoB++ task streams and report on runs.

``bench miniwob`` builds the environment, the agent and the memory methods,
runs the stream (resumable) and prints the report; ``bench report RUN_DIR``
re-renders the report and plots of a recorded run. With no ``--model`` the
bundled local model is started for the duration of the run.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from ..bench.manifest import check_resume
from ..bench.methods import METHOD_SPECS, parse_method, with_failures
from ..bench.report import write_report
from ..bench.runner import run_stream
from ..bench.settings import BENCH_PRESET, RunSettings
from ..bench.stream import make_stream
from ..bench.tables import results_table
from ..llm import LLM

# The main job's defaults: a short stream (a few minutes on 2 cores with the bundled 1.5B model) of
# multi-step tasks the small model tends to fail without memory.
DEFAULT_METHODS = "none,reasoningbank"
DEFAULT_FAMILIES = "enter-text,login-user,click-checkboxes"
DEFAULT_EPISODES = 2


def _add_common(parser: argparse.ArgumentParser) -> None:
    from .common import add_common_options

    add_common_options(parser)


def register(subparsers: Any) -> None:
    """Add the ``bench`` command (subcommands ``miniwob`` and ``report``) and ``report``."""
    bench = subparsers.add_parser("bench", help="run benchmark task streams and report on them")
    bsub = bench.add_subparsers(dest="bench_command", metavar="BENCH_COMMAND", required=True)

    p = bsub.add_parser("miniwob", help="run a MiniWoB++ task stream through memory methods")
    _add_common(p)
    p.add_argument(
        "--methods",
        default=DEFAULT_METHODS,
        help=f"comma list of: {', '.join(METHOD_SPECS)}; NAME@PRESET runs a method with another preset "
        "(e.g. reasoningbank@paper); methods added to an existing run are run on its stream",
    )
    p.add_argument(
        "--tasks",
        default=DEFAULT_FAMILIES,
        help="comma list of MiniWoB++ families, or 'all' for every supported one "
        f"(default: {DEFAULT_FAMILIES})",
    )
    p.add_argument("--episodes", type=int, default=DEFAULT_EPISODES, help="episodes (seeds) per family")
    p.add_argument("--seed", type=int, default=0, help="first seed of every family")
    p.add_argument("--order", choices=("interleaved", "blocked", "shuffled"), default="interleaved")
    p.add_argument(
        "--run-dir",
        default="runs/miniwob",
        help="output directory; an existing run with the same settings is resumed (default: runs/miniwob)",
    )
    p.add_argument("--local-model", default="qwen2.5-coder-1.5b", help="bundled model used when no --model")
    p.add_argument("--max-steps", type=int, default=6, help="agent steps per episode")
    p.add_argument("--temperature", type=float, default=0.7, help="agent sampling temperature")
    p.add_argument(
        "--json-actions",
        choices=("auto", "on", "off"),
        default="auto",
        help="agent answers in grammar-constrained JSON; auto = on for the bundled local model",
    )
    p.add_argument(
        "--page-order",
        choices=("auto", "paper", "last"),
        default="auto",
        help="where the agent's prompt shows the current page: 'paper' = before the history (the "
        "paper's order), 'last' = after it, so a local server re-evaluates only the new step and page; "
        "auto = last for the bundled local model",
    )
    p.add_argument(
        "--include-failures",
        action="store_true",
        help="synapse/awm also learn from judged failures (Fig. 7 ablation)",
    )
    p.add_argument("--no-progress", action="store_true", help="no progress bar")
    p.set_defaults(func=cmd_miniwob)

    p = bsub.add_parser(
        "rejudge",
        help="re-judge a run's recorded episodes with another judge setting; compare with the benchmark",
    )
    _add_common(p)
    p.add_argument("run_dir")
    p.add_argument("--methods", default=None, help="comma list of the run's methods (default: all)")
    p.add_argument("--families", default=None, help="comma list of task families (default: all)")
    p.add_argument("--limit", type=int, default=None, help="at most this many episodes")
    p.add_argument(
        "--judge-prompt",
        choices=("paper", "small-local"),
        default=None,
        help="the judge prompt (default: the preset's)",
    )
    p.add_argument("--temperature", type=float, default=None, help="judge temperature (default: preset's)")
    p.add_argument("--max-tokens", type=int, default=None, help="judge max tokens (default: preset's)")
    p.add_argument("--local-model", default="qwen2.5-coder-1.5b", help="bundled model used when no --model")
    p.add_argument(
        "--out", default=None, help="JSONL of every verdict (default: RUN_DIR/rejudge-<setting>.jsonl)"
    )
    p.add_argument("--no-progress", action="store_true", help="no progress bar")
    p.set_defaults(func=cmd_rejudge)

    # ``bench report`` and the top-level ``report`` are the same command.
    for parent in (bsub, subparsers):
        p = parent.add_parser("report", help="print the report of a run directory, write report.md and plots")
        _add_common(p)
        p.add_argument("run_dir")
        p.add_argument(
            "--methods",
            default=None,
            help="comma list: report on these methods only, on the tasks they all finished "
            "(written to report-<methods>.md), e.g. reasoningbank,reasoningbank@paper",
        )
        p.set_defaults(func=cmd_report)


def _split(text: str) -> list[str]:
    return [x.strip() for x in text.split(",") if x.strip()]


@contextlib.contextmanager
def _llm_for(args: argparse.Namespace, log_dir: Path) -> Iterator[LLM]:
    model = getattr(args, "model", None)
    if model:
        from ..llm.litellm_client import LiteLLMClient

        yield LiteLLMClient(model, api_base=getattr(args, "api_base", None))
        return
    from ..llm.local import local_llm

    log_dir.mkdir(parents=True, exist_ok=True)
    with local_llm(args.local_model, log_path=log_dir / "llama-server.log") as client:
        yield client


def cmd_miniwob(args: argparse.Namespace) -> int:
    from ..bench.envs.miniwob import MINIWOB_FAMILIES_DEFAULT, MiniWoBEnv
    from ..embed import make_embedder
    from ..llm import allow_real_calls

    methods = _split(args.methods)
    for m in methods:
        parse_method(m)
    if args.include_failures:
        methods = list(dict.fromkeys(with_failures(m) for m in methods))
    families = _split(args.tasks) if args.tasks != "all" else list(MINIWOB_FAMILIES_DEFAULT)
    tasks = make_stream(families, args.episodes, seed=args.seed, order=args.order)
    api_base = getattr(args, "api_base", None)
    embedder = make_embedder(getattr(args, "embedder", None) or "local", api_base=api_base)
    preset = getattr(args, "preset", None) or BENCH_PRESET
    local = not getattr(args, "model", None)
    json_actions = args.json_actions == "on" or (args.json_actions == "auto" and local)
    agent_kwargs: dict[str, Any] = {
        "temperature": args.temperature,
        "json_actions": json_actions,
        "max_tokens": 200,  # a thought and one action; caps a model that rambles
        "page_last": args.page_order == "last" or (args.page_order == "auto" and local),
    }
    settings = RunSettings(
        model=getattr(args, "model", None) or args.local_model,
        preset=preset,
        max_steps=args.max_steps,
        agent_kwargs=agent_kwargs,
        progress=not args.no_progress,
        manifest_extra={"benchmark": "miniwob", "order": args.order},
    )
    # Refuse a mismatched resume before the model server spends its start-up.
    check_resume(args.run_dir, tasks, methods, embedder, settings)
    with allow_real_calls(), _llm_for(args, Path(args.run_dir)) as llm:
        run_stream(MiniWoBEnv, tasks, methods, llm, embedder, Path(args.run_dir), settings)
    return _print_report(args.run_dir, as_json=bool(getattr(args, "json", False)), table_only=True)


def cmd_rejudge(args: argparse.Namespace) -> int:
    from ..bench.rejudge import load_episodes, progress_bar, rejudge, summary_table
    from ..config import get_preset
    from ..judge import LLMJudge
    from ..llm import allow_real_calls

    run_dir = Path(args.run_dir)
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
    p = get_preset(getattr(args, "preset", None) or BENCH_PRESET)
    prompt = args.judge_prompt or p.judge_prompt
    temperature = p.judge_temperature if args.temperature is None else args.temperature
    max_tokens = p.judge_max_tokens if args.max_tokens is None else args.max_tokens
    setting = f"{prompt}-t{temperature:g}-max{max_tokens or 'none'}"
    out = Path(args.out) if args.out else run_dir / f"rejudge-{setting}.jsonl"
    if out.exists():
        out.unlink()  # a fresh file per invocation: its lines are exactly this run's verdicts
    with allow_real_calls(), _llm_for(args, run_dir / "rejudge-logs") as llm:
        judge = LLMJudge(llm, temperature=temperature, prompt=prompt, max_tokens=max_tokens)
        with progress_bar(not args.no_progress and not getattr(args, "json", False), len(episodes)) as done:
            results = rejudge(episodes, judge, out_path=out, on_done=done)
    if getattr(args, "json", False):
        from ..bench.metrics import confusion

        sys.stdout.write(
            json.dumps(
                {
                    "setting": setting,
                    "episodes": len(results),
                    "recorded": confusion([(r.episode.recorded_label, r.episode.success) for r in results]),
                    "rejudged": confusion([(r.label, r.episode.success) for r in results]),
                    "unparsed": sum(1 for r in results if not r.parsed),
                    "verdicts": str(out),
                },
                indent=2,
            )
            + "\n"
        )
        return 0
    sys.stdout.write(summary_table(results, setting) + f"\n\nverdicts: {out}\n")
    return 0


def cmd_report(args: argparse.Namespace) -> int:
    methods = _split(args.methods) if args.methods else None
    return _print_report(
        args.run_dir, as_json=bool(getattr(args, "json", False)), table_only=False, methods=methods
    )


def _print_report(
    run_dir: str | Path, *, as_json: bool, table_only: bool, methods: list[str] | None = None
) -> int:
    written = write_report(run_dir, methods)
    if as_json:
        out = dict(written.metrics)
        out["report"] = str(written.path)
        out["plots"] = [str(p) for p in written.plots]
        sys.stdout.write(json.dumps(out, indent=2) + "\n")
        return 0
    sys.stdout.write((results_table(written.metrics) if table_only else written.text) + "\n")
    sys.stdout.write(f"\nreport: {written.path}\n")
    for p in written.plots:
        sys.stdout.write(f"plot: {p}\n")
    return 0
