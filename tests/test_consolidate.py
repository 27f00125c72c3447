"""Consolidator: which newly extracted items enter the bank (append keeps all, dedup drops exact copies)."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import numpy.typing as npt
import pytest

from reasoningbank.bank import ReasoningBank
from reasoningbank.config import get_preset
from reasoningbank.consolidate import Consolidation, Consolidator
from reasoningbank.embed import HashEmbedder
from reasoningbank.llm import ScriptedLLM
from reasoningbank.models import Experience, MemoryItem, Trajectory
from reasoningbank.stores import InMemoryStore


def item(title: str, content: str, item_id: str = "") -> MemoryItem:
    made = MemoryItem(title=title, content=content)
    return made.model_copy(update={"id": item_id}) if item_id else made


def stored(store: InMemoryStore, *items: MemoryItem, scope: str = "default", exp_id: str = "e1") -> None:
    store.add(Experience(id=exp_id, scope=scope, task_id=f"t-{exp_id}", query="q", items=list(items)))


def test_append_keeps_every_item_even_exact_duplicates() -> None:
    store = InMemoryStore()
    stored(store, item("Sort first", "Sort by price."))
    batch = [item("Sort first", "Sort by price."), item("Sort first", "Sort by price."), item("B", "b")]
    res = Consolidator().consolidate(batch, store, "default")
    assert Consolidator().mode == "append"
    assert res.kept == batch
    assert res.duplicates == []
    assert res.note == ""


def test_append_returns_a_new_list() -> None:
    batch = [item("A", "a")]
    res = Consolidator("append").consolidate(batch, InMemoryStore(), "default")
    res.kept.append(item("B", "b"))
    assert len(batch) == 1


def test_dedup_drops_duplicates_within_the_batch_keeping_the_first() -> None:
    first, second, other = (
        item("Check the box", "Click it.", "i1"),
        item("check  THE box", "click it.", "i2"),
        item("Other", "x", "i3"),
    )
    res = Consolidator("dedup").consolidate([first, other, second], InMemoryStore(), "default")
    assert [i.id for i in res.kept] == ["i1", "i3"]
    assert [i.id for i in res.duplicates] == ["i2"]
    assert res.note == "dropped 1 exact duplicate item(s)"


def test_dedup_drops_items_already_current_in_the_store_case_and_space_insensitively() -> None:
    store = InMemoryStore()
    stored(store, item("Use the search box", "Type the name, then press Enter."))
    batch = [item("  use the SEARCH box", "type the name,   then press enter."), item("New", "lesson")]
    res = Consolidator("dedup").consolidate(batch, store, "default")
    assert [i.title for i in res.kept] == ["New"]
    assert [i.title for i in res.duplicates] == ["use the SEARCH box"]
    assert res.note == "dropped 1 exact duplicate item(s)"


def test_dedup_compares_title_and_content_together() -> None:
    store = InMemoryStore()
    stored(store, item("Title", "Body"))
    batch = [item("Title", "Another body"), item("Another title", "Body")]
    res = Consolidator("dedup").consolidate(batch, store, "default")
    assert res.kept == batch
    assert res.duplicates == []


def test_dedup_looks_only_in_the_given_scope() -> None:
    store = InMemoryStore()
    stored(store, item("Shared", "lesson"), scope="elsewhere")
    res = Consolidator("dedup").consolidate([item("Shared", "lesson")], store, "default")
    assert [i.title for i in res.kept] == ["Shared"]
    res = Consolidator("dedup").consolidate([item("Shared", "lesson")], store, "elsewhere")
    assert res.kept == []


def test_superseded_items_do_not_count_as_duplicates() -> None:
    store = InMemoryStore()
    stored(store, item("Old advice", "Do X.", "old"))
    store.supersede_item("default", "old", item("New advice", "Do Y.", "new"))
    res = Consolidator("dedup").consolidate(
        [item("Old advice", "Do X."), item("New advice", "Do Y.")], store, "default"
    )
    assert [i.title for i in res.kept] == ["Old advice"]
    assert [i.title for i in res.duplicates] == ["New advice"]


def test_note_counts_every_dropped_item() -> None:
    store = InMemoryStore()
    stored(store, item("A", "a"))
    batch = [item("A", "a"), item("B", "b"), item("b", "B"), item("B", "b ")]
    res = Consolidator("dedup").consolidate(batch, store, "default")
    assert [i.title for i in res.kept] == ["B"]
    assert len(res.duplicates) == 3
    assert res.note == "dropped 3 exact duplicate item(s)"
    assert Consolidation(kept=[], duplicates=[]).note == ""


def test_dedup_of_nothing() -> None:
    res = Consolidator("dedup").consolidate([], InMemoryStore(), "default")
    assert (res.kept, res.duplicates, res.note) == ([], [], "")


def test_dedup_does_not_write_to_the_store() -> None:
    store = InMemoryStore()
    Consolidator("dedup").consolidate([item("A", "a")], store, "default")
    assert store.count("default") == 0
    assert store.count_items("default") == 0


def test_unknown_mode_is_refused() -> None:
    with pytest.raises(ValueError, match="unknown consolidation mode 'fuse'"):
        Consolidator("fuse")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="'merge' needs an embedder"):
        Consolidator("merge")


class _TopicEmbedder:
    """Items about the same topic word embed identically; different topics are orthogonal."""

    name = "topic"
    dim = 3
    topics = ("submit", "type", "select")

    def embed_documents(self, texts: Sequence[str]) -> npt.NDArray[np.float32]:
        rows = []
        for t in texts:
            hit = [float(w in t.lower()) for w in self.topics]
            rows.append(hit if any(hit) else [1.0, 1.0, 1.0])
        mat = np.asarray(rows, dtype=np.float32)
        return mat / np.linalg.norm(mat, axis=1, keepdims=True)

    def embed_query(self, text: str) -> npt.NDArray[np.float32]:
        return self.embed_documents([text])[0]


def test_merge_drops_rewordings_of_the_neighbours_and_of_the_batch() -> None:
    store = InMemoryStore()
    old = MemoryItem(title="Submit last", content="Press submit only after filling every field.")
    store.add(Experience(task_id="t0", query="q", items=[old]))
    new = [
        MemoryItem(title="Submit at the end", content="Only press submit once the form is filled."),
        MemoryItem(title="Type first", content="Type the value before anything else."),
        MemoryItem(title="Type before acting", content="Always type the value first."),
    ]
    merger = Consolidator("merge", embedder=_TopicEmbedder(), similarity=0.9)
    result = merger.consolidate(new, store, "default", neighbours=[old])
    assert [i.title for i in result.kept] == ["Type first"]
    assert [i.title for i in result.near_duplicates] == ["Submit at the end", "Type before acting"]
    assert result.note == "merged 2 near-duplicate item(s) into existing ones"
    # an item of another kind (not a neighbour) never absorbs a new one
    alone = merger.consolidate(new[:1], store, "default", neighbours=[])
    assert alone.kept == new[:1]


def test_merge_ignores_retired_items() -> None:
    store = InMemoryStore()
    retired = MemoryItem(title="Submit", content="submit early", status="retired", status_reason="harmful")
    store.add(Experience(task_id="t0", query="q", items=[retired]))
    again = [MemoryItem(title="Submit now", content="press submit")]
    merger = Consolidator("merge", embedder=_TopicEmbedder())
    assert merger.consolidate(again, store, "default", neighbours=[retired]).kept == again


# --- exact duplicates by hash over the whole scope (issue 25, item 7) ---------------------------


def _merging_bank(replies: list[str]) -> ReasoningBank:
    preset = get_preset("paper").with_overrides({"consolidate": {"mode": "merge"}})
    llm = ScriptedLLM(replies, default='{"items": []}')
    return ReasoningBank.from_preset(InMemoryStore(), HashEmbedder(dim=256), llm, preset)


def _lesson(n: int) -> str:
    words = " ".join(f"w{n}x{k}" for k in range(12))  # every lesson its own words: no near-duplicates
    return f"# Memory Item 1\n## Title Lesson {n}\n## Description d\n## Content Remember {words}.\n"


def _copies(bank: ReasoningBank, title: str) -> int:
    return sum(it.title == title for e in bank.store.list("default") for it in e.items)


def test_an_exact_duplicate_is_found_however_many_same_kind_items_came_since() -> None:
    n = 205  # more than the 200 same-kind experiences consolidation compares with
    bank = _merging_bank([_lesson(i) for i in range(n)] + [_lesson(0)])
    for i in range(n + 1):
        bank.learn(Trajectory(task_id=f"t{i}", query="Book the cheapest flight."), outcome="success")
    assert bank.store.count_items("default") == n
    assert _copies(bank, "Lesson 0") == 1


def test_an_exact_duplicate_in_another_kind_is_stored_once() -> None:
    bank = _merging_bank([_lesson(1), _lesson(1).replace("Remember", "  REMEMBER ")])
    first = bank.learn(Trajectory(task_id="a", query="Book the cheapest flight."), outcome="success")
    again = bank.learn(Trajectory(task_id="b", query="Reset a forgotten mail password."), outcome="failure")
    assert len(first.items) == 1 and again.items == []
    assert [d.reason for d in again.dropped] == ["exact_duplicate"]
    assert _copies(bank, "Lesson 1") == 1
