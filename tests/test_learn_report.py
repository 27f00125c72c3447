"""What learning did, as typed fields on LearnReport, and the note that renders them."""

from __future__ import annotations

import json

from reasoningbank.bank import ReasoningBank
from reasoningbank.config import get_preset
from reasoningbank.embed import HashEmbedder
from reasoningbank.llm import ScriptedLLM
from reasoningbank.models import Dropped, Retired, Skipped, Step, Trajectory, Verdict, dropped_notes
from reasoningbank.stores.memory import InMemoryStore

EXAMPLE = (
    "When the option you need is inside a closed menu, click the menu first "
    "and choose the option on the next step."
)


def _traj() -> Trajectory:
    return Trajectory(
        task_id="t1",
        query='Enter "Agustina" into the text field',
        steps=[Step(thought="type", action="type('q', 'Agustina')"), Step(thought="go", action="click(1)")],
    )


def _item(title: str, content: str) -> dict[str, str]:
    return {"title": title, "description": "d", "content": content}


def test_every_drop_kind_renders_in_the_wording_of_the_note() -> None:
    dropped = [
        Dropped(reason="example_copy", title="a"),
        Dropped(reason="placeholder", title="N/A"),
        Dropped(reason="example_copy", title="b"),
        Dropped(reason="invalid", title="x", detail="must not be empty"),
        Dropped(reason="page_specific", title="Click it", detail="id 4"),
        Dropped(reason="unknown_action", title="Scroll", detail="scroll, zoom"),
        Dropped(reason="exact_duplicate", title="c"),
        Dropped(reason="exact_duplicate", title="d"),
    ]
    assert dropped_notes(dropped) == [
        "dropped 2 item(s) copying the prompt's example",
        "dropped a placeholder item ('N/A')",
        "dropped an invalid item (must not be empty)",
        "dropped 'Click it': it names a page-specific element ('id 4')",
        "dropped 'Scroll': the agent has no action scroll, zoom",
        "dropped 2 exact duplicate item(s)",
    ]
    assert Dropped(reason="exact_duplicate").note() == "dropped 1 exact duplicate item(s)"
    assert Retired(item_id="i", title="Old", reason="net harmful").note() == "retired 'Old': net harmful"
    assert Skipped(reason="abstained", detail="unsure").note() == "abstained: unsure"
    assert Skipped(reason="held_already", detail="held").note() == "not extracted: held"


def test_learn_reports_each_drop_as_a_field_and_the_note_renders_them() -> None:
    items = [
        _item("Copy", EXAMPLE),
        _item("N/A", "Something."),
        _item("Click the element", "Use click(5) to submit."),
        _item("Scroll first", "Call scroll(down) before typing."),
        _item("Type Agustina", "Type Agustina into the field, then submit."),
        _item("Type Agustina", "Type Agustina into the field, then submit."),
    ]
    preset = get_preset("paper").with_overrides(
        {
            "extractor_style": "json",
            "max_items": 6,
            "screen_items": True,
            "agent_actions": ["click", "type"],
            "consolidation": "dedup",
            "extractor_generalize_literals": True,
        }
    )
    llm = ScriptedLLM([json.dumps({"items": items})])
    bank = ReasoningBank.from_preset(InMemoryStore(), HashEmbedder(), llm, preset)
    report = bank.learn(_traj(), verdict=Verdict(label="failure", reason="wrong value"))
    assert [d.reason for d in report.dropped] == [
        "example_copy",
        "placeholder",
        "page_specific",
        "unknown_action",
        "exact_duplicate",
    ]
    assert report.dropped[2].detail == "click(5)" and report.dropped[3].detail == "scroll"
    assert len(report.items) == 1 and report.literals_replaced == 4
    assert report.merged == 0 and report.retired == [] and report.skipped is None
    assert report.note == "; ".join(
        [
            "dropped 1 item(s) copying the prompt's example",
            "dropped a placeholder item ('N/A')",
            "replaced the task's quoted values with 'the value given in the task' in 4 field(s)",
            "dropped 'Click the element': it names a page-specific element ('click(5)')",
            "dropped 'Scroll first': the agent has no action scroll",
            "dropped 1 exact duplicate item(s)",
        ]
    )
    stored = bank.store.get("default", report.experience_id)
    assert stored.extraction_note == report.note.rsplit("; ", 1)[0]  # the duplicates are consolidation's


def test_a_skipped_extraction_says_why_in_a_field() -> None:
    preset = get_preset("paper").with_overrides({"learn_min_confidence": 0.8})
    bank = ReasoningBank.from_preset(InMemoryStore(), HashEmbedder(), ScriptedLLM(), preset)
    report = bank.learn(_traj(), verdict=Verdict(label="success", p_success=0.6, reason="looked done"))
    assert report.skipped is not None and report.skipped.reason == "abstained"
    assert report.note == report.skipped.note() and report.note.startswith("abstained: ")
    assert report.dropped == [] and report.items == []
