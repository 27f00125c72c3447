"""The curated ceiling and the controls that tell the cost of injecting memory from its content.

Every arm here is a labelled diagnostic (:mod:`.diagnostics`), never a result of the method, and
none of them judges or learns: their banks are seeded once from a lessons file
(:func:`reasoningbank.lessons.read_lessons`) a person wrote from the calibration stream's
failures, and stay as seeded.

* ``curated`` shows the lessons retrieval finds for the task, as ``reasoningbank`` would show its
  own: the ceiling memory content can reach with this agent;
* ``empty`` shows the memory block's frame (its header) with no items: the cost of the frame;
* ``filler`` shows what ``curated`` would, with every title and content replaced by neutral
  text of the same length in characters (a proxy for tokens): the cost of that much text;
* ``irrelevant`` shows real lessons of another task family, the least similar to the task
  (two families can share a task's wording, so the nearest other family's lesson may well
  apply): the cost of content that does not apply.

A lesson's family is the part of its ``task_id`` before the first ``:`` (the bench's task ids
are ``family:seed``), so a lessons file for ``irrelevant`` names every lesson's family that way.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Literal

from ..bank import ReasoningBank
from ..judge import Judge, Outcome
from ..lessons import Lesson
from ..models import MemoryItem, Trajectory
from ..prompts import get_prompt
from ..retrieve import items_of
from .methods import BankMethod, MethodUpdate

ControlKind = Literal["curated", "empty", "filler", "irrelevant"]

FROZEN_NOTE = "a curated bank: nothing judged or learned"

# Neutral filler: plain English about nothing, so only its length can matter.
_FILLER = (
    "This sentence is neutral filler text. It has the same length as a note would have, and it "
    "says nothing at all about the page, the task or what to do next. "
)


def family_of(task_id: str) -> str:
    """``enter-text`` for ``enter-text:3`` or ``enter-text:lesson-1``."""
    return task_id.partition(":")[0].strip()


def filler_text(length: int) -> str:
    """Neutral text of exactly ``length`` characters (0 gives "")."""
    if length <= 0:
        return ""
    reps = length // len(_FILLER) + 1
    return (_FILLER * reps)[:length].rstrip().ljust(length, ".")


def filler_item(item: MemoryItem) -> MemoryItem:
    """``item`` with its title, description and content replaced by filler of the same lengths."""
    return MemoryItem(
        title=filler_text(len(item.title)),
        description=filler_text(len(item.description)),
        content=filler_text(len(item.content)),
        origin=item.origin,
    )


def memory_frame() -> str:
    """The memory block's frame with no items: the header the bank puts above its items."""
    return get_prompt("memory_header").render()


def seed_bank(bank: ReasoningBank, lessons: Sequence[Lesson]) -> None:
    """Store ``lessons`` in an empty bank (one atomic write), or check a resumed bank holds them."""
    held = bank.store.count_items(bank.scope)
    if held == 0:
        bank.add_lessons(lessons)
    elif held != len(lessons):
        raise ValueError(
            f"the curated bank holds {held} items but the lessons file has {len(lessons)}; "
            "start a new run directory to use another lessons file"
        )


class CuratedMethod(BankMethod):
    """A bank seeded from a lessons file and never updated; ``kind`` decides what is shown."""

    def __init__(
        self, name: str, bank: ReasoningBank, judge: Judge, kind: ControlKind, *, k: int | None = None
    ) -> None:
        # ``judge`` is the preset's, kept for the BankMethod interface; an update never calls it.
        super().__init__(name, bank, judge, include_failures=False, k=k)
        self.kind: ControlKind = kind

    def retrieve(self, task_id: str, query: str) -> list[MemoryItem]:
        if self.kind == "empty":
            return []
        if self.kind == "irrelevant":
            return self._other_family(task_id, query)
        items = super().retrieve(task_id, query)
        return [filler_item(it) for it in items] if self.kind == "filler" else items

    def render(self, items: Sequence[MemoryItem]) -> str:
        if self.kind == "empty":
            return memory_frame()
        return super().render(items)

    def update(
        self, trajectory: Trajectory, *, outcome: Outcome | None = None, shown: Sequence[str] = ()
    ) -> MethodUpdate:
        return MethodUpdate(verdict=None, note=FROZEN_NOTE)

    def recover(self, task_id: str) -> MethodUpdate | None:
        return None  # nothing is stored per task

    def sources(self, items: Sequence[MemoryItem]) -> list[str | None]:
        if self.kind == "filler":
            return [None for _ in items]
        return super().sources(items)

    def _other_family(self, task_id: str, query: str) -> list[MemoryItem]:
        """The lessons of the experiences least similar to ``query`` whose family is not the task's,
        the least similar first."""
        family = family_of(task_id)
        everything = max(1, self.store.count_items(self.scope))
        hits = self.bank.retrieve_experiences(query, everything, task_id=task_id, min_score=0.0)
        other = [h for h in hits if family_of(h.experience.task_id) != family]
        k = self.k or self.bank.retrieve_settings.k
        return items_of(other[::-1][:k])


def check_lessons(kind: ControlKind, lessons: Sequence[Lesson]) -> None:
    """A clear error when ``lessons`` cannot serve ``kind`` (none given; families not named)."""
    if not lessons:
        raise ValueError(
            f"method {kind!r} needs a lessons file (bench miniwob --lessons FILE): its bank is seeded from it"
        )
    if kind == "irrelevant":
        unnamed = [ls.title for ls in lessons if not ls.task_id or ":" not in ls.task_id]
        if unnamed:
            raise ValueError(
                "method 'irrelevant' shows lessons of another task family, so every lesson's "
                f"task_id must be FAMILY:NAME; these have none: {', '.join(unnamed[:3])}"
            )
