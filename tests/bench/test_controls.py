"""The curated ceiling and the controls (empty, filler, irrelevant): what each shows the agent,
that none of them judges or learns, and how a run records and resumes them (issue 27)."""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path

import pytest

from reasoningbank.bench import diagnostics
from reasoningbank.bench.controls import family_of, filler_item, filler_text, memory_frame
from reasoningbank.bench.manifest import ManifestMismatchError
from reasoningbank.bench.metrics import run_metrics
from reasoningbank.bench.rundata import load_run
from reasoningbank.bench.tables import results_table
from reasoningbank.lessons import Lesson, read_lessons
from reasoningbank.llm import Message, ScriptedLLM
from reasoningbank.models import MemoryItem
from reasoningbank.stores import SQLiteStore
from tests.bench.fakes import TASKS, respond, role, run

ARMS = ["none", "curated", "empty", "filler", "irrelevant"]


def lessons() -> tuple[Lesson, ...]:
    return (
        Lesson(
            task_id="name:lesson-1",
            query='Enter name "Ada0" into the form and press Submit.',
            title="Names: type the name once",
            content="When the name field shows the name, zebra-name-lesson: click Submit.",
        ),
        Lesson(
            task_id="city:lesson-1",
            query='Enter city "Paris0" into the form and press Submit.',
            title="Cities: type the city once",
            content="When the city field shows the city, zebra-city-lesson: click Submit.",
        ),
        Lesson(
            task_id="zip:lesson-1",
            query='Enter zip "750" into the form and press Submit.',
            title="Zips: type the zip once",
            content="When the zip field shows the zip, zebra-zip-lesson: click Submit.",
        ),
    )


class Recorder:
    """The scripted model, keeping every agent system prompt by its task's goal."""

    def __init__(self) -> None:
        self.systems: list[tuple[str, str]] = []
        self.roles: list[str] = []
        self.llm = ScriptedLLM(default=self.answer)

    def answer(self, messages: Sequence[Message]) -> str:
        r = role(messages)
        self.roles.append(r)
        if r == "agent":
            goal = messages[1]["content"].split("# Goal\n", 1)[1].split("\n", 1)[0]
            self.systems.append((goal, messages[0]["content"]))
        return respond(messages)


def test_filler_keeps_every_length_and_no_word() -> None:
    for n in (0, 1, 7, 80, 161, 1000):
        assert len(filler_text(n)) == n
    item = MemoryItem(title="Click the checkbox", description="d", content="When checked=true, click Submit.")
    fill = filler_item(item)
    assert (len(fill.title), len(fill.description), len(fill.content)) == (18, 1, 32)
    assert "checkbox" not in fill.title + fill.content and "Submit" not in fill.content
    assert family_of("click-option:lesson-2") == "click-option" and family_of("enter-text:4") == "enter-text"


def test_each_arm_shows_what_it_promises_and_nothing_is_judged_or_learned(tmp_path: Path) -> None:
    rec = Recorder()
    res = run(tmp_path, rec.llm, methods=ARMS, lessons=lessons())
    assert set(rec.roles) == {"agent"}  # no judge, no extractor: the curated banks are frozen
    run_dir = tmp_path / "run"
    for arm in ARMS[1:]:
        assert SQLiteStore(run_dir / arm / "bank.db").count_items("default") == 3
        assert all(r.memory_size == 3 and r.judge_label is None for r in res.records[arm])

    by_arm = {arm: {r.task_id: r for r in res.records[arm]} for arm in ARMS}
    for task in TASKS:
        fam = task.family
        cur = by_arm["curated"][task.task_id]
        assert cur.retrieved_from == [f"{fam}:lesson-1"]
        assert by_arm["empty"][task.task_id].retrieved == []
        irr = by_arm["irrelevant"][task.task_id].retrieved_from
        assert len(irr) == 1 and irr[0] is not None and family_of(irr[0]) != fam
        fil = by_arm["filler"][task.task_id]
        assert fil.memory_chars == cur.memory_chars > 0
        assert by_arm["empty"][task.task_id].memory_chars == len(memory_frame())

    systems = _systems_by_arm(rec, len(ARMS))
    for task_index, task in enumerate(TASKS):
        fam = task.family
        none, curated, empty, filler, irrelevant = (systems[a][task_index] for a in range(len(ARMS)))
        assert "Memory Item" not in none and memory_frame() not in none
        assert f"zebra-{fam}-lesson" in curated
        assert memory_frame() in empty and "Memory Item" not in empty
        assert "zebra" not in filler and "# Memory Item 1" in filler and len(filler) == len(curated)
        assert "zebra" in irrelevant and f"zebra-{fam}-lesson" not in irrelevant

    kept = read_lessons(run_dir / "lessons.jsonl")
    assert kept == list(lessons())
    manifest = json.loads((run_dir / "run.json").read_text())
    assert manifest["lessons"]["count"] == 3 and len(manifest["lessons"]["sha256"]) == 64


def _systems_by_arm(rec: Recorder, arms: int) -> list[list[str]]:
    """The first system prompt of every episode, grouped by arm (the runner plays each task with
    every arm in order; the fake agent takes two steps per episode)."""
    episodes = [s for i, (_, s) in enumerate(rec.systems) if i % 2 == 0]
    return [episodes[a::arms] for a in range(arms)]


def test_a_resumed_run_keeps_its_seeded_bank_and_refuses_other_lessons(tmp_path: Path) -> None:
    rec = Recorder()
    run(tmp_path, rec.llm, methods=["curated"], lessons=lessons(), tasks=TASKS[:2])
    run(tmp_path, rec.llm, methods=["curated"], lessons=lessons(), tasks=TASKS[:2])  # nothing to do
    assert SQLiteStore(tmp_path / "run" / "curated" / "bank.db").count_items("default") == 3
    other = (*lessons()[:2], lessons()[2].model_copy(update={"content": "Something else entirely."}))
    with pytest.raises(ManifestMismatchError, match="lessons"):
        run(tmp_path, rec.llm, methods=["curated"], lessons=other, tasks=TASKS[:2])


def test_a_curated_arm_added_to_a_run_records_its_lessons(tmp_path: Path) -> None:
    rec = Recorder()
    run(tmp_path, rec.llm, methods=["none"], tasks=TASKS[:2])
    assert "lessons" not in json.loads((tmp_path / "run" / "run.json").read_text())
    run(tmp_path, rec.llm, methods=["none", "curated"], lessons=lessons(), tasks=TASKS[:2])
    manifest = json.loads((tmp_path / "run" / "run.json").read_text())
    assert manifest["methods"] == ["none", "curated"] and manifest["lessons"]["count"] == 3


def test_arms_without_the_lessons_they_need_are_refused(tmp_path: Path) -> None:
    rec = Recorder()
    with pytest.raises(ValueError, match="needs a lessons file"):
        run(tmp_path, rec.llm, methods=["none", "curated"])
    assert not (tmp_path / "run").exists()
    unnamed = tuple(ls.model_copy(update={"task_id": None}) for ls in lessons())
    with pytest.raises(ValueError, match="FAMILY:NAME"):
        run(tmp_path / "b", rec.llm, methods=["irrelevant"], lessons=unnamed)


def test_tables_and_plots_label_every_diagnostic(tmp_path: Path) -> None:
    rec = Recorder()
    run(tmp_path, rec.llm, methods=ARMS, lessons=lessons(), tasks=TASKS[:3])
    table = results_table(run_metrics(load_run(tmp_path / "run")))
    assert "| curated ‡ |" in table and "| empty § |" in table and "| none |" in table
    assert diagnostics.CEILING_NOTE in table and diagnostics.CONTROL_NOTE in table
    assert diagnostics.FEEDBACK_NOTE not in table
    assert diagnostics.label("reasoningbank+feedback", feedback=True) == "reasoningbank+feedback †"
    assert diagnostics.label("filler@paper") == "filler@paper §"
    assert diagnostics.label("reasoningbank") == "reasoningbank"
