"""Ask a model for output that must parse, with one reminder when it does not.

The judge, the extractor and the AWM workflow inducer all do the same thing:
send messages, parse the reply, and on an unreadable reply show the model its
own answer followed by a format reminder, once. :func:`ask_parsed` is that
loop; :data:`ATTEMPT_SEPARATOR` joins the raw text of every attempt for the
audit record.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

from ..models import Usage
from ..text.clean import clean_reply
from .base import LLM, Message, TokenLogprob

T = TypeVar("T")

ATTEMPT_SEPARATOR = "\n\n----- retry -----\n\n"


@dataclass(frozen=True)
class Answer(Generic[T]):
    """The parsed value (None when no attempt could be read), every raw reply and their cost."""

    value: T | None
    attempts: list[str]
    usage: Usage
    model: str
    logprobs: tuple[TokenLogprob, ...] = ()  # of the last attempt, when asked for

    @property
    def raw(self) -> str:
        """The raw text of every attempt, joined by :data:`ATTEMPT_SEPARATOR`."""
        return ATTEMPT_SEPARATOR.join(self.attempts)

    @property
    def retried(self) -> bool:
        return len(self.attempts) > 1


def ask_parsed(
    llm: LLM,
    messages: Sequence[Message],
    parse: Callable[[str], T | None],
    retry_prompt: str,
    *,
    temperature: float | None = None,
    max_tokens: int | None = None,
    json_schema: dict[str, Any] | None = None,
    retries: int = 1,
    top_logprobs: int | None = None,
) -> Answer[T]:
    """Call ``llm`` and parse its reply; on None, retry ``retries`` times with ``retry_prompt``.

    ``parse`` returns None for output it cannot read (an empty result that is
    still a valid answer must be returned as a value, not None).
    """
    convo = list(messages)
    usage = Usage()
    attempts: list[str] = []
    model = str(getattr(llm, "model", ""))
    for attempt in range(retries + 1):
        resp = llm.complete(
            convo,
            temperature=temperature,
            max_tokens=max_tokens,
            json_schema=json_schema,
            **({"top_logprobs": top_logprobs} if top_logprobs else {}),
        )
        usage = usage + resp.usage
        model = resp.model or model
        text = clean_reply(resp.text)  # the one place replies are cleaned: no lone surrogate or NUL
        attempts.append(text)
        value = parse(text)
        if value is not None:
            return Answer(value, attempts, usage, model, resp.logprobs)
        if attempt < retries:
            convo = [
                *convo,
                {"role": "assistant", "content": text},
                {"role": "user", "content": retry_prompt},
            ]
    return Answer(None, attempts, usage, model, resp.logprobs)


__all__ = ["ATTEMPT_SEPARATOR", "Answer", "ask_parsed"]
