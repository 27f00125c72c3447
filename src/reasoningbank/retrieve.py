"""Retrieval: rank past experiences by their query embedding; render items for a prompt.

As in the paper, only task queries are embedded; retrieval returns the top-k
most similar past experiences, and every current item of each one is used.
Experiences that hold no item (nothing could be extracted, or every item was a
duplicate) are skipped, so they never take one of the k slots.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import KW_ONLY, dataclass

from .config import RenderTemplate
from .embed import Embedder, instruct_query
from .models import MemoryItem, RetrievedExperience
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
        want = self.k if k is None else k
        if want < 1:
            raise ValueError(f"k must be at least 1, got {want}")
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
            floored = self.min_score > 0.0 and bool(hits) and hits[-1].score < self.min_score
            if floored:
                useful = [h for h in useful if h.score >= self.min_score]
            if len(useful) >= want or len(hits) < fetch or floored:
                return useful[:want]
            fetch *= 4


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
