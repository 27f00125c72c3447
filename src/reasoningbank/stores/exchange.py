"""Move a bank between stores: JSON Lines, one :class:`Experience` per line.

Each line is ``Experience.model_dump_json()`` with every item version
(superseded ones too) and the query vector, so export then import is lossless.
Import checks the whole file before storing anything and then stores it in one
atomic ``add_many``: a bad file stores nothing. ``import_jsonl`` stores what the
file holds unless given ``redact``; every front end passes the bank's redactor
(:func:`reasoningbank.learning.redaction.import_redacted`: ``ReasoningBank.import_jsonl``,
``reasoningbank import``, ``POST /v1/banks/{bank}/import``).
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import TextIO

from pydantic import ValidationError

from ..models import DATA_MODEL_VERSION, Experience
from .base import Store


def _write_lines(experiences: Iterable[Experience], out: TextIO) -> int:
    n = 0
    for exp in experiences:
        out.write(exp.model_dump_json())
        out.write("\n")
        n += 1
    return n


def export_jsonl(store: Store, scope: str, path_or_stream: str | Path | TextIO) -> int:
    """Write every experience of ``scope`` (oldest first); return how many.

    A path is written atomically (temporary file, then rename).
    """
    experiences = store.list(scope, include_superseded=True)
    if not isinstance(path_or_stream, str | Path):
        return _write_lines(experiences, path_or_stream)
    path = Path(path_or_stream)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as out:
            n = _write_lines(experiences, out)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return n


def _first_error(err: ValidationError) -> str:
    first = err.errors()[0]
    where = ".".join(str(p) for p in first.get("loc", ())) or "line"
    more = f" (and {err.error_count() - 1} more errors)" if err.error_count() > 1 else ""
    return f"{where}: {first.get('msg', 'invalid')}{more}"


def read_jsonl(path_or_stream: str | Path | TextIO, *, scope: str | None = None) -> list[Experience]:
    """Parse and validate a JSONL bank; ``ValueError("name:line: ...")`` on the first bad line."""
    if isinstance(path_or_stream, str | Path):
        name = Path(path_or_stream).name
        with open(path_or_stream, encoding="utf-8") as f:
            lines = f.read().splitlines()
    else:
        name = getattr(path_or_stream, "name", "<stream>")
        lines = path_or_stream.read().splitlines()
    out: list[Experience] = []
    for lineno, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        try:
            exp = Experience.model_validate_json(line)
        except ValidationError as err:
            raise ValueError(f"{name}:{lineno}: not a valid experience: {_first_error(err)}") from err
        if exp.schema_version > DATA_MODEL_VERSION:
            raise ValueError(
                f"{name}:{lineno}: written with schema_version {exp.schema_version}, this version of "
                f"reasoningbank reads up to {DATA_MODEL_VERSION}; upgrade reasoningbank"
            )
        if scope is not None:
            exp = exp.model_copy(update={"scope": scope})
        out.append(exp)
    return out


def import_jsonl(
    store: Store,
    path: str | Path | TextIO,
    *,
    scope: str | None = None,
    redact: Callable[[Experience], Experience] | None = None,
) -> int:
    """Store every experience of a JSONL file in one atomic ``add_many``; return how many.

    ``scope`` puts them all into that scope instead of the one on each line;
    ``redact`` (secrets out) is applied to each experience before any is stored.
    """
    experiences = read_jsonl(path, scope=scope)
    if redact is not None:
        experiences = [redact(exp) for exp in experiences]
    store.add_many(experiences)
    return len(experiences)
