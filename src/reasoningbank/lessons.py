"""Lessons: memory items written by hand, read from a JSON Lines file to seed a bank.

A lessons file holds one JSON object per line::

    # a comment
    {"title": "Type before submitting", "content": "Fill every field, then click Submit."}
    {"title": "Sort first", "content": "Click the header.", "query": "sort a table", "task_id": "t-1"}

``title`` and ``content`` are required and must not be blank; ``description``, ``query`` (the text
retrieval matches against; default: the title) and ``task_id`` (the task id the experience records;
default: ``manual-<item id>``) are optional; any other key is an error. Blank lines and lines that
start with ``#`` (after any indent) are skipped. :func:`read_lessons` checks every line before it
returns any lesson: the first bad one raises :class:`LessonFileError` naming the file and
the line, so a bad file seeds nothing (:meth:`~reasoningbank.bank.ReasoningBank.add_lessons` stores
the lessons all or none).

Hostile text is made storable rather than refused: each line goes through
:func:`~reasoningbank.text.clean.clean_reply` before it is parsed, so an escape that would decode
into a lone surrogate or a NUL (``"\\udfff"``, ``"\\u0000"``) decodes into U+FFFD, and every field
of a :class:`Lesson`, however it was built, through :func:`~reasoningbank.text.clean.storable_text`.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any, TextIO

from pydantic import BaseModel, ConfigDict, ValidationError, field_validator
from pydantic_core import ErrorDetails

from .config.sections import unknown_key
from .text.clean import clean_reply, storable_text


class Lesson(BaseModel):
    """One hand-written memory item, and what the experience that holds it records.

    ``title`` and ``content`` are stripped and must not be blank. ``query`` is what retrieval
    matches against (None, or blank: the title); ``task_id`` is the task id the experience records
    (None, or blank: ``manual-<item id>``). Every text has its lone surrogates and NULs replaced
    by U+FFFD, so any store can keep it.
    """

    model_config = ConfigDict(frozen=True, extra="forbid", strict=True)

    title: str
    content: str
    description: str = ""
    query: str | None = None
    task_id: str | None = None

    @field_validator("title", "content")
    @classmethod
    def _required_text(cls, v: str) -> str:
        v = storable_text(v).strip()
        if not v:
            raise ValueError("must not be blank")
        return v

    @field_validator("description")
    @classmethod
    def _description(cls, v: str) -> str:
        return storable_text(v)

    @field_validator("query")
    @classmethod
    def _query(cls, v: str | None) -> str | None:
        return (storable_text(v).strip() or None) if v is not None else None

    @field_validator("task_id")
    @classmethod
    def _task_id(cls, v: str | None) -> str | None:
        return storable_text(v) if v is not None and v.strip() else None


class LessonFileError(ValueError):
    """A lessons file that cannot be read: its ``path``, the 1-based ``line`` at fault (None when
    the fault is the whole file's) and the ``problem``; the message reads ``PATH:LINE: PROBLEM``."""

    def __init__(self, path: str, line: int | None, problem: str) -> None:
        self.path, self.line, self.problem = path, line, problem
        where = path if line is None else f"{path}:{line}"
        super().__init__(f"{where}: {problem}")


def read_lessons(source: str | Path | TextIO) -> list[Lesson]:
    """The lessons of a JSON Lines file (a path, or an open text stream), every line checked first.

    Raises :class:`LessonFileError` for the first bad line (not UTF-8, invalid JSON, not an object,
    a missing or blank ``title`` or ``content``, an unknown key, a value of the wrong type), for a
    file with no lesson in it, and for a path that is missing or cannot be read.
    """
    path = str(source) if isinstance(source, str | Path) else str(getattr(source, "name", "<stream>"))
    lines = _file_lines(Path(source)) if isinstance(source, str | Path) else enumerate(source, start=1)
    lessons: list[Lesson] = []
    for number, line in lines:
        text = line.removeprefix("\ufeff") if number == 1 else line  # a byte order mark
        if text.strip() and not text.lstrip().startswith("#"):
            lessons.append(_parse(path, number, text))
    if not lessons:
        raise LessonFileError(path, None, "no lessons in the file: every line is blank or a # comment")
    return lessons


def _file_lines(path: Path) -> Iterator[tuple[int, str]]:
    """The numbered lines of a UTF-8 file (split at ``\\n`` only, as editors number them)."""
    try:
        f = path.open("rb")
    except FileNotFoundError:
        raise LessonFileError(str(path), None, "no such file") from None
    except IsADirectoryError:
        raise LessonFileError(str(path), None, "is a directory, not a lessons file") from None
    except OSError as exc:
        raise LessonFileError(str(path), None, f"cannot read the file: {exc.strerror or exc}") from exc
    with f:
        for number, raw in enumerate(f, start=1):
            try:
                yield number, raw.decode("utf-8")
            except UnicodeDecodeError as exc:
                problem = f"not UTF-8 text ({exc.reason} at byte {exc.start + 1} of the line)"
                raise LessonFileError(str(path), number, problem) from None


def _parse(path: str, number: int, text: str) -> Lesson:
    """The lesson on line ``number``, or the :class:`LessonFileError` that says what is wrong."""
    try:
        data = json.loads(clean_reply(text))
    except json.JSONDecodeError as exc:
        raise LessonFileError(path, number, f"invalid JSON: {exc.msg} (column {exc.colno})") from None
    except RecursionError:
        raise LessonFileError(path, number, "invalid JSON: nested too deeply") from None
    except ValueError as exc:  # e.g. an integer with more digits than Python converts
        raise LessonFileError(path, number, f"invalid JSON: {exc}") from None
    if not isinstance(data, dict):
        raise LessonFileError(path, number, f"a lesson must be a JSON object, not {_json_type(data)}")
    try:
        return Lesson.model_validate(data)
    except ValidationError as exc:
        raise LessonFileError(path, number, _problem(exc.errors()[0])) from None


def _problem(err: ErrorDetails) -> str:
    """What one validation error says about the line, naming the key."""
    key = str(err["loc"][0]) if err["loc"] else ""
    if err["type"] == "missing":
        return f"{key!r} is missing"
    if err["type"] == "extra_forbidden":
        return str(unknown_key(key, Lesson.model_fields))
    if err["type"] == "value_error":
        return f"{key!r} {err.get('ctx', {}).get('error', err['msg'])}"
    if err["type"] == "string_type":
        return f"{key!r} must be a string, not {_json_type(err['input'])}"
    return f"{key!r}: {err['msg']}"


def _json_type(value: Any) -> str:
    """How JSON names the type of a decoded value: ``an array``, ``a number``, ``null``..."""
    if value is None:
        return "null"
    for kind, name in ((bool, "a boolean"), (int | float, "a number"), (str, "a string"), (list, "an array")):
        if isinstance(value, kind):
            return name
    return "an object"


__all__ = ["Lesson", "LessonFileError", "read_lessons"]
