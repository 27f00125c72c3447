"""Screening extracted items before they enter the bank.

A lesson that names a page-specific element ("click(5)", "the element with id
2", "name='tt'") is wrong on the next page, where ids differ; a lesson that
tells the agent to use an action it does not have ("scroll(...)") cannot be
followed. Both are dropped, kept as :class:`~reasoningbank.models.Dropped` facts
(``page_specific`` / ``unknown_action``) that the note renders.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from ..models import Dropped, MemoryItem

_PAGE_SPECIFIC = (
    re.compile(r"\b(?:ids?|element|elements|index|indices|number)\s*(?:=|:|#|is|of)?\s*\[?\d+", re.I),
    re.compile(r"\[\d+\]"),
    re.compile(r"(?<![\w&])#\d+\b"),
    re.compile(r"\b[a-z_]+\(\s*\d+\s*[,)]", re.I),  # click(5), type(2, "...")
    re.compile(r"\bname\s*=\s*['\"][^'\"]+['\"]", re.I),  # name='tt'
)
_CALL = re.compile(r"\b([A-Za-z_][A-Za-z0-9_]*)\(")


@dataclass(frozen=True)
class Screened:
    kept: list[MemoryItem]
    dropped: list[Dropped]

    @property
    def notes(self) -> list[str]:
        """One note per dropped item, saying why."""
        return [d.note() for d in self.dropped]


def page_specific(text: str) -> str | None:
    """The first page-specific element reference in ``text``, or None."""
    for pattern in _PAGE_SPECIFIC:
        m = pattern.search(text)
        if m:
            return m.group(0)
    return None


def unknown_actions(text: str, actions: Sequence[str]) -> list[str]:
    """Action-call names in ``text`` (``name(``) that are not among ``actions``."""
    known = {a.lower() for a in actions}
    return sorted({m.group(1) for m in _CALL.finditer(text) if m.group(1).lower() not in known})


def screen_items(
    items: Sequence[MemoryItem], *, drop_page_specific: bool, actions: Sequence[str] = ()
) -> Screened:
    """Keep the items that name no page-specific element and no action outside ``actions``
    (the action check runs only when ``actions`` is given)."""
    kept: list[MemoryItem] = []
    dropped: list[Dropped] = []
    for item in items:
        text = f"{item.title}\n{item.description}\n{item.content}"
        ref = page_specific(text) if drop_page_specific else None
        if ref is not None:
            dropped.append(Dropped(reason="page_specific", title=item.title, detail=ref))
            continue
        unknown = unknown_actions(text, actions) if actions else []
        if unknown:
            dropped.append(Dropped(reason="unknown_action", title=item.title, detail=", ".join(unknown)))
            continue
        kept.append(item)
    return Screened(kept, dropped)
