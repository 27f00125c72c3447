"""Screening extracted items: page-specific element references and actions the agent lacks."""

from __future__ import annotations

import pytest

from reasoningbank.extract.screen import page_specific, screen_items, unknown_actions
from reasoningbank.models import MemoryItem

ACTIONS = ("click", "type", "select", "answer", "done")


@pytest.mark.parametrize(
    "text",
    [
        "Click on the element with id 1.",
        "Type the value into the input_text with name='tt'.",
        "Use click(5) to submit.",
        'Then type(2, "Bob") into it.',
        "Press the button [3].",
        "The Submit button is #7.",
        "The field at index 2 is the password.",
    ],
)
def test_page_specific_references_are_found(text: str) -> None:
    assert page_specific(text) is not None


@pytest.mark.parametrize(
    "text",
    [
        "Type the username first, then click Login.",
        "Fill both password fields with the same value before pressing Submit.",
        "Select every option the task lists (step 2 comes after step 1).",
        "Use type with the field's id from the current page.",
    ],
)
def test_general_advice_is_not_page_specific(text: str) -> None:
    assert page_specific(text) is None


def test_unknown_actions() -> None:
    assert unknown_actions("use scroll(down) then click(the button)", ACTIONS) == ["scroll"]
    assert unknown_actions("Type(...) then Click(...)", ACTIONS) == []


def test_screen_items_drops_with_notes_and_keeps_the_rest() -> None:
    good = MemoryItem(title="Type before submitting", content="Fill every field, then click Submit.")
    ids = MemoryItem(title="Find the field", content="Click on the element with id 1.")
    scroll = MemoryItem(title="Look further", content="Use scroll(down) to see more options.")
    screened = screen_items([good, ids, scroll], drop_page_specific=True, actions=ACTIONS)
    assert screened.kept == [good]
    assert len(screened.notes) == 2
    assert "page-specific element ('id 1')" in screened.notes[0] and "no action scroll" in screened.notes[1]
    assert screen_items([ids, scroll], drop_page_specific=False).kept == [ids, scroll]
