from __future__ import annotations

import pytest

from reasoningbank.prompts import PromptNotFoundError, available_prompts, get_prompt, load_prompt


def test_every_template_has_a_version_and_renders() -> None:
    names = available_prompts()
    for required in (
        "judge_paper",
        "judge_small_local",
        "extract_success",
        "extract_failure",
        "extract_success_json",
        "extract_failure_json",
        "memory_header",
        "matts_parallel",
        "matts_sequential_first",
        "matts_sequential_followup",
        "matts_bon_selector",
    ):
        assert required in names
    for name in names:
        tpl = get_prompt(name)
        assert tpl.version.startswith(f"{name}@")
        assert "version:" not in tpl.source


def test_load_prompt_renders_variables() -> None:
    text, version = load_prompt("extract_success", max_items=3)
    assert version == "extract_success@1" and "at most 3" in text
    assert "at most 5" in load_prompt("matts_parallel", max_items=5)[0]


def test_unknown_prompt() -> None:
    with pytest.raises(PromptNotFoundError, match="no prompt template named"):
        get_prompt("nope")
    with pytest.raises(PromptNotFoundError):
        get_prompt("../etc")
