"""Output helpers of the CLI: JSON on stdout, a rich console, and the JSON shapes of stored data."""

from __future__ import annotations

import json
import sys
from typing import Any

from rich.console import Console

from ..models import Experience, MemoryItem


def one_line(text: str) -> str:
    """``text`` with every run of whitespace collapsed to one space."""
    return " ".join(text.split())


def short(text: str, n: int = 70) -> str:
    """``text`` on one line, cut to at most ``n`` characters."""
    flat = one_line(text)
    return flat if len(flat) <= n else flat[: n - 1] + "…"


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
