"""Item records, retirement and restoring: the bank keeps itself honest, with judged outcomes only."""

from __future__ import annotations

import pytest

from reasoningbank.bank import ReasoningBank
from reasoningbank.config import get_preset
from reasoningbank.embed import HashEmbedder
from reasoningbank.extract import ExtractionResult
from reasoningbank.models import Experience, MemoryItem, Step, Trajectory, Usage, UsageEvent, Verdict
from reasoningbank.records.record import ItemRecord, RetirePolicy, item_record, lineage
from reasoningbank.stores import InMemoryStore

SUCCESS = Verdict(label="success", p_success=0.95)
FAILURE = Verdict(label="failure", p_success=0.05)
QUERY = "Enter the name into the text field and press Submit"


def _traj(n: int, query: str = QUERY) -> Trajectory:
    return Trajectory(task_id=f"task-{n}", query=query, steps=[Step(action="click(1)")])


class NoItems:
    """An extractor that distils nothing: these tests follow the seeded items only."""

    def extract(self, trajectory: Trajectory, verdict: Verdict) -> ExtractionResult:
        return ExtractionResult(items=[], raw="", note="", usage=Usage(), prompt_version="none@1")


def _bank(**overrides: object) -> ReasoningBank:
    preset = get_preset("paper").with_overrides({"retire_items": True, "retire_min_shown": 2, **overrides})
    return ReasoningBank(InMemoryStore(), HashEmbedder(dim=256), extractor=NoItems(), preset=preset)


def test_item_record_counts_shown_and_same_kind_outcomes() -> None:
    events = [
        UsageEvent(item_id="i", task_id="a", shown=True, label="failure"),
        UsageEvent(item_id="i", task_id="b", shown=True, label="abstained"),
        UsageEvent(item_id="i", task_id="c", shown=False, label="success"),
    ]
    rec = item_record(events)
    assert (rec.shown, rec.shown_success, rec.shown_failure) == (2, 0, 1)
    assert (rec.unshown, rec.unshown_success) == (1, 1)
    assert rec.shown_rate == 0.0 and rec.unshown_rate == 1.0
    assert "shown to 2 (0 success, 1 failure)" in rec.summary()


@pytest.mark.parametrize(
    ("record", "harmful"),
    [
        (ItemRecord(shown=3, shown_failure=3, unshown=2, unshown_success=2), True),
        (ItemRecord(shown=2, shown_failure=2, unshown=2, unshown_success=2), False),  # too few shown
        (ItemRecord(shown=3, shown_failure=3, unshown=1, unshown_success=1), False),  # too few without
        (
            ItemRecord(
                shown=4, shown_success=2, shown_failure=2, unshown=2, unshown_success=1, unshown_failure=1
            ),
            False,
        ),
    ],
)
def test_retire_policy(record: ItemRecord, harmful: bool) -> None:
    reason = RetirePolicy(min_shown=3, min_unshown=2, margin=0.25).harmful(record)
    assert (reason is not None) == harmful
    if harmful:
        assert reason is not None and reason.startswith("net harmful: tasks shown it succeeded 0%")


def test_lineage_walks_back_through_versions() -> None:
    v1 = MemoryItem(id="a", title="t", content="c", superseded_by="b")
    v2 = MemoryItem(id="b", title="t", content="c", superseded_by="c", version=2)
    v3 = MemoryItem(id="c", title="t", content="c", version=3)
    assert lineage([v1, v2, v3], "c") == ["c", "b", "a"]


def _seed(bank: ReasoningBank, title: str, n: int, verdict: Verdict = SUCCESS) -> MemoryItem:
    item = MemoryItem(title=title, content="Press Submit before typing anything.", origin="failure")
    exp = Experience(
        task_id=f"seed-{n}",
        query=QUERY,
        query_embedding=bank._embed_query(QUERY),
        verdict=verdict,
    )
    exp.items = [item.model_copy(update={"experience_id": exp.id})]
    bank.store.add(exp)
    return exp.items[0]


def test_a_lesson_shown_to_failing_tasks_is_retired_and_no_longer_retrieved() -> None:
    bank = _bank()
    bad = _seed(bank, "Submit first", 0)
    # two tasks of its kind without it went well (it was not shown: shown=[])
    for n in (1, 2):
        bank.learn(_traj(n), verdict=SUCCESS, shown=[])
    # then it is shown twice, and both tasks fail
    for n in (3, 4):
        assert [i.id for i in bank.retrieve(QUERY, task_id=f"task-{n}")] == [bad.id]
        report = bank.learn(_traj(n), verdict=FAILURE)
    assert "retired 'Submit first': net harmful" in report.note
    current, record = bank.item_record(bad.id)
    assert current.status == "retired" and current.version == 2 and "net harmful" in current.status_reason
    assert (record.shown, record.shown_failure, record.unshown_success) == (2, 2, 2)
    assert bank.retrieve(QUERY) == []  # the experience's only item is retired: nothing to show
    # nothing deleted: the first version is still there, superseded
    versions = bank.store.get("default", bad.experience_id or "", include_superseded=True).items
    assert [(v.version, v.status) for v in versions] == [(1, "active"), (2, "retired")]


def test_restore_brings_an_item_back_with_its_record() -> None:
    bank = _bank()
    item = _seed(bank, "Type first", 0)
    retired = bank.retire_item(item.id, "suspected of misleading")
    assert retired.status == "retired" and bank.retrieve(QUERY) == []
    restored = bank.restore_item(item.id[:8])
    assert (
        restored.status == "active" and restored.version == 3 and restored.status_reason == "restored by hand"
    )
    assert [i.id for i in bank.retrieve(QUERY)] == [restored.id]


def test_abstained_tasks_are_recorded_but_never_retire_anything() -> None:
    bank = _bank(retire_min_shown=1)
    item = _seed(bank, "Hint", 0)
    bank.retrieve(QUERY, task_id="task-1")
    bank.learn(_traj(1), verdict=Verdict(label="abstained", reason="unsure"))
    current, record = bank.item_record(item.id)
    assert current.active and record.shown == 1 and record.shown_rate is None


def test_other_kinds_are_not_counted_against_an_item() -> None:
    bank = _bank()
    item = _seed(bank, "Submit last", 0)
    bank.learn(_traj(1, query="Select the red checkbox"), verdict=FAILURE, shown=[])
    assert bank.item_record(item.id)[1].unshown == 0


def test_retrieval_floor_keeps_other_kinds_out() -> None:
    bank = ReasoningBank(
        InMemoryStore(),
        HashEmbedder(dim=256),
        preset=get_preset("paper").with_overrides({"retrieve": {"min_score": 0.9}}),
    )
    _seed(bank, "Submit last", 0)
    assert len(bank.retrieve(QUERY)) == 1
    assert bank.retrieve("Select the red checkbox and the blue one") == []


class OneItem:
    """An extractor that distils one item per call and counts its calls."""

    def __init__(self) -> None:
        self.calls = 0

    def extract(self, trajectory: Trajectory, verdict: Verdict) -> ExtractionResult:
        self.calls += 1
        item = MemoryItem(title=f"lesson {self.calls}", content=f"Do thing number {self.calls} first.")
        return ExtractionResult(items=[item], raw="", note="", usage=Usage(), prompt_version="one@1")


def _when_new_bank(extractor: OneItem) -> ReasoningBank:
    preset = get_preset("paper").with_overrides({"extract": {"when": "when_new"}})
    return ReasoningBank(InMemoryStore(), HashEmbedder(dim=256), extractor=extractor, preset=preset)


def test_a_lesson_the_bank_holds_is_not_extracted_again() -> None:
    extractor = OneItem()
    bank = _when_new_bank(extractor)
    limit = Verdict(label="failure", p_success=0.01, source="rules", rule="step_limit")
    first = bank.learn(_traj(1), verdict=limit)
    second = bank.learn(_traj(2), verdict=limit)
    assert extractor.calls == 1 and len(first.items) == 1 and second.items == []
    assert "not extracted: the bank holds active failure items of this kind from task 'task-1'" in second.note
    # another failure mode, a success, or another kind are new: extracted
    missing = Verdict(label="failure", p_success=0.09, source="rules", rule="value_missing")
    assert len(bank.learn(_traj(3), verdict=missing).items) == 1
    assert len(bank.learn(_traj(4), verdict=SUCCESS).items) == 1
    assert len(bank.learn(_traj(5, query="Select the red checkbox"), verdict=limit).items) == 1
    assert extractor.calls == 4


def test_once_the_held_lesson_is_retired_the_next_episode_is_extracted_afresh() -> None:
    extractor = OneItem()
    bank = _when_new_bank(extractor)
    limit = Verdict(label="failure", p_success=0.01, source="rules", rule="step_limit")
    lesson = bank.learn(_traj(1), verdict=limit).items[0]
    bank.retire_item(lesson.id, "did not help")
    assert len(bank.learn(_traj(2), verdict=limit).items) == 1 and extractor.calls == 2


class SameLesson:
    def extract(self, trajectory: Trajectory, verdict: Verdict) -> ExtractionResult:
        item = MemoryItem(title="Press Submit last", content="Fill every field, then click Submit.")
        return ExtractionResult(items=[item], raw="", note="", usage=Usage(), prompt_version="same@1")


def test_an_exact_lesson_is_stored_once_across_kinds() -> None:
    preset = get_preset("paper").with_overrides({"consolidate": {"mode": "merge", "merge_similarity": 0.9}})
    bank = ReasoningBank(InMemoryStore(), HashEmbedder(dim=256), extractor=SameLesson(), preset=preset)
    first = bank.learn(_traj(1), verdict=SUCCESS)
    again = bank.learn(_traj(2), verdict=SUCCESS)  # same kind: merged into the first
    other = bank.learn(_traj(3, query="Select the red checkbox and click Submit"), verdict=SUCCESS)
    assert len(first.items) == 1 and again.items == [] and "duplicate" in again.note
    # an exact copy is one lesson whichever kind repeats it (issue 25, item 7): found by hash
    assert other.items == [] and [d.reason for d in other.dropped] == ["exact_duplicate"]
