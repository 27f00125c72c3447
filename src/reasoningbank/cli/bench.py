"""``reasoningbank bench``: run MiniWoB++ task streams and report on runs.

``bench miniwob`` builds the environment, the agent and the memory methods,
runs the stream (resumable) and prints the report; ``bench rejudge RUN_DIR``
replays a run's episodes through another judge setting; ``bench report
RUN_DIR`` (also plain ``report``) re-renders the report and plots of a recorded
run. With no ``--model`` the bundled local model is started for the duration of
the run.

Each bench command takes only the shared options that mean something to it:
every method keeps its own bank under the run directory, so ``--config``,
``--store`` and ``--scope`` are not theirs.
"""

from __future__ import annotations

import argparse
import contextlib
import dataclasses
import json
import sys
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

from ..bench.envs.base import TaskSpec
from ..bench.manifest import check_resume
from ..bench.methods import METHOD_SPECS, parse_method, with_failures
from ..bench.report import write_report
from ..bench.runner import run_stream
from ..bench.settings import BENCH_PRESET, RunSettings
from ..bench.stream import check_families, make_stream
from ..bench.tables import results_table
from ..config import PRESETS, Preset
from ..embed import Embedder
from ..llm import LLM

# The main job's defaults: a short stream (a few minutes on 2 cores with the bundled 1.5B model) of
# multi-step tasks the small model tends to fail without memory.
DEFAULT_METHODS = "none,reasoningbank"
DEFAULT_FAMILIES = "enter-text,login-user,click-checkboxes"
DEFAULT_EPISODES = 2
DEFAULT_LOCAL_MODEL = "qwen2.5-coder-1.5b"


def _add_options(parser: argparse.ArgumentParser, *, model_role: str | None, embedder: bool) -> None:
    """The shared options this command uses: the model (for ``model_role``), the
    embedder, the preset and ``--json``. Defaults are suppressed so an option
    given before the command name is not overwritten."""
    s = argparse.SUPPRESS
    g = parser.add_argument_group("common options")
    if model_role is not None:
        g.add_argument(
            "--model", default=s, help=f"LiteLLM model for {model_role} (default: serve --local-model)"
        )
        g.add_argument("--api-base", default=s, help="API base URL for --model and a litellm embedder")
        g.add_argument(
            "--preset",
            default=s,
            choices=sorted(PRESETS),
            help=f"learning-loop preset (default: {BENCH_PRESET})",
        )
    if embedder:
        g.add_argument(
            "--embedder", default=s, help="embedder: local | hash | litellm:MODEL (default: local)"
        )
    g.add_argument("--json", action="store_true", default=s, help="machine-readable JSON output on stdout")


def register(subparsers: Any) -> None:
    """Add the ``bench`` command (subcommands ``miniwob``, ``rejudge`` and ``report``) and ``report``."""
    bench = subparsers.add_parser("bench", help="run benchmark task streams and report on them")
    bsub = bench.add_subparsers(dest="bench_command", metavar="BENCH_COMMAND", required=True)
    _register_miniwob(bsub)
    _register_rejudge(bsub)
    # ``bench report`` and the top-level ``report`` are the same command.
    for parent in (bsub, subparsers):
        _register_report(parent)


def _register_miniwob(bsub: Any) -> None:
    p = bsub.add_parser("miniwob", help="run a MiniWoB++ task stream through memory methods")
    _add_options(p, model_role="the agent, the judge and the extractor", embedder=True)
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
    p.add_argument("--local-model", default=DEFAULT_LOCAL_MODEL, help="bundled model used when no --model")
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
    p.add_argument(
        "--learner-server",
        choices=("separate", "shared"),
        default="separate",
        help="with the bundled model: serve the judge and the extractor from a second llama.cpp server "
        "(separate, the default), so neither evicts the other's cached prompt prefix; the servers "
        "never run at once. 'shared' uses one server for everything",
    )
    p.add_argument("--no-progress", action="store_true", help="no progress bar")
    p.set_defaults(func=cmd_miniwob)


def _register_rejudge(bsub: Any) -> None:
    p = bsub.add_parser(
        "rejudge",
        help="re-judge a run's recorded episodes with another judge setting; compare with the benchmark",
    )
    _add_options(p, model_role="the judge", embedder=False)
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


def _register_report(parent: Any) -> None:
    p = parent.add_parser("report", help="print the report of a run directory, write report.md and plots")
    _add_options(p, model_role=None, embedder=False)
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
def _llm_for(args: argparse.Namespace, log_dir: Path, log_name: str = "llama-server.log") -> Iterator[LLM]:
    model = getattr(args, "model", None)
    if model:
        from ..llm.litellm_client import LiteLLMClient

        yield LiteLLMClient(model, api_base=getattr(args, "api_base", None))
        return
    from ..llm.local import local_llm

    log_dir.mkdir(parents=True, exist_ok=True)
    with local_llm(args.local_model, log_path=log_dir / log_name) as client:
        yield client


def _miniwob_methods(args: argparse.Namespace) -> list[str]:
    methods = _split(args.methods)
    for m in methods:
        parse_method(m)
    if args.include_failures:
        methods = list(dict.fromkeys(with_failures(m) for m in methods))
    return methods


def _miniwob_tasks(args: argparse.Namespace, supported: Sequence[str]) -> list[TaskSpec]:
    families = _split(args.tasks) if args.tasks != "all" else list(supported)
    check_families(families, supported)
    return make_stream(families, args.episodes, seed=args.seed, order=args.order)


def _miniwob_settings(args: argparse.Namespace) -> RunSettings:
    model = getattr(args, "model", None)
    local = not model
    json_actions = args.json_actions == "on" or (args.json_actions == "auto" and local)
    agent_kwargs: dict[str, Any] = {
        "temperature": args.temperature,
        "json_actions": json_actions,
        "max_tokens": 200,  # a thought and one action; caps a model that rambles
        "page_last": args.page_order == "last" or (args.page_order == "auto" and local),
    }
    from ..bench.envs.actions import ACTION_SIGNATURES
    from ..bench.envs.checks import MINIWOB_EVIDENCE

    return RunSettings(
        model=model or args.local_model,
        preset=getattr(args, "preset", None) or BENCH_PRESET,
        max_steps=args.max_steps,
        agent_kwargs=agent_kwargs,
        progress=not args.no_progress,
        manifest_extra={"benchmark": "miniwob", "order": args.order},
        evidence=MINIWOB_EVIDENCE,
        agent_actions=tuple(sorted(ACTION_SIGNATURES)),
    )


def _make_embedder(args: argparse.Namespace) -> Embedder:
    from ..embed import make_embedder

    return make_embedder(getattr(args, "embedder", None) or "local", api_base=getattr(args, "api_base", None))


def cmd_miniwob(args: argparse.Namespace) -> int:
    from ..bench.envs import miniwob
    from ..llm import allow_real_calls

    # Everything is checked (methods, task families, episodes, a resume's settings)
    # before the model server spends its start-up and before the run directory is written.
    methods = _miniwob_methods(args)
    tasks = _miniwob_tasks(args, miniwob.MINIWOB_FAMILIES_DEFAULT)
    settings = _miniwob_settings(args)
    embedder = _make_embedder(args)
    run_dir = Path(args.run_dir)
    check_resume(run_dir, tasks, methods, embedder, settings)
    with contextlib.ExitStack() as stack:
        stack.enter_context(allow_real_calls())
        llm = stack.enter_context(_llm_for(args, run_dir))
        learns = any(parse_method(m)[0] != "none" for m in methods)
        if learns and not getattr(args, "model", None) and args.learner_server == "separate":
            learner = stack.enter_context(_llm_for(args, run_dir, log_name="llama-server-learner.log"))
            settings = dataclasses.replace(settings, judge_llm=learner, extractor_llm=learner)
        run_stream(miniwob.MiniWoBEnv, tasks, methods, llm, embedder, run_dir, settings)
    return _print_report(args.run_dir, as_json=bool(getattr(args, "json", False)), table_only=True)


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
        ("judge", "judge_kind"),
        ("confidence", "judge_confidence"),
        ("threshold", "learn_min_confidence"),
        ("judge_prompt", "judge_prompt"),
        ("temperature", "judge_temperature"),
        ("max_tokens", "judge_max_tokens"),
    ):
        if getattr(args, option) is not None:
            overrides[key] = getattr(args, option)
    return p.with_overrides(overrides)


def _setting_name(p: Preset) -> str:
    if p.judge_kind == "evidence":
        return f"evidence-{p.judge_confidence}"
    conf = "" if p.judge_confidence == "none" else f"-{p.judge_confidence}"
    return f"{p.judge_prompt}{conf}-t{p.judge_temperature:g}-max{p.judge_max_tokens or 'none'}"


def cmd_rejudge(args: argparse.Namespace) -> int:
    from ..assemble import make_judge
    from ..bench.envs.checks import MINIWOB_EVIDENCE
    from ..bench.judge_report import report_json, report_text
    from ..bench.rejudge import progress_bar, rejudge
    from ..llm import allow_real_calls

    run_dir = Path(args.run_dir)
    episodes = _rejudge_episodes(args, run_dir)
    p = _rejudge_preset(args)
    setting = _setting_name(p)
    out = Path(args.out) if args.out else run_dir / f"rejudge-{setting}.jsonl"
    if out.exists():
        out.unlink()  # a fresh file per invocation: its lines are exactly this run's verdicts
    as_json = bool(getattr(args, "json", False))
    needs_model = p.judge_kind == "llm" or p.judge_confidence != "none"
    with contextlib.ExitStack() as stack:
        llm = stack.enter_context(_llm_for(args, run_dir / "rejudge-logs")) if needs_model else None
        stack.enter_context(allow_real_calls())
        judge = make_judge(llm, p, evidence=MINIWOB_EVIDENCE)
        with progress_bar(not args.no_progress and not as_json, len(episodes)) as done:
            results = rejudge(episodes, judge, out_path=out, on_done=done)
    if as_json:
        summary = report_json(results, setting, p.learn_min_confidence)
        summary["verdicts"] = str(out)
        sys.stdout.write(json.dumps(summary, indent=2) + "\n")
        return 0
    sys.stdout.write(report_text(results, setting, p.learn_min_confidence) + f"\n\nverdicts: {out}\n")
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
