"""The CLI commands on stored data: ``init list show delete export import stats``.

They read and write the store only (no embedder, no model), which they get
from :func:`reasoningbank.cli.common.open_cli_store`.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

from rich.table import Table

from ..learning.redaction import import_redacted, redactor_for
from ..models import Experience
from ..stores import export_jsonl, mask_url
from ..stores.base import NotFoundError, Store
from . import common
from .common import add_command, load_config
from .errors import EXIT_OK, CLIError
from .items import book_for, record_cell, record_json
from .output import console, emit_json, experience_json, experience_summary, lit, printable, short

_ID_HELP = "experience id (or a unique prefix of at least 4 characters)"


def resolve_id(store: Store, scope: str, ident: str) -> Experience:
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


def cmd_init(args: argparse.Namespace) -> int:
    cfg = load_config(args)
    store = common.open_cli_store(cfg)
    try:
        n = store.count(cfg.scope)
        binding = store.embedding_model(cfg.scope)
        location = str(getattr(store, "path", "")) or mask_url(cfg.store)
        persistent = cfg.store.strip() != "memory://"
    finally:
        store.close()
    info = {
        "store": mask_url(cfg.store),
        "location": location,
        "scope": cfg.scope,
        "experiences": n,
        "embedding_model": list(binding) if binding else None,
        "persistent": persistent,
    }
    if args.json:
        emit_json(info)
        return EXIT_OK
    out = console()
    out.print(
        f"Bank ready at [bold]{lit(location)}[/bold] (store {lit(mask_url(cfg.store))}), "
        f"scope [bold]{lit(cfg.scope)}[/bold]: {n} experience(s)."
    )
    if not persistent:
        out.print("Note: memory:// keeps nothing after this command exits.")
    return EXIT_OK


def _item_count(exp: Experience) -> str:
    retired = sum(1 for it in exp.items if not it.active)
    return f"{len(exp.items)} ({retired} retired)" if retired else str(len(exp.items))


def cmd_list(args: argparse.Namespace) -> int:
    cfg = load_config(args)
    if args.limit is not None and args.limit < 0:
        raise CLIError(f"--limit must be >= 0, got {args.limit}")
    if args.offset < 0:
        raise CLIError(f"--offset must be >= 0, got {args.offset}")
    store = common.open_cli_store(cfg, create=False)
    try:
        exps = store.list(cfg.scope, limit=args.limit, offset=args.offset)
        total = store.count(cfg.scope)
    finally:
        store.close()
    if args.json:
        summaries = [experience_summary(e) for e in exps]
        emit_json({"scope": cfg.scope, "total": total, "experiences": summaries})
        return EXIT_OK
    table = Table(title=lit(f"Scope {cfg.scope!r}: {len(exps)} of {total} experience(s)"))
    for col in ("id", "task", "verdict", "items", "query", "created"):
        table.add_column(col)
    for e in exps:
        table.add_row(
            lit(e.id),
            lit(e.task_id),
            e.verdict.label if e.verdict else "manual",
            _item_count(e),
            lit(short(e.query, 50)),
            e.created_at.strftime("%Y-%m-%d %H:%M"),
        )
    console().print(table)
    return EXIT_OK


def cmd_show(args: argparse.Namespace) -> int:
    cfg = load_config(args)
    store = common.open_cli_store(cfg, create=False)
    try:
        exp = resolve_id(store, cfg.scope, args.id)
        book = book_for(store, cfg.scope)
        records = {it.id: book.record(it) for it in exp.items if it.superseded_by is None}
    finally:
        store.close()
    if args.json:
        data = experience_json(exp, with_vector=args.with_vector)
        data["item_records"] = {item_id: record_json(rec) for item_id, rec in records.items()}
        emit_json(data)
        return EXIT_OK
    out = console()
    where = f"scope {exp.scope!r}  task {exp.task_id!r}"
    out.print(f"[bold]Experience {lit(exp.id)}[/bold]  {lit(where)}")
    out.print(f"Query: {lit(exp.query)}")
    if exp.verdict:
        judge = lit(exp.verdict.judge_model or "given")
        v = exp.verdict
        how = f"{judge}, {v.source}" + (f", p(success) {v.p_success:.2f}" if v.p_success is not None else "")
        out.print(f"Verdict: [bold]{v.label}[/bold] ({lit(how)})")
        if v.reason:
            out.print(f"Why: {lit(v.reason)}")
        if exp.verdict.thoughts:
            out.print(f"Judge: {lit(exp.verdict.thoughts)}")
    if exp.query_embedding:
        out.print(f"Embedding: {lit(exp.query_embedding.model)} ({exp.query_embedding.dim}-d)")
    if exp.trajectory:
        out.print(f"Trajectory: {len(exp.trajectory.steps)} step(s)")
        for n, step in enumerate(exp.trajectory.steps, start=1):
            out.print(f"  {n}. {lit(short(step.thought, 60))} -> {lit(short(step.action, 60))}")
        if exp.trajectory.final_answer is not None:
            out.print(f"Final answer: {lit(short(exp.trajectory.final_answer, 100))}")
    table = Table(title="Memory items (record: judged successes / judged tasks, with and without the item)")
    for col in ("id", "origin", "v", "title", "content", "record", "status"):
        table.add_column(col)
    for item in exp.items:
        status: str = item.status if item.superseded_by is None else "superseded"
        if item.superseded_by is None and not item.active:
            status = f"retired: {item.status_reason}"
        elif item.superseded_by is None and item.status_reason:
            status = f"{item.status}: {item.status_reason}"
        record = record_cell(records[item.id]) if item.id in records else ""
        row = (item.id, item.origin, str(item.version), item.title, item.content, record, status)
        table.add_row(*(lit(cell) for cell in row))
    out.print(table)
    return EXIT_OK


def cmd_delete(args: argparse.Namespace) -> int:
    cfg = load_config(args)
    store = common.open_cli_store(cfg, create=False)
    try:
        exp = resolve_id(store, cfg.scope, args.id)
        if not args.yes:
            if not sys.stdin.isatty():
                raise CLIError(f"refusing to delete {exp.id} without --yes (stdin is not a terminal)")
            task = printable(exp.task_id)
            prompt = f"Delete experience {exp.id} ({task}) and its {len(exp.items)} item(s)? [y/N] "
            answer = input(prompt)
            if answer.strip().lower() not in ("y", "yes"):
                if args.json:
                    emit_json({"deleted": None, "scope": cfg.scope})
                else:
                    console().print("Nothing deleted.")
                return EXIT_OK
        store.delete(cfg.scope, exp.id)
    finally:
        store.close()
    if args.json:
        emit_json({"deleted": exp.id, "scope": cfg.scope, "items": len(exp.items)})
    else:
        console().print(lit(f"Deleted experience {exp.id} and its {len(exp.items)} item(s)."))
    return EXIT_OK


def cmd_export(args: argparse.Namespace) -> int:
    cfg = load_config(args)
    store = common.open_cli_store(cfg, create=False)
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
        emit_json({"exported": n, "scope": cfg.scope, "path": str(args.path)})
    else:
        console().print(lit(f"Exported {n} experience(s) from scope {cfg.scope!r} to {args.path}."))
    return EXIT_OK


def cmd_import(args: argparse.Namespace) -> int:
    cfg = load_config(args)
    path = Path(args.path)
    if not path.is_file():
        raise CLIError(f"{path}: no such file")
    redactor = redactor_for(cfg.resolved_preset())  # the bank's, as learn and add use
    store = common.open_cli_store(cfg)
    try:
        result = import_redacted(store, path, redactor, scope=cfg.scope)
    finally:
        store.close()
    n = result.imported
    if args.json:
        emit_json({"imported": n, "scope": cfg.scope, "path": str(path), "redactions": result.redactions})
    else:
        note = f" ({result.note})" if result.note else ""
        console().print(lit(f"Imported {n} experience(s) into scope {cfg.scope!r} from {path}{note}."))
    return EXIT_OK


def scope_stats(store: Store, scope: str, *, all_scopes: bool = False) -> dict[str, Any]:
    """Counts, verdicts and the embedding model of ``scope``, and the size of ``scope`` alone or,
    with ``all_scopes``, of every scope in the store."""
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
        "scopes": {s: store.count(s) for s in store.scopes()} if all_scopes else {scope: len(exps)},
    }


def _lists_every_scope(args: argparse.Namespace, scope: str) -> bool:
    """Whether ``stats`` may name every scope: asked with ``--all-scopes``, or no scope was chosen.

    A scope is a tenant's partition: whoever was given ``--scope A`` (or a config naming it)
    must not learn from ``stats`` which other scopes exist, nor their sizes.
    """
    return bool(args.all_scopes) or (args.scope is None and scope == "default")


def cmd_stats(args: argparse.Namespace) -> int:
    cfg = load_config(args)
    store = common.open_cli_store(cfg, create=False)
    try:
        stats = scope_stats(store, cfg.scope, all_scopes=_lists_every_scope(args, cfg.scope))
    finally:
        store.close()
    if args.json:
        emit_json(stats)
        return EXIT_OK
    table = Table(title=lit(f"Scope {cfg.scope!r} in {mask_url(cfg.store)}"))
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
        table.add_row(what, lit(value))
    console().print(table)
    return EXIT_OK


def register_init(sub: Any) -> None:
    """Add ``init`` to the subparsers ``sub`` (first in the help, as the first thing to run)."""
    add_command(sub, "init", cmd_init, "create the store and scope and print where it is")


def register(sub: Any) -> None:
    """Add ``list``, ``show``, ``delete``, ``export``, ``import`` and ``stats`` to the subparsers ``sub``."""
    p = add_command(sub, "list", cmd_list, "list the experiences of the scope")
    p.add_argument("--limit", type=int, default=None)
    p.add_argument("--offset", type=int, default=0)

    p = add_command(sub, "show", cmd_show, "show one experience with its items")
    p.add_argument("id", help=_ID_HELP)
    p.add_argument("--with-vector", action="store_true", help="include the query vector in --json output")

    p = add_command(sub, "delete", cmd_delete, "delete one experience and its items")
    p.add_argument("id", help=_ID_HELP)
    p.add_argument("--yes", "-y", action="store_true", help="do not ask for confirmation")

    p = add_command(sub, "export", cmd_export, "write the scope's experiences as JSON Lines")
    p.add_argument("path", nargs="?", default="-", help="output file, or - for stdout (default)")

    p = add_command(sub, "import", cmd_import, "add experiences from a JSON Lines export (all or nothing)")
    p.add_argument("path")

    p = add_command(sub, "stats", cmd_stats, "counts, verdicts, embedding model and scopes")
    p.add_argument(
        "--all-scopes",
        action="store_true",
        help="also list every scope of the store with its size (the default only when no scope is chosen)",
    )
