"""Output helpers of the CLI: exact JSON on stdout, and rich text that shows stored text literally.

Stored text (titles, contents, queries, ids, paths) goes through :func:`lit`
before it reaches a rich console: rich markup in it is escaped and control
characters other than newline and tab are shown as ``\\x..`` escapes, so an
item titled ``[/bold]`` or holding ``"\\x1b[31m"`` prints as written instead of
crashing rich or driving the terminal. JSON output is never altered.
"""

from __future__ import annotations

import json
import sys
import unicodedata
from typing import Any

from rich.console import Console
from rich.markup import escape

from ..models import Experience, MemoryItem

_KEEP = frozenset("\n\t")


def one_line(text: str) -> str:
    """``text`` with every run of whitespace collapsed to one space."""
    return " ".join(text.split())


def short(text: str, n: int = 70) -> str:
    """``text`` on one line, cut to at most ``n`` characters."""
    flat = one_line(text)
    return flat if len(flat) <= n else flat[: n - 1] + "…"


def printable(text: str) -> str:
    """``text`` with control characters (other than newline and tab) written as escapes."""
    if text.isprintable():
        return text
    return "".join(
        ch.encode("unicode_escape").decode("ascii")
        if ch not in _KEEP and unicodedata.category(ch) == "Cc"
        else ch
        for ch in text
    )


def lit(text: object) -> str:
    """``text`` as rich markup that renders literally: markup escaped, control characters shown."""
    return escape(printable(str(text)))


def emit_json(obj: Any) -> None:
    """Write ``obj`` as indented JSON on stdout."""
    sys.stdout.write(json.dumps(obj, ensure_ascii=False, indent=2, default=str))
    sys.stdout.write("\n")


def console() -> Console:
    """A rich console on the current stdout, at least 100 columns wide."""
    return Console(file=sys.stdout, soft_wrap=False, width=max(Console().width, 100))


def item_json(item: MemoryItem) -> dict[str, Any]:
    return item.model_dump(mode="json")


def experience_json(exp: Experience, *, with_vector: bool = False) -> dict[str, Any]:
    """The experience as JSON; the query vector is left out unless ``with_vector``."""
    data = exp.model_dump(mode="json")
    ref = data.get("query_embedding")
    if isinstance(ref, dict) and not with_vector:
        ref.pop("vector", None)
    return data


def experience_summary(exp: Experience) -> dict[str, Any]:
    """One experience in a line of ``list``: ids, query, verdict and item count."""
    return {
        "id": exp.id,
        "task_id": exp.task_id,
        "query": exp.query,
        "verdict": exp.verdict.label if exp.verdict else None,
        "items": len(exp.items),
        "created_at": exp.created_at.isoformat(),
    }
