"""Our own JSON and JSONL trajectory files, and the format detection for text in memory.

:func:`parse_trajectories` reads a whole JSON document (one trajectory, a list of
them, or a chat transcript) or, when that fails, JSONL with one object per
line. Each object is handed to the reader for its shape: mini-swe-agent,
chat transcript, or our :class:`~reasoningbank.models.Trajectory` fields.
"""

from __future__ import annotations

import json
import re
from collections.abc import Sequence
from typing import Any

from ..models import Trajectory
from .errors import ParseContext, TrajectoryFileError, build_trajectory, source_stem
from .messages import from_messages
from .miniswe import from_mini_swe, is_mini_swe

__all__ = ["from_object", "parse_trajectories"]


def parse_trajectories(
    text: str,
    *,
    source: str = "<string>",
    task_id: str | None = None,
    query: str | None = None,
) -> list[Trajectory]:
    """Like :func:`load_trajectories` for text already in memory; ``source`` names it in errors."""
    if task_id is not None and not task_id.strip():
        raise TrajectoryFileError(source, "the task id override is empty")
    if query is not None and not query.strip():
        raise TrajectoryFileError(source, "the query override is empty")
    if not text.strip():
        raise TrajectoryFileError(source, "the file is empty: no trajectories")
    ctx = ParseContext(source=source, default_id=source_stem(source), task_id=task_id, query=query)
    try:
        data = json.loads(text)
    except json.JSONDecodeError as whole_err:
        lines = [(n, ln) for n, ln in enumerate(text.splitlines(), start=1) if ln.strip()]
        if len(lines) > 1 and (source.endswith(".jsonl") or _parses(lines[0][1])):
            return _from_jsonl(lines, ctx)
        raise TrajectoryFileError(
            source,
            f"invalid JSON: {whole_err.msg} (column {whole_err.colno})",
            line=whole_err.lineno,
        ) from whole_err
    return _from_json(data, text, ctx)


def _parses(line: str) -> bool:
    try:
        json.loads(line)
    except json.JSONDecodeError:
        return False
    return True


def _from_jsonl(lines: Sequence[tuple[int, str]], ctx: ParseContext) -> list[Trajectory]:
    out: list[Trajectory] = []
    many = len(lines) > 1
    for idx, (lineno, raw) in enumerate(lines, start=1):
        try:
            obj = json.loads(raw)
        except json.JSONDecodeError as exc:
            raise ctx.error(f"invalid JSON on this line: {exc.msg} (column {exc.colno})", lineno) from exc
        default_id = f"{ctx.default_id}#{idx}" if many else ctx.default_id
        out.append(from_object(obj, ctx, lineno, default_id))
    return out


def _from_json(data: Any, text: str, ctx: ParseContext) -> list[Trajectory]:
    if isinstance(data, dict):
        return [from_object(data, ctx, _first_line(text), ctx.default_id)]
    if isinstance(data, list):
        if not data:
            raise ctx.error("the file holds an empty list: no trajectories", 1)
        if all(isinstance(m, dict) and "role" in m for m in data):
            return [from_messages(data, {}, ctx, _first_line(text), ctx.default_id)]
        starts = _element_lines(text)
        out: list[Trajectory] = []
        for idx, element in enumerate(data):
            line = starts[idx] if idx < len(starts) else None
            default_id = f"{ctx.default_id}#{idx + 1}" if len(data) > 1 else ctx.default_id
            out.append(from_object(element, ctx, line, default_id))
        return out
    raise ctx.error(
        f"expected a JSON object or list at the top level, got {type(data).__name__}", _first_line(text)
    )


def from_object(obj: Any, ctx: ParseContext, line: int | None, default_id: str) -> Trajectory:
    """One record of a file (mini-swe-agent run, chat transcript or our fields) as a trajectory."""
    if not isinstance(obj, dict):
        raise ctx.error(f"expected a JSON object (a trajectory), got {type(obj).__name__}", line)
    if is_mini_swe(obj):
        return from_mini_swe(obj, ctx, line, default_id)
    if "messages" in obj and "steps" not in obj:
        messages = obj["messages"]
        if not isinstance(messages, list):
            raise ctx.error(f"must be a list of messages, got {type(messages).__name__}", line, "messages")
        extra = {k: v for k, v in obj.items() if k != "messages"}
        return from_messages(messages, extra, ctx, line, default_id)
    return _validate_native(obj, ctx, line)


def _validate_native(obj: dict[str, Any], ctx: ParseContext, line: int | None) -> Trajectory:
    data = dict(obj)
    if ctx.task_id is not None:
        data["task_id"] = ctx.task_id
    if ctx.query is not None:
        data["query"] = ctx.query
    return build_trajectory(data, ctx, line)


def _first_line(text: str) -> int:
    for n, ln in enumerate(text.splitlines(), start=1):
        if ln.strip():
            return n
    return 1


def _element_lines(text: str) -> list[int]:
    """Line numbers where each element of a top-level JSON array starts."""
    decoder = json.JSONDecoder()
    pos = text.index("[") + 1
    starts: list[int] = []
    ws = re.compile(r"[\s,]*")
    while True:
        m = ws.match(text, pos)
        pos = m.end() if m else pos
        if pos >= len(text) or text[pos] == "]":
            return starts
        starts.append(text.count("\n", 0, pos) + 1)
        try:
            _, pos = decoder.raw_decode(text, pos)
        except json.JSONDecodeError:
            return starts
