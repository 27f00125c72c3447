from __future__ import annotations

import pytest

from reasoningbank.consolidate import Consolidator
from reasoningbank.embed import HashEmbedder, Vectors, instruct_query
from reasoningbank.models import EmbeddingRef, Experience, MemoryItem
from reasoningbank.retrieve import Retriever, render
from reasoningbank.stores.base import EmbeddingMismatchError
from reasoningbank.stores.memory import InMemoryStore

EMB = HashEmbedder()


def _exp(task_id: str, query: str, titles: list[str], scope: str = "default") -> Experience:
    vec = EMB.embed_documents([query])[0]
    return Experience(
        scope=scope,
        task_id=task_id,
        query=query,
        query_embedding=EmbeddingRef(model=EMB.name, dim=EMB.dim, vector=[float(x) for x in vec]),
        items=[MemoryItem(title=t, content=f"content of {t}") for t in titles],
    )


@pytest.fixture
def store() -> InMemoryStore:
    s = InMemoryStore()
    s.add(_exp("a", "buy a red coffee mug in the shop", ["mug-1", "mug-2"]))
    s.add(_exp("b", "list open merge requests in the project", ["mr-1"]))
    s.add(_exp("c", "post a comment on the forum thread", ["forum-1"]))
    return s


def test_top1_returns_all_items_of_best_experience(store: InMemoryStore) -> None:
    hits = Retriever(store, EMB).retrieve("buy a blue coffee mug")
    assert len(hits) == 1
    assert [i.title for i in hits[0].experience.items] == ["mug-1", "mug-2"]


def test_k_and_leave_one_out(store: InMemoryStore) -> None:
    r = Retriever(store, EMB, k=2)
    assert len(r.retrieve("buy a red coffee mug in the shop")) == 2
    assert len(r.retrieve("anything", k=3)) == 3
    hits = r.retrieve("buy a red coffee mug in the shop", k=1, exclude_task_id="a")
    assert hits[0].experience.task_id != "a"


def test_experiences_without_items_are_skipped(store: InMemoryStore) -> None:
    store.add(_exp("empty", "buy a blue coffee mug", []))
    hits = Retriever(store, EMB).retrieve("buy a blue coffee mug")
    assert hits[0].experience.task_id == "a"


def test_query_instruction_changes_embedded_text(store: InMemoryStore) -> None:
    seen: list[str] = []

    class Spy(HashEmbedder):
        def embed_query(self, text: str) -> Vectors:
            seen.append(text)
            return super().embed_query(text)

    Retriever(store, Spy(), query_instruction=True).retrieve("buy mug")
    assert seen == [instruct_query("buy mug")]


def test_embedder_mismatch_surfaces_store_error(store: InMemoryStore) -> None:
    with pytest.raises(EmbeddingMismatchError):
        Retriever(store, HashEmbedder(dim=32)).retrieve("buy mug")


def test_empty_store_and_bad_k() -> None:
    assert Retriever(InMemoryStore(), EMB).retrieve("x") == []
    with pytest.raises(ValueError, match="k must be"):
        Retriever(InMemoryStore(), EMB, k=0)


def test_render_templates() -> None:
    items = [
        MemoryItem(title="Sort first", description="Sort before reading.", content="Sort by date."),
        MemoryItem(title="Verify", content="Check the final page."),
    ]
    assert render([]) == ""
    text = render(items)
    assert text.startswith("The memory items below")
    assert "# Memory Item 1\n## Title Sort first\n## Content Sort by date." in text
    assert "# Memory Item 2\n## Title Verify" in text
    assert "Description" not in text
    full = render(items, template="all", header=False)
    assert full.startswith("# Memory Item 1")
    assert "## Description Sort before reading." in full
    with pytest.raises(ValueError, match="render template"):
        render(items, template="bad")  # type: ignore[arg-type]


def test_consolidator_dedup_store_and_batch() -> None:
    s = InMemoryStore()
    s.add(_exp("a", "q", ["Known"]))
    batch = [
        MemoryItem(title="known ", content="CONTENT of   Known"),  # same hash as stored item
        MemoryItem(title="New", content="fresh"),
        MemoryItem(title="new", content="Fresh"),  # duplicate within the batch
    ]
    res = Consolidator("dedup").consolidate(batch, s, "default")
    assert [i.title for i in res.kept] == ["New"]
    assert len(res.duplicates) == 2 and "2 exact duplicate" in res.note
    assert Consolidator("append").consolidate(batch, s, "default").kept == batch
    with pytest.raises(ValueError):
        Consolidator("merge")  # type: ignore[arg-type]


def test_masked_literals_match_queries_of_the_same_kind() -> None:
    from reasoningbank.bank import ReasoningBank
    from reasoningbank.text.literals import mask_literals

    masked = mask_literals('Enter "Bob" and \u201cX\u201d, not the user\'s')
    assert masked == 'Enter "…" and "…", not the user\'s'
    earlier = 'Enter "Agustina" into the text field and press Submit.'
    for preset, expect_exact in (("small-local", True), ("paper", False)):
        bank = ReasoningBank(InMemoryStore(), HashEmbedder(dim=256), preset=preset)
        bank.add_item("Type, then press Submit", "c", query=earlier)
        bank.add_item("Pick the option", "c", query='Select "AU" and click Submit.')
        hits = bank.retrieve_experiences('Enter "Bob" into the text field and press Submit.')
        assert hits[0].experience.query == earlier  # stored as given
        assert (hits[0].score > 0.999) is expect_exact
