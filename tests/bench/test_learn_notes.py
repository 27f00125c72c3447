"""What the memory update did, counted by the report: typed facts, and older records' notes read back."""

from __future__ import annotations

from pathlib import Path

import pytest

from reasoningbank.bench.learn_notes import learn_facts, read_learn_note
from reasoningbank.bench.metrics import compute_metrics
from reasoningbank.bench.records import DroppedRecord, LearnRecord, LLMUsage, RetiredRecord, TaskRecord
from reasoningbank.bench.report import render_report
from reasoningbank.bench.rundata import load_run
from reasoningbank.bench.rundir import append_record, write_json_atomic
from reasoningbank.models import Dropped, LearnReport, Retired, Skipped, Verdict, dropped_notes

# One note of every drop kind, in the wording the library writes (and always wrote).
LEGACY = {
    "example_copy": "dropped 2 item(s) copying the prompt's example",
    "placeholder": "dropped a placeholder item ('N/A')",
    "invalid": "dropped an invalid item (Value error, must not be empty)",
    "page_specific": "dropped 'Click the box': it names a page-specific element ('id 4')",
    "unknown_action": "dropped 'Scroll down': the agent has no action scroll",
    "exact_duplicate": "dropped 3 exact duplicate item(s)",
}
COUNTS = {"example_copy": 2, "exact_duplicate": 3}


def _record(index: int, *, note: str = "", learn: LearnRecord | None = None) -> TaskRecord:
    return TaskRecord(
        method="reasoningbank",
        index=index,
        task_id=f"a:{index}",
        family="a",
        seed=index,
        score=0.0,
        success=False,
        judge_label="failure",
        judge_parsed=True,
        steps=1,
        parse_failures=0,
        llm=LLMUsage(),
        items_learned=[],
        memory_size=0,
        retrieved=[],
        recovered=False,
        seconds=1.0,
        learn_note=note,
        learn=learn,
    )


def _learning(tmp_path: Path, records: list[TaskRecord]) -> dict[str, object]:
    root = tmp_path / "run"
    tasks = [{"family": "a", "seed": r.index} for r in records]
    write_json_atomic(root / "run.json", {"model": "m", "methods": ["reasoningbank"], "tasks": tasks})
    for r in records:
        append_record(root / "reasoningbank" / "records.jsonl", r.model_dump(mode="json"))
    learning = compute_metrics(load_run(root))["methods"]["reasoningbank"]["learning"]
    assert isinstance(learning, dict)
    return learning


@pytest.mark.parametrize("reason", sorted(LEGACY))
def test_each_drop_kind_reaches_the_report_count_from_typed_facts(tmp_path: Path, reason: str) -> None:
    facts = LearnRecord(dropped=[DroppedRecord(reason=reason, title="t")])
    learning = _learning(tmp_path, [_record(0, note="(the note is not read)", learn=facts)])
    assert learning["dropped"] == 1 and learning["dropped_by_reason"] == {reason: 1}


@pytest.mark.parametrize("reason", sorted(LEGACY))
def test_each_drop_kind_reaches_the_report_count_from_an_old_note(tmp_path: Path, reason: str) -> None:
    note = f"replaced the task's quoted values with 'x' in 2 field(s); {LEGACY[reason]}"
    learning = _learning(tmp_path, [_record(0, note=note)])
    n = COUNTS.get(reason, 1)
    assert learning["dropped"] == n and learning["dropped_by_reason"] == {reason: n}


def test_old_notes_of_every_wording_are_read_back() -> None:
    note = "; ".join(
        [
            "redacted 1 secret(s): password 1",
            *LEGACY.values(),
            "dropped an invalid workflow (String should have at least 1 character)",
            "dropped \"Type into the 'Password' field\": it names a page-specific element (\"name='pw'\")",
            "merged 2 near-duplicate item(s) into existing ones",
            "retired 'Submit first': net harmful: tasks shown it failed (shown to 3 (0 success, 3 failure)",
            "same kind, not shown: 2 (1 success, 1 failure))",
            "not extracted: the bank holds active failure items of this kind from task 'a:1'",
            "abstained: p(success) 0.50 is below the learning threshold 0.80",
        ]
    )
    facts = read_learn_note(note)
    reasons = [d.reason for d in facts.dropped]
    assert reasons == ["example_copy"] * 2 + [
        "placeholder",
        "invalid",
        "page_specific",
        "unknown_action",
    ] + ["exact_duplicate"] * 3 + ["invalid", "page_specific"]
    assert facts.dropped[2].title == "N/A" and facts.dropped[3].detail == "Value error, must not be empty"
    assert (facts.dropped[4].title, facts.dropped[4].detail) == ("Click the box", "id 4")
    assert facts.dropped[5].detail == "scroll"
    assert (facts.dropped[-1].title, facts.dropped[-1].detail) == (
        "Type into the 'Password' field",
        "name='pw'",
    )
    assert facts.merged == 2 and facts.skipped == ["held_already", "abstained"]
    # the reason up to the first ';', as the report has always read an old note
    assert facts.retired == [
        RetiredRecord(
            title="Submit first",
            reason="net harmful: tasks shown it failed (shown to 3 (0 success, 3 failure)",
        )
    ]
    assert read_learn_note("") == LearnRecord()


def test_every_wording_the_library_renders_is_read_back() -> None:
    dropped = [Dropped(reason=r, title="t", detail="d") for r in ("placeholder", "invalid", "unknown_action")]
    dropped += [Dropped(reason="page_specific", title="it's", detail="id 1"), Dropped(reason="example_copy")]
    note = "; ".join(dropped_notes(dropped))
    assert sorted(d.reason for d in read_learn_note(note).dropped) == sorted(d.reason for d in dropped)


def test_learn_record_of_reports_and_records_without_facts() -> None:
    verdict = Verdict(label="failure")
    reports = [
        LearnReport(
            experience_id="e1",
            verdict=verdict,
            items=[],
            stored=True,
            dropped=[Dropped(reason="placeholder", title="N/A")],
            merged=1,
            retired=[Retired(item_id="i1", title="Old", reason="net harmful")],
        ),
        LearnReport(
            experience_id="e2",
            verdict=verdict,
            items=[],
            stored=True,
            skipped=Skipped(reason="held_already", detail="held"),
        ),
    ]
    facts = LearnRecord.of(reports)
    assert facts.dropped == [DroppedRecord(reason="placeholder", title="N/A")] and facts.merged == 1
    assert facts.retired == [RetiredRecord(item_id="i1", title="Old", reason="net harmful")]
    assert facts.skipped == ["held_already"]
    assert learn_facts(_record(0, note="merged 1 near-duplicate item(s) into existing ones")).merged == 1
    assert (
        learn_facts(_record(0, note="merged 5 near-duplicate item(s) into existing ones", learn=facts))
        == facts
    )


def test_the_report_says_what_dropped_counts(tmp_path: Path) -> None:
    records = [_record(0, note=LEGACY["page_specific"]), _record(1, note=LEGACY["example_copy"])]
    learning = _learning(tmp_path, records)
    assert learning["dropped"] == 3
    text = render_report(tmp_path / "run")
    assert "items dropped (every reason)" in text and "| example_copy 2, page_specific 1 |" in text


def test_new_task_records_carry_the_facts_unless_recovered() -> None:
    from reasoningbank.bench.envs.base import TaskSpec
    from reasoningbank.bench.methods import MethodUpdate
    from reasoningbank.bench.task_record import Played, build_task_record
    from reasoningbank.models import Usage

    verdict = Verdict(label="failure", source="rules", reason="ran out of steps")
    dup = Dropped(reason="exact_duplicate", title="t")
    held = Skipped(reason="held_already", detail="held")
    reports = [
        LearnReport(
            experience_id="e", verdict=verdict, items=[], stored=True, note=dup.note(), dropped=[dup]
        ),
        LearnReport(
            experience_id="f", verdict=verdict, items=[], stored=True, note=held.note(), skipped=held
        ),
    ]
    update = MethodUpdate.of_reports(verdict, reports)
    played = Played(
        index=0, goal="g", score=1.0, steps=2, parse_failures=0, retrieved=[], action_usage=Usage(), seconds=1
    )
    task = TaskSpec(family="a", seed=0)
    record = build_task_record("reasoningbank", task, played, update, learn_seconds=0.5, memory_size=3)
    assert record.learn == LearnRecord.of(reports) and record.learn_note == "; ".join(r.note for r in reports)
    assert record.success and record.judge_source == "rules" and record.seconds == 1.5 and not record.feedback
    assert learn_facts(record).skipped == ["held_already"]
    recovered = MethodUpdate(verdict=verdict, recovered=True)
    assert build_task_record("m", task, played, recovered, learn_seconds=0, memory_size=3).learn is None
