"""Task values in queries: finding them, replacing them in text, masking them for embedding."""

from __future__ import annotations

import itertools

import pytest

from reasoningbank.text.literals import (
    LITERAL_PLACEHOLDER,
    MASK,
    generalize_literals,
    is_code,
    mask_literals,
    query_literals,
)

P = LITERAL_PLACEHOLDER


@pytest.mark.parametrize(
    ("query", "values"),
    [
        ('Enter "Bob" into the text field', ["Bob"]),
        ("Enter \u201cÅsa\u201d into the text field", ["Åsa"]),
        ("Pick 'red' from the list", ["red"]),
        ("Pick ('red') from the list", ["red"]),
        ('Type "x y" exactly', ["x y"]),
        ('Type "  padded  " exactly', ["padded"]),
        ('Enter "don\'t" here', ["don't"]),
    ],
)
def test_quoted_values_in_the_three_quote_styles(query: str, values: list[str]) -> None:
    assert query_literals(query) == values


@pytest.mark.parametrize(
    "query",
    [
        "Don't click the user's button",
        "The users' list and the user's box",
        "Focus into the textbox.",
        "It's 'bout time",
    ],
)
def test_apostrophes_are_not_quotes(query: str) -> None:
    assert query_literals(query) == []
    assert mask_literals(query) == query


def test_apostrophes_next_to_a_single_quoted_value() -> None:
    assert query_literals("Don't pick 'blue', pick the user's 'red'") == ["blue", "red"]


@pytest.mark.parametrize(
    ("word", "code"),
    [
        ("DKkQH", True),  # capital after the first character
        ("AU", True),
        ("HF2", True),  # a digit
        ("9PfV", True),
        ("a1", True),
        ("iPhone", True),  # the documented price: camel case counts
        ("OK", True),
        ("Submit", False),  # a capitalised word
        ("A", False),
        ("fzzqo", False),  # lower-case codes look like words
        ("123", False),  # bare numbers are not values
        ("", False),
    ],
)
def test_is_code(word: str, code: bool) -> None:
    assert is_code(word) is code


@pytest.mark.parametrize(
    ("query", "values"),
    [
        ("Select DKkQH and click Submit.", ["DKkQH"]),
        ("Select HF2, 9PfV and click Submit.", ["9PfV", "HF2"]),
        ("Click button 5, then 12.", []),  # bare numbers are not taken
        ("Select fzzqo and click Submit.", []),
        # glued to hyphens, apostrophes or underscores: not a standalone word
        ("Open the e-Mail of AB-12 and XY's box, then AU_2", []),
    ],
)
def test_code_shaped_unquoted_words(query: str, values: list[str]) -> None:
    assert query_literals(query) == values


def test_values_are_longest_first_without_duplicates() -> None:
    query = 'Type "a" and \'a\', then \u201clonger one\u201d, AU and AU2, and "mid"'
    assert query_literals(query) == ["longer one", "AU2", "mid", "AU", "a"]


def test_a_quoted_code_is_taken_once() -> None:
    assert query_literals('Select "DKkQH" or DKkQH') == ["DKkQH"]


def test_generalize_replaces_quoted_and_whole_word_occurrences() -> None:
    text = "Type \"Bob\", then \u201cBob\u201d, 'Bob' and Bob. Not Bobby, bob or BobX."
    assert generalize_literals(text, ["Bob"]) == f"Type {P}, then {P}, {P} and {P}. Not Bobby, bob or BobX."


def test_generalize_is_literal_not_a_regex() -> None:
    assert generalize_literals("is a.b and axb", ["a.b"]) == f"is {P} and axb"
    assert generalize_literals("cost (x+1) and x1", ["(x+1)"]) == f"cost {P} and x1"


def test_generalize_needs_the_longest_value_first() -> None:
    text = "Enter Bob Smith, then Bob"
    values = query_literals('Enter "Bob" and "Bob Smith"')
    assert values == ["Bob Smith", "Bob"]
    assert generalize_literals(text, values) == f"Enter {P}, then {P}"


def test_generalize_with_a_custom_placeholder_and_no_values() -> None:
    assert generalize_literals("Type AU", ["AU"], placeholder="<v>") == "Type <v>"
    assert generalize_literals("Type AU", []) == "Type AU"


def test_mask_replaces_quoted_values_and_codes_only() -> None:
    query = 'Enter "Bob" and \u201cX\u201d, select DKkQH, click 5, not the user\'s Submit'
    assert mask_literals(query) == f"Enter {MASK} and {MASK}, select {MASK}, click 5, not the user's Submit"


def test_masked_queries_of_one_kind_are_equal() -> None:
    a = mask_literals('Enter "Agustina" into the text field.')
    b = mask_literals("Enter 'Bob' into the text field.")
    assert a == b == f"Enter {MASK} into the text field."


def test_empty_quotes_are_no_value() -> None:
    assert query_literals('Type "" and then "x"') == ["x"]


@pytest.mark.parametrize(
    ("query", "text", "reads"),
    [  # issue 25, item 14: the two lessons it quotes, then each context a value stands in
        (
            'Enter "Acme" into the text field',
            "To simulate the Acme environment, type Acme.",
            "To simulate the environment named in the task, type the value given in the task.",
        ),
        (
            "Select 07DO and click Submit.",
            "Identify the '07DO' button",
            "Identify the button named in the task",
        ),
        (
            'Enter the password "3S" and press login.',
            "Type the value '3S' into the 'Password' field.",
            "Type the value given in the task into the 'Password' field.",
        ),
        ('Enter "cierra"', "Type the username cierra first.", "Type the username given in the task first."),
        ('Click "OK"', "Click an 'OK' button.", "Click a button named in the task."),
        ('Click "Edit"', "Find an 'Edit' entry.", "Find an entry named in the task."),
        (
            'Click "OK"',
            "Click the 'OK' and then Submit.",
            "Click the value given in the task and then Submit.",
        ),
        ('Click "OK"', "Press a 'OK'.", "Press a value given in the task."),
        (
            'Enter "Bob"',
            "Bob goes in the first field.",
            "The value given in the task goes in the first field.",
        ),
        (
            'Enter "Bob"',
            'Wait. "Bob" goes first.\nBob again.',
            "Wait. The value given in the task goes first.\nThe value given in the task again.",
        ),
        ('Enter "Bob"', "The Bob field is first.", "The field named in the task is first."),
        ('Enter "Bob Lee"', 'Type "Bob Lee" exactly.', "Type the value given in the task exactly."),
        ('Enter "Bob"', "Open Bob's profile.", "Open the task's profile."),
        ('Enter "Bob"', "Open the 'Bob''s profile.", "Open the task's profile."),
        ('Select "AU"', 'Select both "AU"s.', "Select both values given in the task."),
        ('Select "AU"', 'Tick the "AU"s first.', "Tick the values given in the task first."),
    ],
)
def test_a_generalised_lesson_reads_as_a_sentence(query: str, text: str, reads: str) -> None:
    out = generalize_literals(text, query_literals(query))
    assert out == reads
    words = out.lower().split()
    assert all(a != b for a, b in itertools.pairwise(words)), out  # no "the the"


def test_a_possessive_after_a_noun_keeps_the_noun() -> None:
    out = generalize_literals("Open the user Bob's profile.", ["Bob"])
    assert out == "Open the user's profile."


def test_an_adjective_before_the_value_is_not_its_noun() -> None:
    assert generalize_literals("Type the first Bob.", ["Bob"]) == "Type the first value given in the task."
