"""Probabilities from token log-probabilities and from votes."""

from __future__ import annotations

import math

import pytest

from reasoningbank.judge.confidence import (
    binary_probability,
    status_probability,
    vote_probability,
    yes_probability,
)
from reasoningbank.llm import TokenLogprob


def _tok(token: str, **top: float) -> TokenLogprob:
    return TokenLogprob(token=token, logprob=top.get(token, -0.1), top=dict(top))


def test_yes_probability_normalises_over_yes_and_no_variants() -> None:
    p = yes_probability([_tok("Yes", Yes=math.log(0.6), yes=math.log(0.1), No=math.log(0.3))])
    assert p == pytest.approx(0.7)


def test_yes_probability_without_logprobs_or_answers() -> None:
    assert yes_probability([]) is None
    assert yes_probability([_tok("Maybe", Maybe=-0.1, Perhaps=-2.0)]) is None


def test_status_probability_reads_the_status_word_not_earlier_mentions() -> None:
    tokens = [
        _tok("Thoughts"),
        _tok(" success", **{" success": -0.05, " the": -3.0}),  # "...was not a success" in the reasoning
        _tok("Status"),
        _tok(" failure", **{" failure": math.log(0.8), " success": math.log(0.2)}),
    ]
    assert status_probability(tokens) == pytest.approx(0.2)


def test_binary_probability_none_when_neither_answer_is_listed() -> None:
    assert binary_probability({"maybe": -0.1}, ("yes",), ("no",)) is None


def test_votes_are_pulled_towards_a_half() -> None:
    assert vote_probability([True, True, True]) == pytest.approx(0.8)
    assert vote_probability([False, False, False]) == pytest.approx(0.2)
    assert vote_probability([True, False]) == pytest.approx(0.5)
    assert vote_probability([]) is None
