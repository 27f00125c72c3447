"""Reading a trajectory file one record at a time, in memory bounded by the largest record.

``learn`` on a 200 MB file held the text, its lines and every parsed
trajectory at once (2.1 GB). :func:`iter_trajectories` reads the file in
chunks and yields each trajectory as soon as it is parsed:

* JSONL: line by line;
* a JSON array: element by element (``json`` decodes each one from a buffer
  that holds little more than it); an array of chat messages is one
  trajectory, read whole;
* one JSON object: that object.

The formats, the detection and the error messages are those of
:func:`~reasoningbank.trajio.native.parse_trajectories` (the same readers build
each trajectory); an error is raised when the reader reaches it, after the
records before it were yielded. A caller that must not act on half a file reads
it twice: once to validate, once to act (``reasoningbank learn`` does).
"""

from __future__ import annotations

import codecs
import json
import re
from collections.abc import Iterator
from pathlib import Path
from typing import IO, Any

from ..models import Trajectory
from .errors import ParseContext, TrajectoryFileError, source_stem
from .messages import from_messages
from .native import from_object

__all__ = ["iter_trajectories"]

CHUNK = 1 << 18  # bytes read at a time
_NOT_WS = re.compile(r"[^ \t\n\r]")


class _Text:
    """A window on a UTF-8 file: text from the current record on, and its line number."""

    def __init__(self, f: IO[bytes], source: str) -> None:
        self.f, self.source = f, source
        self.decoder = codecs.getincrementaldecoder("utf-8")()
        self.buf, self.pos, self.eof = "", 0, False
        self.line0, self.col0 = 1, 0  # where buf[0] is in the file: its line, its 0-based column
        self._mark = (0, 1)  # a position in buf and its line: lines are counted from there on
        self.bytes_read = 0

    def fill(self, at_least: int = CHUNK) -> bool:
        """Read more of the file (dropping what was consumed); False at its end."""
        if self.eof:
            return False
        if self.pos:
            last = self.buf.rfind("\n", 0, self.pos)
            if last < 0:
                self.col0 += self.pos
            else:
                self.line0 += self.buf.count("\n", 0, self.pos)
                self.col0 = self.pos - last - 1
            self.buf, self.pos = self.buf[self.pos :], 0
        self._mark = (0, self.line0)
        raw = self.f.read(max(at_least, CHUNK))
        try:
            self.buf += self.decoder.decode(raw, final=not raw)
        except UnicodeDecodeError as exc:
            where = self.bytes_read + exc.start
            raise TrajectoryFileError(self.source, f"not UTF-8 text ({exc.reason} at byte {where})") from exc
        self.bytes_read += len(raw)
        self.eof = not raw
        return True

    def skip_ws(self) -> str | None:
        """Skip whitespace; the next character, or None at the end of the file."""
        while True:
            m = _NOT_WS.search(self.buf, self.pos)
            if m is not None:
                self.pos = m.start()
                return self.buf[self.pos]
            self.pos = len(self.buf)
            if not self.fill():
                return None

    def line(self, pos: int | None = None) -> int:
        """The line number of ``pos`` (default: the current position), counted on from the last
        one asked for, so reading line after line costs no more than the text."""
        at = self.pos if pos is None else pos
        mark, number = self._mark
        if at < mark:
            mark, number = 0, self.line0
        number += self.buf.count("\n", mark, at)
        self._mark = (at, number)
        return number

    def column(self, pos: int | None = None) -> int:
        """The 1-based column of ``pos`` (default: the current position) in its line."""
        at = self.pos if pos is None else pos
        last = self.buf.rfind("\n", 0, at)
        return at - last if last >= 0 else self.col0 + at + 1

    def decode(self) -> Any:
        """The JSON value at the current position (reading more of the file until it is whole)."""
        want = CHUNK
        while True:
            try:
                value, end = json.JSONDecoder().raw_decode(self.buf, self.pos)
            except json.JSONDecodeError as exc:
                truncated = exc.pos >= len(self.buf) - 16 or exc.msg.startswith("Unterminated string")
                if truncated and self.fill(want):
                    want *= 2  # each retry decodes from the record's start: grow geometrically
                    continue
                raise
            if end == len(self.buf) and not self.eof and isinstance(value, int | float):
                self.fill()  # a number at the buffer's end may go on in the next chunk
                continue
            self.pos = end
            return value

    def error(self, exc: json.JSONDecodeError, prefix: str = "invalid JSON") -> TrajectoryFileError:
        message = f"{prefix}: {exc.msg} (column {self.column(exc.pos)})"
        return TrajectoryFileError(self.source, message, line=self.line(exc.pos))

    def rest_of_line_is_blank(self) -> bool:
        while True:
            end = self.buf.find("\n", self.pos)
            if end >= 0 or not self.fill():
                stop = len(self.buf) if end < 0 else end
                return not self.buf[self.pos : stop].strip()

    def next_line(self) -> tuple[int, str] | None:
        """The next line (without its newline) and its number; None at the end of the file."""
        while True:
            end = self.buf.find("\n", self.pos)
            if end >= 0 or self.eof:
                break
            self.fill()
        if self.pos >= len(self.buf) and self.eof:
            return None
        stop = len(self.buf) if end < 0 else end
        number, text = self.line(), self.buf[self.pos : stop]
        self.pos = stop + 1 if end >= 0 else stop
        return number, text


def iter_trajectories(
    path: str | Path, *, task_id: str | None = None, query: str | None = None
) -> Iterator[Trajectory]:
    """Yield the trajectories of ``path`` one by one (see :func:`load_trajectories` for the
    formats and the overrides)."""
    p = Path(path)
    if not p.exists():
        raise TrajectoryFileError(str(p), "no such file")
    if p.is_dir():
        raise TrajectoryFileError(str(p), "is a directory, not a trajectory file")
    source = str(p)
    if task_id is not None and not task_id.strip():
        raise TrajectoryFileError(source, "the task id override is empty")
    if query is not None and not query.strip():
        raise TrajectoryFileError(source, "the query override is empty")
    ctx = ParseContext(source=source, default_id=source_stem(source), task_id=task_id, query=query)
    try:
        f = p.open("rb")
    except OSError as exc:
        raise TrajectoryFileError(source, f"cannot read file: {exc.strerror or exc}") from exc
    with f:
        yield from _records(_Text(f, source), ctx)


def _records(text: _Text, ctx: ParseContext) -> Iterator[Trajectory]:
    first = text.skip_ws()
    if first is None:
        raise TrajectoryFileError(ctx.source, "the file is empty: no trajectories")
    if first == "[":
        yield from _array(text, ctx)
        return
    start = text.line()
    try:
        value = text.decode()
    except json.JSONDecodeError as exc:
        if ctx.source.endswith(".jsonl"):
            raise text.error(exc, "invalid JSON on this line") from exc
        raise text.error(exc) from exc
    one_line = text.line() == start and text.rest_of_line_is_blank()
    if text.skip_ws() is None:  # one JSON document
        if not isinstance(value, dict):
            raise ctx.error(
                f"expected a JSON object or list at the top level, got {type(value).__name__}", start
            )
        yield from_object(value, ctx, start, ctx.default_id)
        return
    if not one_line:
        raise ctx.error(f"invalid JSON: Extra data (column {text.column()})", text.line())
    yield from_object(value, ctx, start, f"{ctx.default_id}#1")
    yield from _jsonl(text, ctx)


def _jsonl(text: _Text, ctx: ParseContext) -> Iterator[Trajectory]:
    """The lines after the first record of a JSONL file (numbered from 2)."""
    idx = 1
    while (item := text.next_line()) is not None:
        number, raw = item
        if not raw.strip():
            continue
        idx += 1
        try:
            obj = json.loads(raw)
        except json.JSONDecodeError as exc:
            raise ctx.error(f"invalid JSON on this line: {exc.msg} (column {exc.colno})", number) from exc
        yield from_object(obj, ctx, number, f"{ctx.default_id}#{idx}")


def _array(text: _Text, ctx: ParseContext) -> Iterator[Trajectory]:
    """The elements of a top-level JSON array, each a trajectory, or together one chat transcript.

    One element is held back until the next is read: a lone element takes the file's stem as its
    default id, one of several ``stem#n``. A transcript (its first element has a ``role``) is one
    trajectory and is read whole.
    """
    first_line = text.line()
    text.pos += 1
    held: list[tuple[Any, int]] = []
    count, transcript = 0, False
    while (element := _next_element(text, ctx, count)) is not None:
        count += 1
        transcript = transcript or (count == 1 and _is_message(element[0]))
        held.append(element)
        if len(held) == 2 and not transcript:
            obj, line = held.pop(0)
            yield from_object(obj, ctx, line, f"{ctx.default_id}#{count - 1}")
    one_line = text.line() == first_line and text.rest_of_line_is_blank()
    if text.skip_ws() is not None:
        if one_line:  # JSONL whose first line is a list
            raise ctx.error("expected a JSON object (a trajectory), got list", first_line)
        raise ctx.error(f"invalid JSON: Extra data (column {text.column()})", text.line())
    if not count:
        raise ctx.error("the file holds an empty list: no trajectories", first_line)
    if transcript and all(_is_message(m) for m, _ in held):
        yield from_messages([m for m, _ in held], {}, ctx, first_line, ctx.default_id)
        return
    start = count - len(held) + 1
    for n, (obj, line) in enumerate(held, start=start):
        yield from_object(obj, ctx, line, f"{ctx.default_id}#{n}" if count > 1 else ctx.default_id)


def _is_message(obj: Any) -> bool:
    return isinstance(obj, dict) and "role" in obj


def _next_element(text: _Text, ctx: ParseContext, count: int) -> tuple[Any, int] | None:
    """The next element of the array and its line, or None after its closing bracket."""
    nxt = text.skip_ws()
    if nxt == "]":
        text.pos += 1
        return None
    if nxt is None:
        raise ctx.error("invalid JSON: Expecting value (the file ends inside the list)", text.line())
    if count:
        if nxt != ",":
            raise ctx.error(f"invalid JSON: Expecting ',' delimiter (column {text.column()})", text.line())
        text.pos += 1
        text.skip_ws()
    line = text.line()
    try:
        return text.decode(), line
    except json.JSONDecodeError as exc:
        raise text.error(exc) from exc
