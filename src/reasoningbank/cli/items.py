"""The CLI commands on memory items: ``items`` (each with its record), ``retire``, ``restore``.

An item's record counts the judged outcomes of the tasks it was shown to,
against tasks of its kind it was not shown to; a net-harmful item is retired
(a new version, with the reason) and can be restored. Nothing is deleted.
"""

from __future__ import annotations

import argparse
from typing import Any

from rich.table import Table

from ..models import MemoryItem
from ..records import ItemBook, ItemRecord
from ..stores.base import NotFoundError, Store
from . import common
from .common import add_command, load_config
from .errors import EXIT_OK, CLIError
from .output import console, emit_json, item_json, lit, short


def book_for(store: Store, scope: str) -> ItemBook:
    """The scope's item records: read them and change an item's status (no embedder needed)."""
    return ItemBook(store, scope)


def record_json(record: ItemRecord) -> dict[str, Any]:
    return {
        "shown": record.shown,
        "shown_success": record.shown_success,
        "shown_failure": record.shown_failure,
        "not_shown": record.unshown,
        "not_shown_success": record.unshown_success,
        "not_shown_failure": record.unshown_failure,
        "shown_success_rate": record.shown_rate,
        "not_shown_success_rate": record.unshown_rate,
    }


def record_cell(record: ItemRecord) -> str:
    """``2/3 with · 1/1 without``: judged successes over judged tasks, with the item and without."""

    def part(s: int, f: int) -> str:
        return f"{s}/{s + f}" if s + f else "–"

    with_it = part(record.shown_success, record.shown_failure)
    without = part(record.unshown_success, record.unshown_failure)
    return f"{with_it} with · {without} without"


def _status(item: MemoryItem) -> str:
    return item.status if item.active else f"retired: {item.status_reason}"


def cmd_items(args: argparse.Namespace) -> int:
    cfg = load_config(args)
    store = common.open_cli_store(cfg, create=False)
    try:
        book = book_for(store, cfg.scope)
        rows = [
            (exp, item, book.record(item))
            for exp in store.list(cfg.scope)
            for item in exp.items
            if args.all or item.active
        ]
    finally:
        store.close()
    if args.json:
        emit_json(
            {
                "scope": cfg.scope,
                "items": [
                    {**item_json(item), "task_id": exp.task_id, "record": record_json(rec)}
                    for exp, item, rec in rows
                ],
            }
        )
        return EXIT_OK
    table = Table(title=lit(f"Scope {cfg.scope!r}: {len(rows)} item(s) (judged successes / judged tasks)"))
    for col in ("id", "task", "origin", "title", "record", "status"):
        table.add_column(col)
    for exp, item, rec in rows:
        row = (item.id[:12], exp.task_id, item.origin, short(item.title, 50), record_cell(rec), _status(item))
        table.add_row(*(lit(c) for c in row))
    console().print(table)
    return EXIT_OK


def _change(args: argparse.Namespace, status: str) -> int:
    cfg = load_config(args)
    store = common.open_cli_store(cfg, create=False)
    try:
        book = book_for(store, cfg.scope)
        default = "retired by hand" if status == "retired" else "restored by hand"
        try:
            item = book.set_status(args.item_id, status, args.reason or default)
        except NotFoundError as exc:
            raise CLIError(str(exc).strip("'\"")) from exc
        record = book.record(item)
    finally:
        store.close()
    if args.json:
        emit_json({"item": item_json(item), "record": record_json(record)})
        return EXIT_OK
    console().print(
        f"Item {lit(item.id)} ({lit(short(item.title, 50))}) is now {item.status}, version "
        f"{item.version}: {lit(item.status_reason)}. Record: {lit(record.summary())}."
    )
    return EXIT_OK


def cmd_retire(args: argparse.Namespace) -> int:
    return _change(args, "retired")


def cmd_restore(args: argparse.Namespace) -> int:
    return _change(args, "active")


def register(sub: Any) -> None:
    """Add ``items``, ``retire`` and ``restore`` to the subparsers ``sub``."""
    p = add_command(sub, "items", cmd_items, "list memory items with their records and status")
    p.add_argument("--all", action="store_true", help="include retired items")
    for name, func, what in (
        ("retire", cmd_retire, "retire an item: it stays stored (a new version) but is never retrieved"),
        ("restore", cmd_restore, "restore a retired item"),
    ):
        p = add_command(sub, name, func, what)
        p.add_argument("item_id", help="item id (any version's) or a unique prefix")
        p.add_argument("--reason", default="", help="why (recorded with the new version)")
