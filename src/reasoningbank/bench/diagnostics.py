"""Which bench arms are labelled diagnostics, and the marks and notes every table and plot shows.

A diagnostic arm is never a result of the method: ``reasoningbank+feedback`` learns from the
benchmark's score (†); ``curated`` shows lessons a person wrote after reading the calibration
stream's failures, the ceiling memory content can reach with this agent (‡); ``empty``,
``filler`` and ``irrelevant`` are controls that tell the cost of injecting memory from what
its content does (§). Names may carry ``@PRESET``.
"""

from __future__ import annotations

from collections.abc import Iterable

FEEDBACK_MARK = " †"
CEILING_MARK = " ‡"
CONTROL_MARK = " §"

CEILING_ARMS = frozenset({"curated"})
CONTROL_ARMS = frozenset({"empty", "filler", "irrelevant"})

FEEDBACK_NOTE = (
    "† A diagnostic upper bound, not a result of the method: this arm learns from the benchmark's "
    "score (passed as the outcome) instead of the judge's verdict."
)
CEILING_NOTE = (
    "‡ A diagnostic ceiling, not a result of the method: a bank seeded from lessons a person wrote "
    "after reading the calibration stream's failures; never judged, never updated."
)
CONTROL_NOTE = (
    "§ A control, not a result of the method: the memory block's frame with no items (empty), the "
    "curated items' frame holding neutral text of the same length (filler), or the curated lesson "
    "of another task family least like the task (irrelevant)."
)


def base_name(method: str) -> str:
    """``curated`` for ``curated@paper``."""
    return method.partition("@")[0].strip()


def mark(method: str, *, feedback: bool = False) -> str:
    """The mark a table or plot puts after ``method`` ("" for a result of a method)."""
    base = base_name(method)
    if feedback:
        return FEEDBACK_MARK
    if base in CEILING_ARMS:
        return CEILING_MARK
    if base in CONTROL_ARMS:
        return CONTROL_MARK
    return ""


def label(method: str, *, feedback: bool = False) -> str:
    """``method`` with its mark."""
    return method + mark(method, feedback=feedback)


def notes(methods: Iterable[tuple[str, bool]]) -> list[str]:
    """The footnotes for the marks of ``(method, feedback)`` pairs, in mark order."""
    marks = {mark(m, feedback=f) for m, f in methods}
    table = ((FEEDBACK_MARK, FEEDBACK_NOTE), (CEILING_MARK, CEILING_NOTE), (CONTROL_MARK, CONTROL_NOTE))
    return [note for m, note in table if m in marks]
