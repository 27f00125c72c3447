"""find_json: the first JSON object or array in model output, whatever surrounds it."""

from __future__ import annotations

import pytest

from reasoningbank.text.jsontext import find_json


@pytest.mark.parametrize(
    ("text", "value"),
    [
        ('{"status": "success"}', {"status": "success"}),
        ('  \n[1, 2, {"a": null}]\n ', [1, 2, {"a": None}]),
        ('```json\n{"items": []}\n```', {"items": []}),
        ('```\n[{"title": "t"}]\n```', [{"title": "t"}]),
        ('Here it is: {"a": {"b": [1]}}', {"a": {"b": [1]}}),
        ('{"a": 1}\nHope that helps!', {"a": 1}),
        ('Sure.\n```json\n{"a": 1}\n```\nAnything else?', {"a": 1}),
        ('prose {"a": "a } inside a string"} more', {"a": "a } inside a string"}),
    ],
)
def test_finds_the_json_value(text: str, value: object) -> None:
    assert find_json(text) == value


def test_first_of_several_wins() -> None:
    assert find_json('{"a": 1} and then {"b": 2}') == {"a": 1}
    assert find_json('first [1, 2] then {"a": 1}') == [1, 2]


def test_broken_candidates_are_skipped() -> None:
    assert find_json('{not json} then {"ok": true}') == {"ok": True}
    assert find_json('[see below] {"k": 1}') == {"k": 1}
    assert find_json('{"outer": {"inner": 1}') == {"inner": 1}  # unclosed outer: the inner object


@pytest.mark.parametrize(
    "text",
    ["", "no json here", "Status: [success]", '{"a": 1', "The answer is 42", 'He said "yes" and true'],
)
def test_no_json_is_none(text: str) -> None:
    assert find_json(text) is None


@pytest.mark.parametrize("text", ["42", '"success"', "true", " 3.5 "])
def test_a_text_that_is_only_a_scalar_is_not_returned(text: str) -> None:
    assert find_json(text) is None


def test_scalars_inside_prose_are_not_returned() -> None:
    assert find_json('The status is "success" with 2 steps') is None
    assert find_json('Answer: 7 then {"a": 7}') == {"a": 7}
