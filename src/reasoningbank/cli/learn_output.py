"""What ``reasoningbank learn`` prints, written as each trajectory is learned.

A file of a million trajectories must not be held in memory as a million
reports either: ``--json`` output is streamed (the same document
``json.dumps(..., indent=2)`` would write for ``{"results": [...]}``, closed with
an ``"error"`` key if learning stops), and the human table is printed every
:data:`TABLE_ROWS` trajectories.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

from rich.table import Table

from ..models import LearnReport
from .output import console, item_json, lit

TABLE_ROWS = 100


def report_json(task_id: str, rep: LearnReport) -> dict[str, Any]:
    """One learned trajectory as ``learn --json`` reports it."""
    u = rep.usage
    return {
        "task_id": task_id,
        "experience_id": rep.experience_id,
        "stored": rep.stored,
        "verdict": rep.verdict.label,
        "verdict_source": rep.verdict.source,
        "p_success": rep.verdict.p_success,
        "verdict_reason": rep.verdict.reason,
        "verdict_parsed": rep.verdict.parsed,
        "judge_thoughts": rep.verdict.thoughts,
        "items": [item_json(i) for i in rep.items],
        "note": rep.note,
        "calls": u.calls,
        "prompt_tokens": u.prompt_tokens,
        "completion_tokens": u.completion_tokens,
        "tokens": u.total_tokens,
        "cost": u.cost,
        "seconds": rep.seconds,
        "redactions": rep.redactions,
    }


def _indented(obj: Any, prefix: str) -> str:
    return "\n".join(
        prefix + line for line in json.dumps(obj, ensure_ascii=False, indent=2, default=str).splitlines()
    )


class LearnOutput:
    """The results of one ``learn`` run, written as they come."""

    def __init__(self, as_json: bool, source: Path, total: int) -> None:
        self.as_json, self.source, self.total = as_json, source, total
        self.count = 0
        self._rows: list[dict[str, Any]] = []  # human mode: the rows of the table not yet printed
        self._started = False  # JSON mode: the document is open on stdout
        self._first_row = 1

    def add(self, task_id: str, rep: LearnReport) -> None:
        self.count += 1
        row = report_json(task_id, rep)
        if self.as_json:
            sys.stdout.write(('{\n  "results": [\n' if not self._started else ",\n") + _indented(row, "    "))
            self._started = True
        else:
            self._rows.append(row)
            if len(self._rows) >= TABLE_ROWS:
                self._print_rows()

    def finish(self, error: str | None = None) -> None:
        """Close the output: the last rows, or the end of the JSON document (with ``error``)."""
        if not self.as_json:
            self._print_rows()
            return
        head = '{\n  "results": [' if not self._started else ""
        tail = "]" if not self._started else "\n  ]"
        extra = f',\n  "error": {json.dumps(error, ensure_ascii=False)}' if error is not None else ""
        sys.stdout.write(f"{head}{tail}{extra}\n}}\n")
        self._started = False

    def abort(self, error: str) -> None:
        """Learning stopped on an unexpected error: keep what was written valid (JSON is closed
        with the error only if any result was written; the rows learned are printed)."""
        if self.as_json and not self._started:
            return
        self.finish(error if self.as_json else None)

    def _print_rows(self) -> None:
        if not self._rows:
            return
        first, last = self._first_row, self._first_row + len(self._rows) - 1
        if self.total <= TABLE_ROWS:
            title = f"Learned {len(self._rows)} trajectory(ies) from {lit(self.source)}"
        else:
            title = f"Learned trajectories {first}-{last} of {self.total} from {lit(self.source)}"
        numeric = ("calls", "tokens", "cost", "seconds")
        table = Table(title=title)
        for col in ("task", "verdict", "items", *numeric):
            table.add_column(col, justify="right" if col in numeric else "left")
        for r in self._rows:
            titles = "\n".join(f"- {lit(i['title'])}" for i in r["items"]) or "(none)"
            table.add_row(
                lit(r["task_id"]),
                r["verdict"],
                titles,
                str(r["calls"]),
                str(r["tokens"]),
                f"${r['cost']:.4f}",
                f"{r['seconds']:.2f}",
            )
        out = console()
        out.print(table)
        for r in self._rows:
            if r["note"]:
                out.print(f"[dim]{lit(r['task_id'])}: {lit(r['note'])}[/dim]")
        self._first_row, self._rows = last + 1, []
