"""The error every trajectory reader raises, and the parse context that builds it.

:class:`ParseContext` carries what every reader needs while it walks a file: the
source name for error messages, the default task id, and the caller's task id
and query overrides. :func:`build_trajectory` validates the final fields.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from ..models import Trajectory

__all__ = ["ParseContext", "TrajectoryFileError", "build_trajectory", "source_stem"]


class TrajectoryFileError(ValueError):
    """A trajectory file that cannot be read; the message names the file and the line."""

    def __init__(self, path: str, message: str, *, line: int | None = None, field: str | None = None):
        self.path = path
        self.line = line
        self.field = field
        self.reason = message
        where = f"{path}:{line}" if line is not None else path
        super().__init__(f"{where}: {message}")


class ParseContext:
    """The source being parsed and the caller's overrides."""

    def __init__(self, *, source: str, default_id: str, task_id: str | None, query: str | None) -> None:
        self.source = source
        self.default_id = default_id
        self.task_id = task_id
        self.query = query

    def error(self, message: str, line: int | None, field: str | None = None) -> TrajectoryFileError:
        text = f"field '{field}': {message}" if field else message
        return TrajectoryFileError(self.source, text, line=line, field=field)


def source_stem(source: str) -> str:
    """The file name without its trajectory suffix: the default task id."""
    name = Path(source).name
    for suffix in (".traj.json", ".jsonl", ".json"):
        if name.endswith(suffix) and len(name) > len(suffix):
            return name[: -len(suffix)]
    return name or "trajectory"


def build_trajectory(data: Mapping[str, Any], ctx: ParseContext, line: int | None) -> Trajectory:
    """Validate ``data`` as a trajectory; the first problem becomes a :class:`TrajectoryFileError`."""
    try:
        return Trajectory.model_validate(dict(data))
    except ValidationError as exc:
        first = exc.errors()[0]
        field = ".".join(str(part) for part in first["loc"]) or None
        more = len(exc.errors()) - 1
        suffix = f" (and {more} more problem{'s' if more > 1 else ''})" if more else ""
        raise ctx.error(f"{first['msg']}{suffix}", line, field) from exc
