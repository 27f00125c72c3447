"""One narrow yes/no question to a model, answered with a probability.

Small judges do poorly with one open verdict ("did the agent succeed?" plus
free reasoning) and better with a narrow question answered in one token. The
probability of "yes" comes from the token's log-probability where the server
returns them, else from agreement over a few sampled answers.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Literal

from ..llm import LLM, Message
from ..models import Trajectory, Usage
from ..prompts import get_prompt
from ..text.clean import clean_reply
from ..text.formatting import DEFAULT_LIMITS, Limits, action_history, final_state
from .confidence import vote_probability, yes_probability

ConfidenceMode = Literal["logprobs", "votes"]

DEFAULT_QUESTION = "Did the agent fully complete the task, exactly as asked?"

_ANSWER = re.compile(r"\b(yes|no)\b", re.IGNORECASE)


@dataclass(frozen=True)
class Answered:
    p_yes: float | None  # None: no readable answer
    how: str  # "logprobs" or "votes (n)"
    raw: str
    usage: Usage
    model: str


def question_messages(
    trajectory: Trajectory, evidence: list[str], question: str, limits: Limits = DEFAULT_LIMITS
) -> list[Message]:
    user = get_prompt("judge_question_user").render(
        intent=trajectory.query.strip(),
        actions=action_history(trajectory, limits),
        final_state=final_state(trajectory, limits),
        evidence="\n".join(f"- {line}" for line in evidence),
        question=question,
    )
    return [
        {"role": "system", "content": get_prompt("judge_question_system").render()},
        {"role": "user", "content": user},
    ]


def _vote(text: str) -> bool | None:
    m = _ANSWER.search(text[:200])
    return None if m is None else m.group(1).lower() == "yes"


def ask_yes_no(
    llm: LLM, messages: list[Message], *, mode: ConfidenceMode = "logprobs", votes: int = 3
) -> Answered:
    """P(yes) for the question in ``messages``.

    ``logprobs``: one greedy call of one token; falls back to votes when the
    backend returns no log-probabilities. ``votes``: ``votes`` samples at
    temperature 0.7 (seeded 0..n-1), P = agreement with one pseudo-vote each way.
    """
    usage = Usage()
    model = str(getattr(llm, "model", ""))
    if mode == "logprobs":
        resp = llm.complete(messages, temperature=0.0, max_tokens=1, top_logprobs=10)
        usage, model = usage + resp.usage, resp.model or model
        p = yes_probability(resp.logprobs)
        if p is not None:
            return Answered(p, "logprobs", clean_reply(resp.text), usage, model)
    texts: list[str] = []
    for seed in range(votes):
        resp = llm.complete(messages, temperature=0.7, max_tokens=3, seed=seed)
        usage, model = usage + resp.usage, resp.model or model
        texts.append(clean_reply(resp.text))
    answers = [a for a in (_vote(t) for t in texts) if a is not None]
    raw = " | ".join(texts)
    return Answered(
        vote_probability(answers), f"votes ({len(answers)} of {votes} readable)", raw, usage, model
    )
