"""On-disk layout of a benchmark run and the durable file I/O it is written with.

Layout::

    run_dir/run.json                     manifest (config + versions)
    run_dir/<method>/records.jsonl       one JSON object per finished task
    run_dir/<method>/trajectories.jsonl  the trajectory of every finished task (no score)
    run_dir/<method>/pending.json        the episode being learned (crash recovery)
    run_dir/<method>/bank.db             the method's memory bank (SQLite)
    run_dir/lessons.jsonl                the lessons the curated arms were seeded from (if any)

Every JSONL line is written with write + flush + fsync, so a crash leaves at
most a torn last line, which :func:`read_records` drops. Whole files are
replaced atomically (temporary file, fsync, rename). What the lines hold is
:mod:`.records`'s business; this module only moves JSON objects.
"""

from __future__ import annotations

import json
import os
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from ..lessons import Lesson

MANIFEST = "run.json"
RECORDS = "records.jsonl"
TRAJECTORIES = "trajectories.jsonl"
PENDING = "pending.json"
BANK = "bank.db"
LESSONS = "lessons.jsonl"  # a copy of the lessons the curated arms were seeded from


def method_dir(run_dir: Path, method: str) -> Path:
    return run_dir / method


def append_record(path: Path, record: dict[str, Any]) -> None:
    """Append one JSON line durably (write, flush, fsync)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    line = json.dumps(record, ensure_ascii=False, sort_keys=True) + "\n"
    with path.open("a", encoding="utf-8") as fh:
        fh.write(line)
        fh.flush()
        os.fsync(fh.fileno())


def read_records(path: Path) -> list[dict[str, Any]]:
    """All complete JSON objects of a JSONL file; a torn last line is ignored.

    A malformed line anywhere but at the end is an error (the file was edited
    or corrupted, and silently dropping it would skew the results).
    """
    if not path.exists():
        return []
    lines = path.read_text(encoding="utf-8").splitlines()
    out: list[dict[str, Any]] = []
    for n, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        try:
            obj = json.loads(line)
        except json.JSONDecodeError as exc:
            if n == len(lines):
                break  # torn write at crash time: the task will be redone
            raise ValueError(f"{path}: line {n} is not valid JSON ({exc.msg})") from exc
        if not isinstance(obj, dict):
            raise ValueError(f"{path}: line {n} is not a JSON object")
        out.append(obj)
    return out


def write_text_atomic(path: Path, text: str) -> None:
    """Write text to a temporary file, fsync it, then rename over ``path``: a crash
    leaves either the old file or the new one, never half of one."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".tmp")
    with tmp.open("w", encoding="utf-8") as fh:
        fh.write(text)
        fh.flush()
        os.fsync(fh.fileno())
    os.replace(tmp, path)


def write_json_atomic(path: Path, obj: Any) -> None:
    """Write JSON atomically (see :func:`write_text_atomic`)."""
    write_text_atomic(path, json.dumps(obj, ensure_ascii=False, indent=2, sort_keys=True))


def read_json(path: Path) -> Any:
    with path.open(encoding="utf-8") as fh:
        return json.load(fh)


def write_lessons_copy(path: Path, lessons: Sequence[Lesson]) -> None:
    """Keep the lessons a run's curated arms were seeded from beside its records, as a lessons
    file (:func:`reasoningbank.lessons.read_lessons` reads it back)."""
    lines = [
        json.dumps(ls.model_dump(mode="json", exclude_defaults=True), ensure_ascii=False) for ls in lessons
    ]
    write_text_atomic(path, "\n".join(lines) + "\n")
