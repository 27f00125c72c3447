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
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from ..bench.envs.base import TaskSpec
from ..bench.manifest import check_resume
from ..bench.methods import METHOD_SPECS, learns, parse_method, with_failures
from ..bench.rundir import LESSONS
from ..bench.runner import run_stream
from ..bench.settings import BENCH_PRESET, RunSettings, ScalingSettings
from ..bench.stream import check_families, make_stream
from ..config import PRESETS, Preset, get_preset
from ..embed import Embedder
from ..lessons import Lesson, LessonFileError, read_lessons
from . import bench_llm, bench_review
from .bench_llm import DEFAULT_LOCAL_MODEL
from .errors import CLIError

# The main job's defaults: a short stream (a few minutes on 2 cores with the bundled 1.5B model) of
# multi-step tasks the small model tends to fail without memory.
DEFAULT_METHODS = "none,reasoningbank"
DEFAULT_FAMILIES = "enter-text,login-user,click-checkboxes"
DEFAULT_EPISODES = 2


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
    bench_review.register(bsub, subparsers, _add_options)


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
    p.add_argument(
        "--lessons",
        metavar="FILE",
        help="a lessons file (JSON Lines, as for `reasoningbank add --file`) that seeds the banks of "
        "the diagnostic arms curated, empty, filler and irrelevant; a run keeps a copy and resumes "
        "with it when this is not given",
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
        "--memory-placement",
        choices=("system", "page"),
        default="system",
        help="where the agent is shown the retrieved memory: 'system' = its system prompt (the paper's "
        "place), 'page' = at every step, right above the current page",
    )
    _add_learning_options(p)
    p.add_argument("--no-progress", action="store_true", help="no progress bar")
    p.set_defaults(func=cmd_miniwob)


def _add_learning_options(p: argparse.ArgumentParser) -> None:
    """How ``bench miniwob`` learns and scales: failures for the baselines, MaTTS, the learner server."""
    p.add_argument(
        "--include-failures",
        action="store_true",
        help="synapse/awm also learn from judged failures (Fig. 7 ablation)",
    )
    p.add_argument(
        "--scaling",
        choices=("parallel", "sequential"),
        default=None,
        help="MaTTS: play every task k times (parallel rollouts with best-of-N, or sequential re-check "
        "passes); methods: none (no memory), reasoningbank (MaTTS), reasoningbank-vanilla",
    )
    p.add_argument("--k", type=int, default=3, help="the scaling factor (with --scaling; default 3)")
    p.add_argument(
        "--max-concurrency",
        type=int,
        default=1,
        help="parallel rollouts at once, each with its own browser (with --scaling; default 1, which suits "
        "one local model server)",
    )
    p.add_argument(
        "--select-among",
        choices=("all", "successes"),
        default=None,
        help="with --scaling parallel: best-of-N chooses among all rollouts (the paper) or only those "
        "judged a success when there is one (preset key scale.select_among)",
    )
    p.add_argument(
        "--stop-on-success",
        action="store_true",
        help="with --scaling sequential: stop after the first pass judged a success (preset key "
        "scale.stop_on_success)",
    )
    p.add_argument(
        "--learner-model",
        metavar="MODEL",
        help="judge and extract with this LiteLLM model (e.g. a strong hosted one) while the agent "
        "acts with --model or the bundled local model: a stronger model writes the memory a small "
        "one uses (its API key from the provider's usual variable)",
    )
    p.add_argument("--learner-api-base", metavar="URL", help="API base URL for --learner-model")
    p.add_argument(
        "--learner-server",
        choices=("separate", "shared"),
        default="separate",
        help="with the bundled model: serve the judge and the extractor from a second llama.cpp server "
        "(separate, the default), so neither evicts the other's cached prompt prefix; the servers "
        "never run at once. 'shared' uses one server for everything",
    )


def _split(text: str) -> list[str]:
    return [x.strip() for x in text.split(",") if x.strip()]


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


def _miniwob_preset(args: argparse.Namespace) -> str | Preset:
    """The run's preset: ``--preset`` (or the bench's), with the MaTTS options given on the command
    line over its ``scale`` section (the manifest records the result, so a resume compares it)."""
    name = getattr(args, "preset", None) or BENCH_PRESET
    scale: dict[str, Any] = {}
    if getattr(args, "select_among", None):
        scale["select_among"] = args.select_among
    if getattr(args, "stop_on_success", False):
        scale["stop_on_success"] = True
    if not scale:
        return name
    if not args.scaling:
        raise CLIError("--select-among and --stop-on-success change MaTTS: use them with --scaling")
    return get_preset(name).with_overrides({"scale": scale})


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
    if args.memory_placement != "system":  # recorded only when set, so earlier runs still resume
        agent_kwargs["memory_placement"] = args.memory_placement
    from ..bench.envs.actions import ACTION_SIGNATURES
    from ..bench.envs.checks import MINIWOB_EVIDENCE

    return RunSettings(
        model=model or args.local_model,
        preset=_miniwob_preset(args),
        max_steps=args.max_steps,
        agent_kwargs=agent_kwargs,
        progress=not args.no_progress,
        manifest_extra={
            "benchmark": "miniwob",
            "order": args.order,
            # recorded only when set, so earlier runs still resume
            **({"learner_model": args.learner_model} if getattr(args, "learner_model", None) else {}),
        },
        evidence=MINIWOB_EVIDENCE,
        agent_actions=tuple(sorted(ACTION_SIGNATURES)),
        scaling=ScalingSettings(args.scaling, args.k, args.max_concurrency) if args.scaling else None,
    )


def _miniwob_lessons(args: argparse.Namespace) -> tuple[Lesson, ...]:
    """The ``--lessons`` file, else the copy a resumed run keeps, else none."""
    path = Path(args.lessons) if args.lessons else Path(args.run_dir) / LESSONS
    if not args.lessons and not path.exists():
        return ()
    try:
        return tuple(read_lessons(path))
    except FileNotFoundError:
        raise CLIError(f"--lessons: no such file: {path}") from None
    except LessonFileError as exc:
        raise CLIError(str(exc)) from exc


def _make_embedder(args: argparse.Namespace) -> Embedder:
    from ..embed import make_embedder

    return make_embedder(getattr(args, "embedder", None) or "local", api_base=getattr(args, "api_base", None))


def cmd_miniwob(args: argparse.Namespace) -> int:
    from ..bench.envs.miniwob import env as miniwob

    # Everything is checked (methods, task families, episodes, a resume's settings)
    # before the model server spends its start-up and before the run directory is written;
    # llm_for checks that real calls are allowed and a hosted model's key is set, writing nothing.
    methods = _miniwob_methods(args)
    tasks = _miniwob_tasks(args, miniwob.MINIWOB_FAMILIES_DEFAULT)
    settings = dataclasses.replace(_miniwob_settings(args), lessons=_miniwob_lessons(args))
    embedder = _make_embedder(args)
    run_dir = Path(args.run_dir)
    check_resume(run_dir, tasks, methods, embedder, settings)
    with contextlib.ExitStack() as stack:
        if getattr(args, "learner_model", None):  # checked (switch, key) before any server starts
            learner = bench_llm.hosted_llm(args.learner_model, args.learner_api_base)
            settings = dataclasses.replace(settings, judge_llm=learner, extractor_llm=learner)
        llm = stack.enter_context(bench_llm.llm_for(args, run_dir))
        if (
            settings.judge_llm is None
            and any(learns(m) for m in methods)
            and not getattr(args, "model", None)
            and args.learner_server == "separate"
        ):
            learner = stack.enter_context(
                bench_llm.llm_for(args, run_dir, log_name="llama-server-learner.log")
            )
            settings = dataclasses.replace(settings, judge_llm=learner, extractor_llm=learner)
        run_stream(miniwob.MiniWoBEnv, tasks, methods, llm, embedder, run_dir, settings)
    return bench_review.print_report(
        args.run_dir, as_json=bool(getattr(args, "json", False)), table_only=True
    )
