"""Retrieval: rank past experiences by their query embedding; render items for a prompt.

As in the paper, only task queries are embedded; retrieval returns the top-k
most similar past experiences, and every current item of each one is used.
Experiences that hold no item (nothing could be extracted, or every item was a
duplicate) are skipped, so they never take one of the k slots. Experiences
less similar than the floor (``min_score``) are skipped too; a
:class:`Retrieval` names the nearest one when none passes. :class:`RecordedSettings`
is the retrieve section a scope was learned with, which the bank retrieves with.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import KW_ONLY, dataclass
from typing import Any

from .config import Preset, RenderTemplate, RetrieveSettings
from .embed import Embedder, instruct_query
from .models import LearnedWith, MemoryItem, RetrievedExperience
from .prompts import get_prompt
from .stores.base import Store
from .text.literals import mask_literals


@dataclass(eq=False)
class Retriever:
    """Ranks a scope's past experiences by the similarity of their queries to a new one."""

    store: Store
    embedder: Embedder
    scope: str = "default"
    _: KW_ONLY
    k: int = 1
    query_instruction: bool = False
    # Quoted values masked before embedding; the bank must embed stored queries the same way.
    mask_literals: bool = False
    # Past experiences less similar than this are never shown (0 keeps the paper's plain top-k).
    min_score: float = 0.0

    def __post_init__(self) -> None:
        if self.k < 1:
            raise ValueError(f"k must be at least 1, got {self.k}")

    def retrieve(
        self, query: str, k: int | None = None, *, exclude_task_id: str | None = None
    ) -> list[RetrievedExperience]:
        """Top-``k`` experiences (best first) that hold at least one active item.

        Raises the store's ``EmbeddingMismatchError`` when the scope is bound to
        another embedding model.
        """
        return self.search(query, k, exclude_task_id=exclude_task_id).hits

    def search(
        self,
        query: str,
        k: int | None = None,
        *,
        exclude_task_id: str | None = None,
        min_score: float | None = None,
    ) -> Retrieval:
        """:meth:`retrieve`'s hits, the floor used (``min_score``, else this retriever's), and
        the nearest experience under the floor when none passes it."""
        want = self.k if k is None else k
        floor = self.min_score if min_score is None else min_score
        if want < 1:
            raise ValueError(f"k must be at least 1, got {want}")
        if not -1.0 <= floor <= 1.0:
            raise ValueError(f"min_score must be between -1 and 1, got {floor}")
        if not query.strip():
            raise ValueError("query must not be empty")
        text = mask_literals(query) if self.mask_literals else query
        text = instruct_query(text) if self.query_instruction else text
        vector = self.embedder.embed_query(text)
        fetch = want
        while True:
            hits = self.store.search(
                self.scope, vector, fetch, model=self.embedder.name, exclude_task_id=exclude_task_id
            )
            useful = [h for h in hits if any(it.active for it in h.experience.items)]
            floored = floor > 0.0 and bool(hits) and hits[-1].score < floor
            passing = [h for h in useful if h.score >= floor] if floored else useful
            if len(passing) >= want or len(hits) < fetch or floored:
                nearest = useful[0] if useful and not passing else None
                return Retrieval(passing[:want], floor, nearest)
            fetch *= 4


@dataclass(frozen=True)
class Retrieval:
    """What one retrieval found: the hits passing the similarity floor, the floor, and, when no
    hit passes it, the nearest experience below it (None: the scope holds no current lesson)."""

    hits: list[RetrievedExperience]
    min_score: float
    nearest: RetrievedExperience | None = None

    @property
    def nearest_title(self) -> str | None:
        """The title of the nearest experience's first current item (None without one)."""
        if self.nearest is None:
            return None
        return next((it.title for it in self.nearest.experience.items if it.active), None)

    def empty_note(self, lower_with: str = "the retrieve.min_score setting") -> str:
        """Why nothing was retrieved, in one sentence ("" when something was)."""
        if self.hits:
            return ""
        if self.nearest is None:
            return "No stored lesson to retrieve: this scope holds no current lesson yet."
        return floor_note(self.min_score, self.nearest_title, self.nearest.score, lower_with)


def floor_note(min_score: float, title: str | None, score: float, lower_with: str) -> str:
    """The sentence for a retrieval whose nearest lesson (``title``, at ``score``) is under the floor.

    The floor is shown as set (two decimals, three if it has them); the score is cut, not rounded,
    to two decimals, so it never reads as passing the floor."""
    floor = f"{min_score:.2f}" if round(min_score, 2) == min_score else f"{min_score:.3f}"
    return (
        f"No stored lesson passes the similarity floor {floor}; the nearest is {title!r} "
        f"at {math.floor(score * 100) / 100:.2f} (lower the floor with {lower_with})."
    )


class RecordedSettings:
    """The retrieve section a scope is retrieved with: the record of its oldest experience (the
    preset the bank learned with), else the bank's own preset's; ``overrides`` apply on top.

    A scope whose oldest experience has no record (stored before experiences recorded one)
    keeps the bank's own preset, as before.
    """

    def __init__(self, store: Store, scope: str, preset: Preset, overrides: Mapping[str, Any]) -> None:
        self.store, self.scope, self.preset = store, scope, preset
        self.overrides = dict(overrides)
        self.recorded: LearnedWith | None = None
        self.current = self._apply(preset.retrieve)
        self._read = False  # the oldest experience was read (with a record or not)

    def _apply(self, base: RetrieveSettings) -> RetrieveSettings:
        if not self.overrides:
            return base
        with_base = self.preset.model_copy(update={"retrieve": base})
        return with_base.with_overrides({"retrieve": self.overrides}).retrieve

    def refresh(self) -> bool:
        """Read the scope's record once it has an experience; True when that changed ``current``."""
        if self._read:
            return False
        oldest = self.store.list(self.scope, limit=1)
        if not oldest:
            return False  # a new scope: its first experience will record this bank's preset
        self._read, self.recorded = True, oldest[0].learned_with
        if self.recorded is None:
            return False
        fields = RetrieveSettings.model_fields
        known = {k: v for k, v in self.recorded.retrieve.items() if k in fields}
        self.current = self._apply(
            RetrieveSettings.model_validate({**self.preset.retrieve.model_dump(), **known})
        )
        return True

    def learned_with(self) -> LearnedWith:
        """What a new experience records: the preset retrieval uses, and the section it embeds for."""
        self.refresh()
        name = self.recorded.preset if self.recorded is not None else self.preset.name
        return LearnedWith(preset=name, retrieve=self.current.model_dump(mode="json"))


def items_of(hits: Sequence[RetrievedExperience]) -> list[MemoryItem]:
    """All active items of the hits, in hit order then item order (retired items never show)."""
    return [item for hit in hits for item in hit.experience.items if item.active]


def render_item(index: int, item: MemoryItem, template: RenderTemplate) -> str:
    lines = [f"# Memory Item {index}", f"## Title {item.title}"]
    if template == "all" and item.description.strip():
        lines.append(f"## Description {item.description.strip()}")
    lines.append(f"## Content {item.content}")
    return "\n".join(lines)


def render(
    items: Sequence[MemoryItem], *, template: RenderTemplate = "title_content", header: bool = True
) -> str:
    """The block to append to an agent's system prompt; empty string when there are no items.

    ``title_content`` shows each item's title and content (the paper's
    template); ``all`` adds the description.
    """
    if template not in ("title_content", "all"):
        raise ValueError(f"unknown render template {template!r}; expected 'title_content' or 'all'")
    if not items:
        return ""
    body = "\n\n".join(render_item(i, item, template) for i, item in enumerate(items, start=1))
    if not header:
        return body
    return f"{get_prompt('memory_header').render()}\n\n{body}"


def header_version() -> str:
    return get_prompt("memory_header").version
