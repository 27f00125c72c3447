"""The ``reasoningbank`` command line: the Python API, one command per method.

Every command accepts ``--json`` for machine-readable output on stdout; without
it, output is human-readable (rich tables). Bad input (a missing or malformed
file, an unknown id, an embedding mismatch, no model configured) exits with
code 2 and one line on stderr; a failure while running (a model call that
failed, a store error) exits with code 1.

Commands dispatch through ``args.func(args) -> int``. Other modules can add
commands: if :mod:`reasoningbank.bench.cli` exists, its
``register(subparsers)`` is called with the subparsers object.
"""

from __future__ import annotations

import argparse
import contextlib
import importlib
import importlib.util
import json
import os
import signal
import sys
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import Any, TextIO

from rich.console import Console
from rich.table import Table

from ..bank import LearnError, NoLLMError, ReasoningBank
from ..config import API_BASE_ENV, MODEL_ENV, PRESETS, BankConfig, ConfigError
from ..embed import make_embedder
from ..llm import LLM, RealCallBlockedError
from ..models import Experience, LearnReport, MemoryItem, RetrievedExperience
from ..stores import export_jsonl, import_jsonl, open_store
from ..stores.base import EmbeddingMismatchError, NotFoundError, Store, StoreError
from ..trajio import TrajectoryFileError, load_trajectories

STORE_ENV = "REASONINGBANK_STORE"
DEFAULT_STORE = "sqlite:///reasoningbank.db"

EXIT_OK = 0
EXIT_FAILURE = 1
EXIT_USAGE = 2


class CLIError(Exception):
    """A user-facing error: printed as one line on stderr, exit code ``code``."""

    def __init__(self, message: str, code: int = EXIT_USAGE) -> None:
        super().__init__(message)
        self.code = code


# --------------------------------------------------------------------------- factories (test hooks)


def open_cli_store(cfg: BankConfig) -> Store:
    """The store for commands that only read or write stored data. Tests may replace it."""
    return open_store(cfg.store)


def build_bank(cfg: BankConfig, *, llm: LLM | None = None) -> ReasoningBank:
    """The bank for commands that embed or call a model. Tests replace this to inject fakes.

    ``llm`` (a started local model) is used for the judge and the extractor
    when given; otherwise the models named in ``cfg`` are.
    """
    if llm is None:
        return ReasoningBank.from_config(cfg)
    embedder = make_embedder(cfg.embedder, api_base=cfg.api_base)
    store = open_store(cfg.store)
    return ReasoningBank.from_preset(store, embedder, llm, cfg.resolved_preset(), scope=cfg.scope)


def _import_localmodel(what: str) -> Any:
    try:
        return importlib.import_module("reasoningbank.llm.local")
    except ImportError as exc:
        raise CLIError(f"{what} needs reasoningbank.llm.local, which cannot be imported: {exc}") from exc


@contextlib.contextmanager
def _model_errors(localmodel: Any, name: str) -> Iterator[None]:
    """Turn local-model failures into one-line CLI errors."""
    try:
        yield
    except localmodel.ModelAssemblyError as exc:
        raise CLIError(f"local model {name!r} is not available: {exc}") from exc
    except localmodel.ModelServerError as exc:
        raise CLIError(f"local model {name!r} could not be served: {exc}", EXIT_FAILURE) from exc


@contextlib.contextmanager
def _local_llm(name: str) -> Iterator[LLM]:
    """Assemble and serve the bundled model ``name`` for the duration of the block."""
    localmodel = _import_localmodel("--local-model")
    with _model_errors(localmodel, name), localmodel.local_llm(name) as llm:
        yield llm


# --------------------------------------------------------------------------- options and config


def _common_options(parser: argparse.ArgumentParser) -> None:
    """Options accepted both before and after the command name (defaults filled in later)."""
    s = argparse.SUPPRESS
    g = parser.add_argument_group("common options")
    g.add_argument("--config", metavar="PATH", default=s, help="bank config file (TOML or JSON)")
    g.add_argument(
        "--store",
        metavar="URL",
        default=s,
        help=f"store URL: memory://, sqlite:///path.db or path.db (default ${STORE_ENV} or {DEFAULT_STORE})",
    )
    g.add_argument("--scope", default=s, help="memory scope (partition) to use (default: 'default')")
    g.add_argument("--model", default=s, help=f"LLM for judge and extractor (default ${MODEL_ENV})")
    g.add_argument("--api-base", default=s, help=f"API base URL for the LLM (default ${API_BASE_ENV})")
    g.add_argument("--embedder", default=s, help="embedder: local | hash | litellm:MODEL (default: local)")
    g.add_argument("--preset", default=s, choices=sorted(PRESETS), help="learning-loop preset")
    g.add_argument("--json", action="store_true", default=s, help="machine-readable JSON output on stdout")


_COMMON_DEFAULTS: dict[str, Any] = {
    "config": None,
    "store": None,
    "scope": None,
    "model": None,
    "api_base": None,
    "embedder": None,
    "preset": None,
    "json": False,
}


def add_common_options(parser: argparse.ArgumentParser) -> None:
    """Let a (bench) subcommand accept the global options after its name too."""
    _common_options(parser)


def load_config(args: argparse.Namespace) -> BankConfig:
    """The effective config: command-line flags over the config file over environment defaults."""
    cfg = BankConfig.from_file(args.config) if args.config else BankConfig()
    updates: dict[str, Any] = {}
    if args.store:
        updates["store"] = args.store
    elif "store" not in cfg.model_fields_set:
        updates["store"] = os.environ.get(STORE_ENV, "").strip() or DEFAULT_STORE
    for key in ("scope", "model", "api_base", "embedder", "preset"):
        value = getattr(args, key)
        if value is not None:
            updates[key] = value
    if not updates:
        return cfg
    try:
        merged = BankConfig.model_validate({**cfg.model_dump(), **updates})
        merged.resolved_preset()
    except ValueError as exc:  # pydantic ValidationError and ConfigError are ValueErrors
        raise CLIError(f"invalid option: {_one_line(str(exc))}") from exc
    return merged


# --------------------------------------------------------------------------- output helpers


def _one_line(text: str) -> str:
    return " ".join(text.split())


def _emit_json(obj: Any) -> None:
    sys.stdout.write(json.dumps(obj, ensure_ascii=False, indent=2, default=str))
    sys.stdout.write("\n")


def _console() -> Console:
    return Console(file=sys.stdout, soft_wrap=False, width=max(Console().width, 100))


def _short(text: str, n: int = 70) -> str:
    flat = _one_line(text)
    return flat if len(flat) <= n else flat[: n - 1] + "…"


def _item_json(item: MemoryItem) -> dict[str, Any]:
    return item.model_dump(mode="json")


def _experience_json(exp: Experience, *, with_vector: bool = False) -> dict[str, Any]:
    data = exp.model_dump(mode="json")
    ref = data.get("query_embedding")
    if isinstance(ref, dict) and not with_vector:
        ref.pop("vector", None)
    return data


def _experience_summary(exp: Experience) -> dict[str, Any]:
    return {
        "id": exp.id,
        "task_id": exp.task_id,
        "query": exp.query,
        "verdict": exp.verdict.label if exp.verdict else None,
        "items": len(exp.items),
        "created_at": exp.created_at.isoformat(),
    }


def _resolve_id(store: Store, scope: str, ident: str) -> Experience:
    """An experience by id, or by a unique id prefix (at least 4 characters)."""
    try:
        return store.get(scope, ident, include_superseded=True)
    except NotFoundError:
        pass
    if len(ident) >= 4:
        matches = [e for e in store.list(scope, include_superseded=True) if e.id.startswith(ident)]
        if len(matches) == 1:
            return matches[0]
        if len(matches) > 1:
            raise CLIError(f"id prefix {ident!r} is ambiguous in scope {scope!r} ({len(matches)} matches)")
    raise CLIError(f"no experience with id {ident!r} in scope {scope!r}")


# --------------------------------------------------------------------------- commands


def cmd_init(args: argparse.Namespace) -> int:
    cfg = load_config(args)
    store = open_cli_store(cfg)
    try:
        n = store.count(cfg.scope)
        binding = store.embedding_model(cfg.scope)
        location = str(getattr(store, "path", "")) or cfg.store
        persistent = cfg.store.strip() != "memory://"
    finally:
        store.close()
    info = {
        "store": cfg.store,
        "location": location,
        "scope": cfg.scope,
        "experiences": n,
        "embedding_model": list(binding) if binding else None,
        "persistent": persistent,
    }
    if args.json:
        _emit_json(info)
        return EXIT_OK
    out = _console()
    out.print(
        f"Bank ready at [bold]{location}[/bold] (store {cfg.store}), scope [bold]{cfg.scope}[/bold]: "
        f"{n} experience(s)."
    )
    if not persistent:
        out.print("Note: memory:// keeps nothing after this command exits.")
    return EXIT_OK


def _report_json(task_id: str, rep: LearnReport) -> dict[str, Any]:
    u = rep.usage
    return {
        "task_id": task_id,
        "experience_id": rep.experience_id,
        "stored": rep.stored,
        "verdict": rep.verdict.label,
        "verdict_parsed": rep.verdict.parsed,
        "judge_thoughts": rep.verdict.thoughts,
        "items": [_item_json(i) for i in rep.items],
        "note": rep.note,
        "calls": u.calls,
        "prompt_tokens": u.prompt_tokens,
        "completion_tokens": u.completion_tokens,
        "tokens": u.total_tokens,
        "cost": u.cost,
        "seconds": rep.seconds,
    }


def cmd_learn(args: argparse.Namespace) -> int:
    cfg = load_config(args)
    trajectories = load_trajectories(args.file, task_id=args.task_id, query=args.query)
    with contextlib.ExitStack() as stack:
        llm: LLM | None = None
        if args.local_model and not cfg.model:
            llm = stack.enter_context(_local_llm(args.local_model))
            if args.preset is None and cfg.preset == "paper":
                # The paper's settings suit large hosted models; small local ones need the tuned preset.
                cfg = cfg.model_copy(update={"preset": "small-local"})
        bank = build_bank(cfg, llm=llm)
        stack.callback(bank.close)
        results: list[dict[str, Any]] = []
        for traj in trajectories:
            try:
                rep = bank.learn(traj)
            except NoLLMError as exc:
                raise CLIError(
                    "learn needs a model to judge and distil trajectories: pass --model MODEL "
                    f"(or set ${MODEL_ENV}, or 'model' in --config), or --local-model NAME"
                ) from exc
            except LearnError as exc:
                if args.json:
                    _emit_json({"results": results, "error": _one_line(str(exc))})
                raise CLIError(
                    f"{exc} ({len(results)} of {len(trajectories)} trajectories were learned before it)",
                    EXIT_FAILURE,
                ) from exc
            results.append(_report_json(traj.task_id, rep))
    if args.json:
        _emit_json({"results": results})
        return EXIT_OK
    table = Table(title=f"Learned {len(results)} trajectory(ies) from {args.file}")
    for col in ("task", "verdict", "items", "calls", "tokens", "cost", "seconds"):
        table.add_column(col, justify="right" if col in ("calls", "tokens", "cost", "seconds") else "left")
    for r in results:
        titles = "\n".join(f"- {i['title']}" for i in r["items"]) or "(none)"
        table.add_row(
            r["task_id"],
            r["verdict"],
            titles,
            str(r["calls"]),
            str(r["tokens"]),
            f"${r['cost']:.4f}",
            f"{r['seconds']:.2f}",
        )
    out = _console()
    out.print(table)
    for r in results:
        if r["note"]:
            out.print(f"[dim]{r['task_id']}: {r['note']}[/dim]")
    return EXIT_OK


def _hit_json(hit: RetrievedExperience) -> dict[str, Any]:
    exp = hit.experience
    return {
        "score": hit.score,
        "experience_id": exp.id,
        "task_id": exp.task_id,
        "query": exp.query,
        "verdict": exp.verdict.label if exp.verdict else None,
        "items": [_item_json(i) for i in exp.items if i.superseded_by is None],
    }


def cmd_retrieve(args: argparse.Namespace) -> int:
    cfg = load_config(args)
    if args.k is not None and args.k < 1:
        raise CLIError(f"-k must be at least 1, got {args.k}")
    bank = build_bank(cfg)
    try:
        hits = bank.retrieve_experiences(args.query, args.k, task_id=args.task_id)
        items = [i for h in hits for i in h.experience.items if i.superseded_by is None]
        rendered = bank.render(items) if args.render else None
    finally:
        bank.close()
    if args.json:
        payload: dict[str, Any] = {"query": args.query, "hits": [_hit_json(h) for h in hits]}
        if rendered is not None:
            payload["rendered"] = rendered
        _emit_json(payload)
        return EXIT_OK
    if args.render:
        sys.stdout.write(rendered or "")
        if rendered and not rendered.endswith("\n"):
            sys.stdout.write("\n")
        return EXIT_OK
    out = _console()
    if not hits:
        out.print(f"No memory in scope {cfg.scope!r} for this query.")
        return EXIT_OK
    table = Table(title=f"Memory for: {_short(args.query, 60)}")
    for col in ("score", "experience", "task", "verdict", "item"):
        table.add_column(col)
    for h in hits:
        exp = h.experience
        for n, item in enumerate(i for i in exp.items if i.superseded_by is None):
            table.add_row(
                f"{h.score:.3f}" if n == 0 else "",
                exp.id[:12] if n == 0 else "",
                exp.task_id if n == 0 else "",
                (exp.verdict.label if exp.verdict else "manual") if n == 0 else "",
                f"[bold]{item.title}[/bold]\n{item.content}",
            )
    out.print(table)
    return EXIT_OK


def cmd_add(args: argparse.Namespace) -> int:
    cfg = load_config(args)
    bank = build_bank(cfg)
    try:
        item = bank.add_item(
            args.title, args.content, description=args.description, task_id=args.task_id, query=args.query
        )
    finally:
        bank.close()
    if args.json:
        _emit_json({"item": _item_json(item), "experience_id": item.experience_id, "scope": cfg.scope})
        return EXIT_OK
    _console().print(f"Added item {item.id} (experience {item.experience_id}) to scope {cfg.scope!r}.")
    return EXIT_OK


def cmd_list(args: argparse.Namespace) -> int:
    cfg = load_config(args)
    if args.limit is not None and args.limit < 0:
        raise CLIError(f"--limit must be >= 0, got {args.limit}")
    if args.offset < 0:
        raise CLIError(f"--offset must be >= 0, got {args.offset}")
    store = open_cli_store(cfg)
    try:
        exps = store.list(cfg.scope, limit=args.limit, offset=args.offset)
        total = store.count(cfg.scope)
    finally:
        store.close()
    if args.json:
        summaries = [_experience_summary(e) for e in exps]
        _emit_json({"scope": cfg.scope, "total": total, "experiences": summaries})
        return EXIT_OK
    table = Table(title=f"Scope {cfg.scope!r}: {len(exps)} of {total} experience(s)")
    for col in ("id", "task", "verdict", "items", "query", "created"):
        table.add_column(col)
    for e in exps:
        s = _experience_summary(e)
        table.add_row(
            e.id,
            e.task_id,
            s["verdict"] or "manual",
            str(s["items"]),
            _short(e.query, 50),
            e.created_at.strftime("%Y-%m-%d %H:%M"),
        )
    _console().print(table)
    return EXIT_OK


def cmd_show(args: argparse.Namespace) -> int:
    cfg = load_config(args)
    store = open_cli_store(cfg)
    try:
        exp = _resolve_id(store, cfg.scope, args.id)
    finally:
        store.close()
    if args.json:
        _emit_json(_experience_json(exp, with_vector=args.with_vector))
        return EXIT_OK
    out = _console()
    out.print(f"[bold]Experience {exp.id}[/bold]  scope {exp.scope!r}  task {exp.task_id!r}")
    out.print(f"Query: {exp.query}")
    if exp.verdict:
        out.print(f"Verdict: [bold]{exp.verdict.label}[/bold] ({exp.verdict.judge_model or 'given'})")
        if exp.verdict.thoughts:
            out.print(f"Judge: {exp.verdict.thoughts}")
    if exp.query_embedding:
        out.print(f"Embedding: {exp.query_embedding.model} ({exp.query_embedding.dim}-d)")
    if exp.trajectory:
        out.print(f"Trajectory: {len(exp.trajectory.steps)} step(s)")
        for n, step in enumerate(exp.trajectory.steps, start=1):
            out.print(f"  {n}. {_short(step.thought, 60)} -> {_short(step.action, 60)}", markup=False)
        if exp.trajectory.final_answer is not None:
            out.print(f"Final answer: {_short(exp.trajectory.final_answer, 100)}", markup=False)
    table = Table(title="Memory items")
    for col in ("id", "origin", "v", "title", "content"):
        table.add_column(col)
    for item in exp.items:
        status = "" if item.superseded_by is None else " (superseded)"
        table.add_row(item.id, item.origin + status, str(item.version), item.title, item.content)
    out.print(table)
    return EXIT_OK


def cmd_delete(args: argparse.Namespace) -> int:
    cfg = load_config(args)
    store = open_cli_store(cfg)
    try:
        exp = _resolve_id(store, cfg.scope, args.id)
        if not args.yes:
            if not sys.stdin.isatty():
                raise CLIError(f"refusing to delete {exp.id} without --yes (stdin is not a terminal)")
            prompt = f"Delete experience {exp.id} ({exp.task_id}) and its {len(exp.items)} item(s)? [y/N] "
            answer = input(prompt)
            if answer.strip().lower() not in ("y", "yes"):
                if args.json:
                    _emit_json({"deleted": None, "scope": cfg.scope})
                else:
                    _console().print("Nothing deleted.")
                return EXIT_OK
        store.delete(cfg.scope, exp.id)
    finally:
        store.close()
    if args.json:
        _emit_json({"deleted": exp.id, "scope": cfg.scope, "items": len(exp.items)})
    else:
        _console().print(f"Deleted experience {exp.id} and its {len(exp.items)} item(s).")
    return EXIT_OK


def cmd_export(args: argparse.Namespace) -> int:
    cfg = load_config(args)
    store = open_cli_store(cfg)
    try:
        if args.path == "-":
            n = export_jsonl(store, cfg.scope, sys.stdout)
            sys.stdout.flush()
            print(f"exported {n} experience(s) from scope {cfg.scope!r}", file=sys.stderr)
            return EXIT_OK
        n = export_jsonl(store, cfg.scope, args.path)
    finally:
        store.close()
    if args.json:
        _emit_json({"exported": n, "scope": cfg.scope, "path": str(args.path)})
    else:
        _console().print(f"Exported {n} experience(s) from scope {cfg.scope!r} to {args.path}.")
    return EXIT_OK


def cmd_import(args: argparse.Namespace) -> int:
    cfg = load_config(args)
    path = Path(args.path)
    if not path.is_file():
        raise CLIError(f"{path}: no such file")
    store = open_cli_store(cfg)
    try:
        n = import_jsonl(store, path, scope=cfg.scope)
    finally:
        store.close()
    if args.json:
        _emit_json({"imported": n, "scope": cfg.scope, "path": str(path)})
    else:
        _console().print(f"Imported {n} experience(s) into scope {cfg.scope!r} from {path}.")
    return EXIT_OK


def _stats(store: Store, scope: str) -> dict[str, Any]:
    exps = store.list(scope)
    labels = {"success": 0, "failure": 0, "none": 0}
    for e in exps:
        labels[e.verdict.label if e.verdict else "none"] += 1
    binding = store.embedding_model(scope)
    return {
        "scope": scope,
        "experiences": len(exps),
        "items": store.count_items(scope),
        "items_including_superseded": store.count_items(scope, include_superseded=True),
        "success": labels["success"],
        "failure": labels["failure"],
        "unjudged": labels["none"],
        "embedding_model": {"model": binding[0], "dim": binding[1]} if binding else None,
        "scopes": {s: store.count(s) for s in store.scopes()},
    }


def cmd_stats(args: argparse.Namespace) -> int:
    cfg = load_config(args)
    store = open_cli_store(cfg)
    try:
        stats = _stats(store, cfg.scope)
    finally:
        store.close()
    if args.json:
        _emit_json(stats)
        return EXIT_OK
    table = Table(title=f"Scope {cfg.scope!r} in {cfg.store}")
    table.add_column("what")
    table.add_column("value", justify="right")
    emb = stats["embedding_model"]
    rows = [
        ("experiences", str(stats["experiences"])),
        ("memory items", str(stats["items"])),
        ("successes", str(stats["success"])),
        ("failures", str(stats["failure"])),
        ("manual / unjudged", str(stats["unjudged"])),
        ("embedding model", f"{emb['model']} ({emb['dim']}-d)" if emb else "(none yet)"),
        ("scopes", ", ".join(f"{s} ({n})" for s, n in stats["scopes"].items()) or "(none)"),
    ]
    for what, value in rows:
        table.add_row(what, value)
    _console().print(table)
    return EXIT_OK


def cmd_serve_model(args: argparse.Namespace) -> int:
    localmodel = _import_localmodel("serve-model")
    with _model_errors(localmodel, args.name):
        path = localmodel.assemble_model(args.name)
        server = localmodel.LlamaServer(path, port=args.port, model_alias=args.name)
        server.start()
    with server:
        info = {"model": server.model_alias, "api_base": server.api_base, "model_path": str(path)}
        if args.json:
            _emit_json(info)
        else:
            _console().print(
                f"Serving {args.name} at {server.api_base} (Ctrl-C to stop). Use it with: "
                f"--model {server.model_alias} --api-base {server.api_base}",
                markup=False,
            )
        sys.stdout.flush()
        with contextlib.suppress(KeyboardInterrupt):
            while server.running:
                time.sleep(0.5)
        if not server.running and not args.json:
            _console().print("The model server has stopped.")
    return EXIT_OK


# --------------------------------------------------------------------------- parser


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="reasoningbank",
        description="ReasoningBank: memory distilled from an agent's successes and failures.",
    )
    _common_options(parser)
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)

    def command(
        name: str, func: Callable[[argparse.Namespace], int], help_text: str
    ) -> argparse.ArgumentParser:
        p = sub.add_parser(name, help=help_text, description=help_text)
        _common_options(p)
        p.set_defaults(func=func)
        return p

    command("init", cmd_init, "create the store and scope and print where it is")

    p = command("learn", cmd_learn, "judge trajectories, distil memory items and store them")
    p.add_argument("file", help="trajectory file: JSON, JSONL, OpenAI messages or mini-swe-agent .traj.json")
    p.add_argument("--task-id", help="override the task id of every trajectory in the file")
    p.add_argument("--query", help="override the query of every trajectory in the file")
    p.add_argument(
        "--local-model",
        metavar="NAME",
        help="start this bundled local model (e.g. qwen2.5-coder-1.5b) if no model is set; "
        "uses the small-local preset unless --preset is given",
    )

    p = command("retrieve", cmd_retrieve, "show the memory retrieved for a query")
    p.add_argument("query")
    p.add_argument("-k", type=int, default=None, help="number of experiences (default: the preset's k)")
    p.add_argument("--task-id", help="leave out experiences recorded for this task id")
    p.add_argument("--render", action="store_true", help="print the system-prompt memory block")
    p.add_argument(
        "--local-model",
        metavar="NAME",
        help="accepted so learn and retrieve take the same options; retrieval calls no LLM",
    )

    p = command("add", cmd_add, "add a hand-written memory item")
    p.add_argument("--title", required=True)
    p.add_argument("--content", required=True)
    p.add_argument("--description", default="")
    p.add_argument("--query", help="text retrieval matches against (default: the title)")
    p.add_argument("--task-id", help="task id to record (default: manual-<item id>)")

    p = command("list", cmd_list, "list the experiences of the scope")
    p.add_argument("--limit", type=int, default=None)
    p.add_argument("--offset", type=int, default=0)

    p = command("show", cmd_show, "show one experience with its items")
    p.add_argument("id", help="experience id (or a unique prefix of at least 4 characters)")
    p.add_argument("--with-vector", action="store_true", help="include the query vector in --json output")

    p = command("delete", cmd_delete, "delete one experience and its items")
    p.add_argument("id", help="experience id (or a unique prefix of at least 4 characters)")
    p.add_argument("--yes", "-y", action="store_true", help="do not ask for confirmation")

    p = command("export", cmd_export, "write the scope's experiences as JSON Lines")
    p.add_argument("path", nargs="?", default="-", help="output file, or - for stdout (default)")

    p = command("import", cmd_import, "add experiences from a JSON Lines export (all or nothing)")
    p.add_argument("path")

    command("stats", cmd_stats, "counts, verdicts, embedding model and scopes")

    p = command("serve-model", cmd_serve_model, "run a bundled local model server until interrupted")
    p.add_argument("name", help="bundled model name")
    p.add_argument("--port", type=int, default=None)

    _register_plugins(sub)
    return parser


def _register_plugins(sub: Any) -> None:
    from .bench import register

    register(sub)


# --------------------------------------------------------------------------- main


_USAGE_ERRORS: tuple[type[BaseException], ...] = (
    TrajectoryFileError,
    ConfigError,
    NotFoundError,
    EmbeddingMismatchError,
    NoLLMError,
    ValueError,
    ImportError,
    FileNotFoundError,
)
_RUN_ERRORS: tuple[type[BaseException], ...] = (LearnError, StoreError, RealCallBlockedError, OSError)


def _fail(message: str, code: int, err: TextIO) -> int:
    err.write(f"reasoningbank: error: {_one_line(message)}\n")
    return code


def _exit_on_sigterm(signum: int, frame: object) -> None:
    # A plain SIGTERM would end Python without running ``finally`` blocks, orphaning the
    # browser and model server a command started; exiting lets every context manager close.
    raise SystemExit(128 + signum)


def main(argv: Sequence[str] | None = None) -> int:
    """Run the CLI; returns the exit code (the console script exits with it)."""
    if threading.current_thread() is threading.main_thread():
        signal.signal(signal.SIGTERM, _exit_on_sigterm)
    parser = build_parser()
    try:
        args = parser.parse_args(list(argv) if argv is not None else None)
    except SystemExit as exc:  # argparse: --help (0) or a usage error (2)
        return int(exc.code) if isinstance(exc.code, int) else EXIT_USAGE
    for key, value in _COMMON_DEFAULTS.items():
        if not hasattr(args, key):
            setattr(args, key, value)
    func: Callable[[argparse.Namespace], int] | None = getattr(args, "func", None)
    if func is None:  # a registered command group invoked without its subcommand
        return _fail(
            f"'{args.command}' needs a subcommand; see 'reasoningbank {args.command} --help'",
            EXIT_USAGE,
            sys.stderr,
        )
    try:
        return int(func(args))
    except CLIError as exc:
        return _fail(str(exc), exc.code, sys.stderr)
    except NotFoundError as exc:  # also a KeyError: show its text, not its repr
        return _fail(str(exc.args[0]) if exc.args else "not found", EXIT_USAGE, sys.stderr)
    except _USAGE_ERRORS as exc:
        return _fail(str(exc), EXIT_USAGE, sys.stderr)
    except BrokenPipeError:  # e.g. `reasoningbank export | head`: stop quietly
        with contextlib.suppress(OSError):
            devnull = os.open(os.devnull, os.O_WRONLY)
            os.dup2(devnull, sys.stdout.fileno())
        return EXIT_FAILURE
    except _RUN_ERRORS as exc:
        return _fail(str(exc), EXIT_FAILURE, sys.stderr)
    except KeyboardInterrupt:
        return _fail("interrupted", 130, sys.stderr)
