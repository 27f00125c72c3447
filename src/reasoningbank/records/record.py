"""An item's record: how the tasks it was shown to went, against tasks of its kind it was not shown to.

Every learned task adds usage events (:class:`~reasoningbank.models.UsageEvent`):
one per item shown to it, and one per item of the same kind (a past experience
whose query is at least ``kind_similarity`` similar) that was not shown, each
with the task's judged outcome. Never the benchmark's score: the judge decides.
An item whose tasks went clearly worse than its kind's tasks without it is
net harmful, and is retired (kept as a new version, reversible, never deleted).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from ..models import MemoryItem, UsageEvent


@dataclass(frozen=True)
class ItemRecord:
    shown: int = 0
    shown_success: int = 0
    shown_failure: int = 0
    unshown: int = 0
    unshown_success: int = 0
    unshown_failure: int = 0

    @staticmethod
    def _rate(success: int, failure: int) -> float | None:
        return success / (success + failure) if success + failure else None

    @property
    def shown_rate(self) -> float | None:
        """Judged success rate of the tasks the item was shown to (abstentions left out)."""
        return self._rate(self.shown_success, self.shown_failure)

    @property
    def unshown_rate(self) -> float | None:
        """Judged success rate of the tasks of its kind it was not shown to."""
        return self._rate(self.unshown_success, self.unshown_failure)

    def summary(self) -> str:
        def part(n: int, s: int, f: int) -> str:
            return f"{n} ({s} success, {f} failure)"

        return (
            f"shown to {part(self.shown, self.shown_success, self.shown_failure)}; "
            f"same kind, not shown: {part(self.unshown, self.unshown_success, self.unshown_failure)}"
        )


def item_record(events: Iterable[UsageEvent]) -> ItemRecord:
    """Aggregate usage events (of one item, or of every version of it)."""
    counts = {"shown": [0, 0, 0], "unshown": [0, 0, 0]}
    for e in events:
        c = counts["shown" if e.shown else "unshown"]
        c[0] += 1
        c[1] += e.label == "success"
        c[2] += e.label == "failure"
    s, u = counts["shown"], counts["unshown"]
    return ItemRecord(s[0], s[1], s[2], u[0], u[1], u[2])


@dataclass(frozen=True)
class RetirePolicy:
    """When an item's record is net harmful.

    Harmful: judged outcomes of at least ``min_shown`` tasks it was shown to and
    ``min_unshown`` tasks of its kind it was not, and a success rate with it below
    the rate without it by more than ``margin``.
    """

    min_shown: int = 3
    min_unshown: int = 2
    margin: float = 0.25

    def harmful(self, record: ItemRecord) -> str | None:
        """The reason to retire an item with this record, or None."""
        with_it, without = record.shown_rate, record.unshown_rate
        if with_it is None or without is None:
            return None
        if record.shown_success + record.shown_failure < self.min_shown:
            return None
        if record.unshown_success + record.unshown_failure < self.min_unshown:
            return None
        if with_it + self.margin >= without:
            return None
        return (
            f"net harmful: tasks shown it succeeded {with_it:.0%} of the time, tasks of its kind "
            f"without it {without:.0%} ({record.summary()})"
        )


def lineage(items: Sequence[MemoryItem], item_id: str) -> list[str]:
    """The ids of ``item_id`` and every earlier version of it, among one experience's items."""
    by_successor = {it.superseded_by: it.id for it in items if it.superseded_by}
    chain = [item_id]
    while chain[-1] in by_successor:
        chain.append(by_successor[chain[-1]])
    return chain
