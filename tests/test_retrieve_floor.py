"""The similarity floor: the bank retrieves with the preset it learned with, and an empty answer
names the floor and the nearest lesson (issue 25, item 11)."""

from __future__ import annotations

import pytest

from reasoningbank import ReasoningBank
from reasoningbank.config import ConfigError, get_preset
from reasoningbank.models import EmbeddingRef, Experience, MemoryItem, Step, Trajectory
from reasoningbank.stores import InMemoryStore
from reasoningbank.testing.fakes import ScriptedLLM
from tests.fixed_similarity import SAME_KIND, STORED, TITLE, FixedEmbedder

FLOORED = get_preset("paper").with_overrides({"retrieve": {"min_score": 0.9}})


def _bank(store: InMemoryStore, preset: object = "paper", **kw: object) -> ReasoningBank:
    return ReasoningBank(store, FixedEmbedder(), preset=preset, **kw)  # type: ignore[arg-type]


def test_an_empty_answer_names_the_floor_and_the_nearest_lesson() -> None:
    bank = _bank(InMemoryStore(), FLOORED)
    bank.add_item(TITLE, "fromisoformat rejects 'Z' before Python 3.11.", query=STORED)
    found = bank.retrieval(SAME_KIND)
    assert found.hits == [] and found.min_score == 0.9
    assert found.nearest is not None and found.nearest_title == TITLE
    assert found.empty_note("--min-score") == (
        "No stored lesson passes the similarity floor 0.90; the nearest is 'Parse Z as UTC' at 0.64 "
        "(lower the floor with --min-score)."
    )
    assert bank.retrieval(STORED).empty_note() == ""
    assert "holds no current lesson" in _bank(InMemoryStore()).retrieval(SAME_KIND).empty_note()


def test_the_bank_retrieves_with_the_preset_it_learned_with() -> None:
    store = InMemoryStore()
    _bank(store, FLOORED).add_item(TITLE, "Use UTC.", query=STORED)
    record = store.list("default")[0].learned_with
    assert record is not None and record.preset == "paper" and record.retrieve["min_score"] == 0.9
    later = _bank(store, "paper")  # e.g. a server started without a model: no floor of its own
    assert later.retrieve_settings.min_score == 0.9
    assert later.retrieve(SAME_KIND) == []
    assert later.retrieval(SAME_KIND).nearest is not None


def test_a_bank_made_before_the_first_lesson_reads_the_record_once_one_is_stored() -> None:
    store = InMemoryStore()
    reader = _bank(store, "paper")
    assert reader.retrieve(SAME_KIND) == []
    _bank(store, FLOORED).add_item(TITLE, "Use UTC.", query=STORED)  # another process learns
    assert reader.retrieve(SAME_KIND) == []
    assert [i.title for i in reader.retrieve(STORED)] == [TITLE]


def test_the_caller_overrides_the_record_explicitly() -> None:
    store = InMemoryStore()
    _bank(store, FLOORED).add_item(TITLE, "Use UTC.", query=STORED)
    assert [i.title for i in _bank(store).retrieve(SAME_KIND, min_score=0.5)] == [TITLE]
    lowered = _bank(store, retrieve_overrides={"min_score": 0.5})
    assert lowered.retrieve_settings.min_score == 0.5
    assert [i.title for i in lowered.retrieve(SAME_KIND)] == [TITLE]
    with pytest.raises(ConfigError, match=r"retrieve\.min_scor"):
        _bank(store, retrieve_overrides={"min_scor": 0.5})
    with pytest.raises(ValueError, match="min_score must be between -1 and 1"):
        _bank(store).retrieve(SAME_KIND, min_score=2.0)


def test_a_store_without_the_record_keeps_the_banks_own_preset() -> None:
    store = InMemoryStore()
    vec = FixedEmbedder().embed_query(STORED)
    store.add(
        Experience(
            task_id="old",
            query=STORED,
            query_embedding=EmbeddingRef(model="fixed-similarity", dim=3, vector=[float(x) for x in vec]),
            items=[MemoryItem(title=TITLE, content="Use UTC.")],
        )
    )
    assert [i.title for i in _bank(store, "paper").retrieve(SAME_KIND)] == [TITLE]
    assert _bank(store, FLOORED).retrieve(SAME_KIND) == []


def test_learn_records_the_preset_too() -> None:
    store = InMemoryStore()
    llm = ScriptedLLM(
        responses=[
            'Thoughts: done.\nStatus: "success"',
            "# Memory Item 1\n## Title Use UTC\n## Description d\n## Content Parse Z as UTC.",
        ]
    )
    bank = ReasoningBank.from_preset(store, FixedEmbedder(), llm, FLOORED)
    bank.learn(Trajectory(task_id="t1", query=STORED, steps=[Step(action="edit")]))
    record = store.list("default")[0].learned_with
    assert record is not None and record.preset == "paper" and record.retrieve["min_score"] == 0.9


def test_the_small_local_floor_shows_a_task_of_the_same_kind_at_064() -> None:
    """The issue's case: the same kind of bug at similarity 0.64 found nothing under the 0.9 floor."""
    bank = _bank(InMemoryStore(), "small-local")
    bank.add_item(TITLE, "Use UTC.", query=STORED)
    assert [i.title for i in bank.retrieve(SAME_KIND)] == [TITLE]
    unrelated = bank.retrieval("write a haiku about autumn")
    assert unrelated.hits == [] and unrelated.nearest is not None
