"""The CLI commands that build memory and use it: ``learn``, ``retrieve`` and ``add``.

They need a bank (an embedder, and for ``learn`` a model), which they get from
:func:`reasoningbank.cli.common.build_bank`.
"""

from __future__ import annotations

import argparse
import contextlib
import sys
from pathlib import Path
from typing import Any

from rich.table import Table

from ..bank import LearnError, NoLLMError, ReasoningBank
from ..config import MODEL_ENV, BankConfig
from ..judge import Outcome
from ..lessons import read_lessons
from ..llm import LLM
from ..models import LearnReport, RetrievedExperience, Trajectory
from ..retrieve import Retrieval, items_of
from ..text.redact import compile_patterns
from ..trajio import TrajectoryFileError, example_path, iter_trajectories
from . import common
from .common import add_command, load_config
from .errors import EXIT_FAILURE, EXIT_OK, EXIT_USAGE, CLIError
from .learn_output import LearnOutput
from .model import local_llm
from .output import console, emit_json, item_json, lit, one_line, short

# --------------------------------------------------------------------------- learn


def _with_redactions(cfg: BankConfig, args: argparse.Namespace) -> BankConfig:
    """``cfg`` with the ``--redact-pattern`` regexes added to its ``redact_patterns``."""
    extra = list(getattr(args, "redact_pattern", None) or [])
    if not extra:
        return cfg
    try:
        compile_patterns(extra)
    except ValueError as exc:
        raise CLIError(f"--redact-pattern: {exc}") from exc
    return cfg.model_copy(update={"redact_patterns": [*cfg.redact_patterns, *extra]})


def _add_redact_option(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "--redact-pattern",
        action="append",
        metavar="REGEX",
        help="also replace text matching this regular expression with [REDACTED:custom] before "
        "anything is stored or sent to a model (repeatable; API keys, tokens, passwords and private "
        "keys are redacted anyway; config key: redact_patterns)",
    )


def cmd_learn(args: argparse.Namespace) -> int:
    """Learn every trajectory of the file, one at a time: the file is read twice (first to check
    it all, so bad input stores nothing; then to learn), never held in memory whole."""
    cfg = _with_redactions(load_config(args), args)
    source = example_path() if args.example else Path(args.file)
    total = sum(1 for _ in iter_trajectories(source, task_id=args.task_id, query=args.query))
    with contextlib.ExitStack() as stack:
        llm: LLM | None = None
        if args.local_model and not cfg.model:
            llm = stack.enter_context(local_llm(args.local_model))
            if args.preset is None and cfg.preset == "paper":
                # The paper's settings suit large hosted models; small local ones need the tuned preset.
                cfg = cfg.model_copy(update={"preset": "small-local"})
        bank = common.build_bank(cfg, llm=llm)
        stack.callback(bank.close)
        out = LearnOutput(args.json, source, total)
        try:
            for traj in iter_trajectories(source, task_id=args.task_id, query=args.query):
                out.add(traj.task_id, _learn_one(bank, traj, args.outcome))
        except (LearnError, TrajectoryFileError) as exc:  # the file changed since it was checked
            out.finish(one_line(str(exc)))
            code = EXIT_FAILURE if isinstance(exc, LearnError) else EXIT_USAGE
            learned = f"{out.count} of {total} trajectories were learned before it"
            raise CLIError(f"{exc} ({learned})", code) from exc
        except BaseException as exc:
            out.abort(one_line(str(exc) or type(exc).__name__))
            raise
    out.finish()
    return EXIT_OK


def _learn_one(bank: ReasoningBank, traj: Trajectory, outcome: Outcome | None) -> LearnReport:
    try:
        return bank.learn(traj, outcome=outcome)
    except NoLLMError as exc:
        raise CLIError(
            "learn needs a model to judge and distil trajectories: pass --model MODEL "
            f"(or set ${MODEL_ENV}, or 'model' in --config), or --local-model NAME"
        ) from exc


# --------------------------------------------------------------------------- retrieve


def _hit_json(hit: RetrievedExperience) -> dict[str, Any]:
    exp = hit.experience
    return {
        "score": hit.score,
        "experience_id": exp.id,
        "task_id": exp.task_id,
        "query": exp.query,
        "verdict": exp.verdict.label if exp.verdict else None,
        "items": [item_json(i) for i in exp.items if i.superseded_by is None and i.active],
    }


def _nearest_json(found: Retrieval) -> dict[str, Any] | None:
    """The nearest experience under the floor when nothing passed it (None otherwise)."""
    if found.nearest is None:
        return None
    return {
        "title": found.nearest_title,
        "score": found.nearest.score,
        "experience_id": found.nearest.experience.id,
    }


def cmd_retrieve(args: argparse.Namespace) -> int:
    cfg = load_config(args)
    if args.k is not None and args.k < 1:
        raise CLIError(f"-k must be at least 1, got {args.k}")
    common.require_bank(cfg)  # a read: a mistyped --store must not create a bank
    if args.min_score is not None and not -1.0 <= args.min_score <= 1.0:
        raise CLIError(f"--min-score must be between -1 and 1, got {args.min_score}")
    bank = common.build_bank(cfg)
    try:
        found = bank.retrieval(args.query, args.k, task_id=args.task_id, min_score=args.min_score)
        hits = found.hits
        items = items_of(hits)
        rendered = bank.render(items) if args.render else None
    finally:
        bank.close()
    nothing = f"No memory in scope {cfg.scope!r} for this query."
    if found.nearest is not None:
        nothing = found.empty_note("--min-score")
    if args.json:
        payload: dict[str, Any] = {
            "query": args.query,
            "min_score": found.min_score,
            "hits": [_hit_json(h) for h in hits],
            "nearest": _nearest_json(found),
        }
        if rendered is not None:
            payload["rendered"] = rendered
        emit_json(payload)
    elif args.render:
        # stdout carries only the prompt block, exactly as rendered, so scripts can paste it.
        if not rendered:
            print(nothing, file=sys.stderr)
        else:
            sys.stdout.write(rendered if rendered.endswith("\n") else rendered + "\n")
    elif not hits:
        console().print(lit(nothing), soft_wrap=True)
    else:
        _print_hits(args.query, hits)
    return EXIT_OK


def _print_hits(query: str, hits: list[RetrievedExperience]) -> None:
    table = Table(title=f"Memory for: {lit(short(query, 60))}")
    for col in ("score", "experience", "task", "verdict", "item"):
        table.add_column(col)
    for h in hits:
        exp = h.experience
        for n, item in enumerate(i for i in exp.items if i.superseded_by is None and i.active):
            first = n == 0
            table.add_row(
                f"{h.score:.3f}" if first else "",
                lit(exp.id[:12]) if first else "",
                lit(exp.task_id) if first else "",
                (exp.verdict.label if exp.verdict else "manual") if first else "",
                f"[bold]{lit(item.title)}[/bold]\n{lit(item.content)}",
            )
    console().print(table)


# --------------------------------------------------------------------------- add


_ONE_ITEM_OPTIONS = ("title", "content", "description", "query", "task_id")


def cmd_add(args: argparse.Namespace) -> int:
    """Add one item (``--title``/``--content``) or every lesson of a file (``--file``), all or none."""
    given = [f"--{name.replace('_', '-')}" for name in _ONE_ITEM_OPTIONS if getattr(args, name) is not None]
    if args.file is not None:
        if given:
            raise CLIError(
                f"--file cannot be combined with {', '.join(given)}: each line of the file gives them"
            )
        return _add_file(args, Path(args.file))
    if args.title is None or args.content is None:
        raise CLIError("add needs --title and --content, or --file LESSONS.jsonl")
    cfg = _with_redactions(load_config(args), args)
    bank = common.build_bank(cfg)
    try:
        item = bank.add_item(
            args.title,
            args.content,
            description=args.description or "",
            task_id=args.task_id,
            query=args.query,
        )
    finally:
        bank.close()
    if args.json:
        emit_json({"item": item_json(item), "experience_id": item.experience_id, "scope": cfg.scope})
        return EXIT_OK
    console().print(lit(f"Added item {item.id} (experience {item.experience_id}) to scope {cfg.scope!r}."))
    return EXIT_OK


def _add_file(args: argparse.Namespace, path: Path) -> int:
    """Store every lesson of ``path`` in one write; the whole file is checked before the bank is
    opened, so a bad line stores nothing and does not even create the bank."""
    cfg = _with_redactions(load_config(args), args)
    lessons = read_lessons(path)  # a LessonFileError names the file and the line
    bank = common.build_bank(cfg)
    try:
        items = bank.add_lessons(lessons)
    finally:
        bank.close()
    if args.json:
        emit_json(
            {
                "file": str(path),
                "scope": cfg.scope,
                "added": len(items),
                "items": [item_json(i) for i in items],
            }
        )
        return EXIT_OK
    noun = "lesson" if len(items) == 1 else "lessons"
    console().print(lit(f"Added {len(items)} {noun} from {path} to scope {cfg.scope!r}."), soft_wrap=True)
    return EXIT_OK


# --------------------------------------------------------------------------- parsers


def register(sub: Any) -> None:
    """Add ``learn``, ``retrieve`` and ``add`` to the subparsers ``sub``."""
    p = add_command(sub, "learn", cmd_learn, "judge trajectories, distil memory items and store them")
    source = p.add_mutually_exclusive_group(required=True)
    source.add_argument(
        "file",
        nargs="?",
        help="trajectory file: JSON, JSONL, OpenAI messages or mini-swe-agent .traj.json",
    )
    source.add_argument(
        "--example",
        action="store_true",
        help="learn from the example trajectories bundled with the package (instead of FILE)",
    )
    p.add_argument("--task-id", help="override the task id of every trajectory in the file")
    p.add_argument("--query", help="override the query of every trajectory in the file")
    p.add_argument(
        "--outcome",
        choices=("success", "failure"),
        help="the known outcome of every trajectory in the file (tests passed, a form was accepted): "
        "recorded as the verdict's source instead of asking the judge",
    )
    p.add_argument(
        "--local-model",
        metavar="NAME",
        help="start this bundled local model (e.g. qwen2.5-coder-1.5b) if no model is set; "
        "uses the small-local preset unless --preset is given",
    )
    _add_redact_option(p)

    p = add_command(sub, "retrieve", cmd_retrieve, "show the memory retrieved for a query")
    p.add_argument("query")
    p.add_argument("-k", type=int, default=None, help="number of experiences (default: the preset's k)")
    p.add_argument("--task-id", help="leave out experiences recorded for this task id")
    p.add_argument(
        "--min-score",
        type=float,
        default=None,
        help="similarity floor for this query (default: the retrieve.min_score the bank learned with)",
    )
    p.add_argument(
        "--render",
        action="store_true",
        help="print only the system-prompt memory block (a note on stderr when there is none)",
    )

    p = add_command(sub, "add", cmd_add, "add a hand-written memory item, or every lesson of a file (--file)")
    p.add_argument("--title", help="the item's title (with --content)")
    p.add_argument("--content", help="the item's content (with --title)")
    p.add_argument("--description")
    p.add_argument("--query", help="text retrieval matches against (default: the title)")
    p.add_argument("--task-id", help="task id to record (default: manual-<item id>)")
    p.add_argument(
        "--file",
        metavar="LESSONS.jsonl",
        help="add every lesson of this JSON Lines file instead, all or none: one object per line with "
        "title and content, optionally description, query and task_id; blank and # lines are skipped",
    )
    _add_redact_option(p)
