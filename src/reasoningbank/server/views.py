"""Stored data as the service shows it: retrieval hits with why, item records, experience details.

An item's record covers every version of it (a retired-then-restored item
keeps its history), so it needs the experience with its superseded items; the
records of one experience's items are read together: one experience read and
one usage query per hit, not two per item.
"""

from __future__ import annotations

from collections.abc import Sequence

from ..models import Experience, MemoryItem, RetrievedExperience, UsageEvent
from ..records.record import ItemRecord, item_record, lineage
from ..retrieve import Retrieval
from ..stores.base import NotFoundError, Store
from .schemas import ExperienceDetail, Hit, ItemWhy, Nearest, RecordView, VerdictView


def records(
    store: Store, scope: str, experience_id: str, items: Sequence[MemoryItem]
) -> dict[str, ItemRecord]:
    """The records of ``items`` (all of one experience), by item id."""
    if not items:
        return {}
    try:
        full = store.get(scope, experience_id, include_superseded=True)
    except NotFoundError:  # deleted since it was read: no history left
        return {it.id: ItemRecord() for it in items}
    chains = {it.id: lineage(full.items, it.id) for it in items}
    by_item: dict[str, list[UsageEvent]] = {}
    for event in store.usage(scope, [i for chain in chains.values() for i in chain]):
        by_item.setdefault(event.item_id, []).append(event)
    return {
        item_id: item_record(e for i in chain for e in by_item.get(i, ()))
        for item_id, chain in chains.items()
    }


def nearest_view(found: Retrieval) -> Nearest | None:
    """The nearest experience under the floor, when nothing passed it."""
    if found.nearest is None:
        return None
    return Nearest(
        title=found.nearest_title, score=found.nearest.score, experience_id=found.nearest.experience.id
    )


def hit_view(store: Store, scope: str, hit: RetrievedExperience, *, why: bool) -> Hit:
    exp = hit.experience
    items = [it for it in exp.items if it.active]
    recs = records(store, scope, exp.id, items) if why else {}
    return Hit(
        score=hit.score,
        experience_id=exp.id,
        task_id=exp.task_id,
        query=exp.query,
        verdict=VerdictView.of(exp.verdict) if exp.verdict else None,
        created_at=exp.created_at,
        items=[
            ItemWhy(item=it, record=RecordView.of(recs[it.id]) if it.id in recs else None) for it in items
        ],
    )


def experience_detail(store: Store, scope: str, exp: Experience, *, with_vector: bool) -> ExperienceDetail:
    current = [it for it in exp.items if it.superseded_by is None]
    recs = records(store, scope, exp.id, current)
    ref = exp.query_embedding
    shown = exp if with_vector else exp.model_copy(update={"query_embedding": None})
    return ExperienceDetail(
        experience=shown,
        embedding_model=ref.model if ref else None,
        embedding_dim=ref.dim if ref else None,
        item_records={item_id: RecordView.of(rec) for item_id, rec in recs.items()},
    )
