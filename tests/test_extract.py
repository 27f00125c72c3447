from __future__ import annotations

import json

import pytest

from reasoningbank.extract import (
    LLMExtractor,
    extraction_schema,
    generalize_literals,
    parse_json_items,
    parse_markdown_items,
    query_literals,
)
from reasoningbank.llm import ScriptedLLM
from reasoningbank.models import Step, Trajectory, Verdict

SUCCESS = Verdict(label="success", thoughts="ok")
FAILURE = Verdict(label="failure", thoughts="no")


def _traj() -> Trajectory:
    return Trajectory(
        task_id="t1",
        query="Find the newest order",
        steps=[Step(thought="open orders", action="click('orders')"), Step(thought="sort", action="sort()")],
        final_answer="Order 42",
        meta={"score": "HIDDEN-SCORE"},
    )


def _md(n: int) -> str:
    return "\n\n".join(
        f"# Memory Item {i}\n## Title Strategy {i}\n## Description One line {i}.\n## Content Do thing {i}."
        for i in range(1, n + 1)
    )


def test_markdown_preamble_and_fences() -> None:
    text = "Why it worked: the agent sorted first.\n\n```markdown\n" + _md(2) + "\n```\nHope this helps."
    items = parse_markdown_items(text)
    assert [i.title for i in items] == ["Strategy 1", "Strategy 2"]
    assert items[1].content.startswith("Do thing 2.")
    assert items[0].description == "One line 1."


def test_markdown_variants_bold_levels_missing_description() -> None:
    text = (
        "**Memory Item 1**\n**Title:** Sort first\n**Content:** Sort by date before reading.\n\n"
        "### Memory Item 2: Type then submit\n- **Content**: Fill every field, then click Submit.\n\n"
        "Memory Item 3\nTitle: no content so dropped\n"
    )
    items = parse_markdown_items(text)
    assert [(i.title, i.description) for i in items] == [("Sort first", ""), ("Type then submit", "")]
    assert items[1].content == "Fill every field, then click Submit."


def test_markdown_without_item_headings_splits_on_title() -> None:
    items = parse_markdown_items("1. Title: A\nContent: aaa\n2. Title: B\nDescription: bb\nContent: bbb")
    assert [(i.title, i.description, i.content) for i in items] == [("A", "", "aaa"), ("B", "bb", "bbb")]


def test_json_parser_tolerates_fences_and_text() -> None:
    payload = {"items": [{"title": "T", "description": "D", "content": "C"}, {"title": "", "content": "x"}]}
    items = parse_json_items("Here you go:\n```json\n" + json.dumps(payload) + "\n```\nDone.")
    assert [(i.title, i.description, i.content) for i in items] == [("T", "D", "C")]
    assert parse_json_items("no json") == []


def test_success_prompt_chosen_and_user_content() -> None:
    llm = ScriptedLLM([_md(2)])
    res = LLMExtractor(llm).extract(_traj(), SUCCESS)
    call = llm.calls[0]
    assert call.temperature == 1.0 and call.json_schema is None
    assert "successfully" in call.messages[0]["content"] and "at most 3" in call.messages[0]["content"]
    user = call.messages[1]["content"]
    assert user.startswith("**Query:** Find the newest order")
    assert "**Trajectory:**" in user
    assert "<think>\nopen orders\n</think>\n<action>\nclick('orders')\n</action>" in user
    assert "Order 42" in user and "HIDDEN-SCORE" not in user
    assert [i.origin for i in res.items] == ["success", "success"]
    assert res.prompt_version == "extract_success@1" and res.note == "" and res.usage.calls == 1


def test_failure_prompt_chosen() -> None:
    llm = ScriptedLLM([_md(1)])
    res = LLMExtractor(llm).extract(_traj(), FAILURE)
    assert "failed" in llm.calls[0].messages[0]["content"]
    assert res.items[0].origin == "failure" and res.prompt_version == "extract_failure@1"


def test_five_items_capped_at_three() -> None:
    res = LLMExtractor(ScriptedLLM([_md(5)])).extract(_traj(), SUCCESS)
    assert [i.title for i in res.items] == ["Strategy 1", "Strategy 2", "Strategy 3"]
    assert "kept the first 3" in res.note


def test_garbage_retry_then_no_items_with_note_and_raw_kept() -> None:
    llm = ScriptedLLM(["I cannot help.", "Still nothing."])
    res = LLMExtractor(llm).extract(_traj(), SUCCESS)
    assert res.items == []
    assert "no valid memory item" in res.note
    assert res.attempts == ["I cannot help.", "Still nothing."]
    assert "I cannot help." in res.raw and "Still nothing." in res.raw
    assert res.usage.calls == 2
    assert llm.calls[1].messages[-2]["content"] == "I cannot help."
    assert "# Memory Item" in llm.calls[1].messages[-1]["content"]


def test_retry_recovers() -> None:
    res = LLMExtractor(ScriptedLLM(["nope", _md(1)])).extract(_traj(), SUCCESS)
    assert len(res.items) == 1 and "retried once" in res.note


def test_json_style_passes_schema_and_temperature() -> None:
    item = {"title": "Type first", "description": "d", "content": "Type, then submit."}
    out = json.dumps({"items": [item]})
    llm = ScriptedLLM([out])
    res = LLMExtractor(llm, temperature=0.3, style="json", max_items=2, max_tokens=500).extract(
        _traj(), FAILURE
    )
    call = llm.calls[0]
    assert call.temperature == 0.3 and call.max_tokens == 500
    assert call.json_schema == extraction_schema(2)
    assert "agent" in call.messages[0]["content"] and "differently" in call.messages[0]["content"]
    assert res.items[0].title == "Type first" and res.prompt_version == "extract_failure_json@5"


def test_bad_arguments() -> None:
    with pytest.raises(ValueError, match="style"):
        LLMExtractor(ScriptedLLM(), style="yaml")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="max_items"):
        LLMExtractor(ScriptedLLM(), max_items=0)


def test_json_items_are_capped_to_schema_lengths() -> None:
    from reasoningbank.extract.items import CONTENT_MAX_CHARS, TITLE_MAX_CHARS, parse_json_items

    long = "word " * 400
    items = parse_json_items(json.dumps({"items": [{"title": long, "content": long}]}))
    assert len(items) == 1
    assert len(items[0].title) <= TITLE_MAX_CHARS + 1
    assert len(items[0].content) <= CONTENT_MAX_CHARS + 1
    assert items[0].content.endswith("…")


def test_final_state_shown_only_when_asked() -> None:
    traj = Trajectory(
        task_id="t",
        query="Enter a name and submit",
        steps=[Step(thought="submit now", action="click(2)", observation="[1] input_text value=''")],
    )
    verdict = Verdict(label="failure")
    plain = LLMExtractor(ScriptedLLM(), style="json").messages(traj, verdict)[1]["content"]
    with_state = LLMExtractor(ScriptedLLM(), style="json", show_final_state=True)
    shown = with_state.messages(traj, verdict)[1]["content"]
    assert "Final state" not in plain and "value=''" not in plain
    assert "**Final state:**" in shown and "[1] input_text value=''" in shown


def test_query_literals_quotes_but_not_apostrophes() -> None:
    q = "Enter the username \"karrie\" and \u201cX y\u201d, pick 'red' but don't touch the user's box"
    assert query_literals(q) == ["karrie", "X y", "red"]  # longest first
    assert query_literals("Focus into the textbox.") == []


@pytest.mark.parametrize(
    ("query", "values", "masked"),
    [
        ("Select DKkQH and click Submit.", ["DKkQH"], 'Select "…" and click Submit.'),
        ("Select nZyXV4, 9PfV and click Submit.", ["nZyXV4", "9PfV"], 'Select "…", "…" and click Submit.'),
        ("Select AU and click Submit.", ["AU"], 'Select "…" and click Submit.'),
        # words, numbers, hyphenated and possessive words are not codes; lower-case codes are missed
        ("Click button 5 in the e-mail's Inbox", [], "Click button 5 in the e-mail's Inbox"),
        ("Select fzzqo, NYYyS82 and click Submit.", ["NYYyS82"], 'Select fzzqo, "…" and click Submit.'),
        ('Type "AU" then AU2', ["AU2", "AU"], 'Type "…" then "…"'),
    ],
)
def test_unquoted_codes_are_values(query: str, values: list[str], masked: str) -> None:
    from reasoningbank.text.literals import mask_literals

    assert query_literals(query) == values
    assert mask_literals(query) == masked


def test_generalize_literals_quoted_and_whole_words_only() -> None:
    text = "Type 'karrie' then \"AU\"; AU again, but not AUTO or karries."
    out = generalize_literals(text, ["karrie", "AU"])
    assert out == (
        "Type the value given in the task then the value given in the task; "
        "the value given in the task again, but not AUTO or karries."
    )


def test_extractor_generalizes_the_task_values_when_asked() -> None:
    traj = Trajectory(
        task_id="enter-text:0",
        query='Enter "Agustina" into the text field and press Submit.',
        steps=[Step(thought="type it", action='type(2, "Agustina")')],
    )
    item = {
        "title": "Type 'Agustina' first",
        "description": "The field was empty.",
        "content": "Click the field, type Agustina, then press Submit.",
    }
    out = json.dumps({"items": [item]})
    kept = LLMExtractor(ScriptedLLM([out]), style="json").extract(traj, FAILURE)
    assert kept.items[0].title == "Type 'Agustina' first" and kept.note == ""
    res = LLMExtractor(ScriptedLLM([out]), style="json", generalize_literals=True).extract(traj, FAILURE)
    assert res.items[0].title == "Type the value given in the task first"
    assert res.items[0].content == "Click the field, type the value given in the task, then press Submit."
    assert res.items[0].description == "The field was empty."
    assert "2 field(s)" in res.note
    assert "Agustina" in res.raw  # the model's own words stay auditable


def test_small_local_preset_generalizes_literals() -> None:
    from reasoningbank.config import PRESETS

    assert PRESETS["small-local"].extract.generalize_literals is True
    assert PRESETS["paper"].extract.generalize_literals is False


def test_items_copying_the_prompts_example_are_dropped() -> None:
    from reasoningbank.extract.items import prompt_examples

    ex = (
        "When the option you need is inside a closed menu, click the menu first "
        "and choose the option on the next step."
    )
    items = [
        {"title": "Select the checkbox and click Submit", "description": "d", "content": ex},
        {"title": "Open the menu before choosing", "description": "d", "content": "Something else entirely."},
        {"title": "Click Submit last", "description": "d", "content": "Type every value, then click Submit."},
    ]
    llm = ScriptedLLM([json.dumps({"items": items})])
    extractor = LLMExtractor(llm, style="json")
    system = extractor.messages(_traj(), FAILURE)[0]["content"]
    examples = prompt_examples(system)
    assert len(examples) == 1 and examples[0].content == ex  # the schema line ("...") is not an example
    res = extractor.extract(_traj(), FAILURE)
    assert [i.title for i in res.items] == ["Click Submit last"]
    assert "dropped 2 item(s) copying the prompt's example" in res.note
    assert prompt_examples(LLMExtractor(ScriptedLLM(["x"])).messages(_traj(), FAILURE)[0]["content"]) == []
