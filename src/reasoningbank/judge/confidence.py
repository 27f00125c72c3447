"""Confidence from a model's own token probabilities, or from agreement over samples.

A judge's confidence is the probability it gives to its answer token: llama.cpp
and OpenAI-compatible servers return the top log-probabilities of every
generated token. Where a backend returns none, agreement over a few sampled
answers stands in for it.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence

from ..llm import TokenLogprob

YES = ("yes",)
NO = ("no",)
SUCCESS = ("success", "successful", "succeeded", "succeed")
FAILURE = ("fail", "failure", "failed", "unsuccessful")


def _norm(token: str) -> str:
    return token.strip().strip("\"'`*.,:;!()[]{}").lower()


def _mass(top: Mapping[str, float], words: Iterable[str]) -> float:
    wanted = set(words)
    return sum(math.exp(lp) for tok, lp in top.items() if _norm(tok) in wanted)


def binary_probability(
    top: Mapping[str, float], positive: Sequence[str], negative: Sequence[str]
) -> float | None:
    """P(positive) among the two answers at one token position; None if neither is in ``top``."""
    pos, neg = _mass(top, positive), _mass(top, negative)
    if pos + neg <= 0.0:
        return None
    return pos / (pos + neg)


def yes_probability(logprobs: Sequence[TokenLogprob]) -> float | None:
    """P(yes) at the first generated token that is a yes or a no (None without log-probabilities)."""
    for entry in logprobs[:3]:
        p = binary_probability({**entry.top, entry.token: entry.logprob}, YES, NO)
        if p is not None:
            return p
    return None


def status_probability(logprobs: Sequence[TokenLogprob]) -> float | None:
    """P(success) at the status word of a ``Status: success|failure`` reply.

    The status word is the last generated token whose top alternatives hold both
    a success word and a failure word (or that is one of them): the reasoning
    before it may mention either word in passing.
    """
    found: float | None = None
    for entry in logprobs:
        top = {**entry.top, entry.token: entry.logprob}
        if _norm(entry.token) not in (*SUCCESS, *FAILURE):
            continue
        p = binary_probability(top, SUCCESS, FAILURE)
        if p is not None:
            found = p
    return found


def vote_probability(labels: Sequence[bool]) -> float | None:
    """The share of True among sampled answers, pulled towards 1/2 by one pseudo-vote each way
    (three agreeing samples give 0.8, not 1.0); None for no samples."""
    if not labels:
        return None
    return (sum(labels) + 1) / (len(labels) + 2)
