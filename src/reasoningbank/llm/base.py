"""The LLM protocol and the guard that forbids real model calls (the test suite turns it on)."""

from __future__ import annotations

import contextlib
import os
import threading
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol, TypedDict, Unpack, runtime_checkable

from ..models import Usage

BLOCK_ENV = "REASONINGBANK_BLOCK_REAL_CALLS"


class Message(TypedDict):
    role: str
    content: str


@dataclass(frozen=True)
class TokenLogprob:
    """One generated token, its log-probability, and the most likely alternatives at its place."""

    token: str
    logprob: float
    top: dict[str, float] = field(default_factory=dict)


@dataclass(frozen=True)
class LLMResponse:
    """A model's reply. ``logprobs`` holds one entry per generated token when they were asked
    for (``top_logprobs``) and the backend returns them; it is empty otherwise."""

    text: str
    model: str
    prompt_tokens: int = 0
    completion_tokens: int = 0
    cost: float = 0.0
    seconds: float = 0.0
    logprobs: tuple[TokenLogprob, ...] = ()

    @property
    def usage(self) -> Usage:
        return Usage(
            calls=1,
            prompt_tokens=self.prompt_tokens,
            completion_tokens=self.completion_tokens,
            cost=self.cost,
            seconds=self.seconds,
        )


class CompletionOptions(TypedDict, total=False):
    """The keyword options of :meth:`LLM.complete`; any of them may be left out.

    ``json_schema`` asks for JSON output matching the schema where the backend
    supports it (grammar-constrained on llama.cpp); callers still validate.
    ``top_logprobs=N`` asks for the N most likely tokens at every generated
    position (``LLMResponse.logprobs``); a backend that cannot return them
    returns none, and callers must cope.
    """

    temperature: float | None
    max_tokens: int | None
    json_schema: dict[str, Any] | None
    seed: int | None
    top_logprobs: int | None


def check_options(options: Mapping[str, object]) -> None:
    """Raise :class:`TypeError` naming every keyword that :meth:`LLM.complete` does not take."""
    unknown = sorted(set(options) - CompletionOptions.__optional_keys__)
    if unknown:
        known = ", ".join(sorted(CompletionOptions.__optional_keys__))
        raise TypeError(f"complete() got unexpected keyword argument(s) {', '.join(unknown)}; takes {known}")


@runtime_checkable
class LLM(Protocol):
    """Anything that turns chat messages into text, synchronously: one call, ``complete``.

    Its keyword options are :class:`CompletionOptions` (an implementation may
    spell them out as keyword-only parameters). There is no async twin: async
    callers run ``complete`` in a worker thread (``asyncio.to_thread``), as
    ``ReasoningBank.alearn`` and ``aretrieve`` do.
    """

    @property
    def model(self) -> str: ...

    def complete(self, messages: Sequence[Message], **options: Unpack[CompletionOptions]) -> LLMResponse: ...


# --------------------------------------------------------------------------- guard


class RealCallBlockedError(RuntimeError):
    """Raised when code tries to reach a real model while real calls are blocked."""


_state = threading.local()


def real_calls_blocked() -> bool:
    """True when real model calls are forbidden (``REASONINGBANK_BLOCK_REAL_CALLS=1``),
    unless inside :func:`allow_real_calls`."""
    if getattr(_state, "allowed", 0) > 0:
        return False
    return os.environ.get(BLOCK_ENV, "") not in ("", "0", "false", "False")


@contextlib.contextmanager
def allow_real_calls() -> Iterator[None]:
    """Allow real model calls in this thread for the duration of the block."""
    _state.allowed = getattr(_state, "allowed", 0) + 1
    try:
        yield
    finally:
        _state.allowed -= 1


def check_real_call(what: str) -> None:
    """Raise :class:`RealCallBlockedError` if real calls are blocked."""
    if real_calls_blocked():
        raise RealCallBlockedError(
            f"refusing a real model call to {what}: real calls are blocked "
            f"({BLOCK_ENV} is set). Use reasoningbank.llm.ScriptedLLM in tests, or wrap "
            "the call in reasoningbank.llm.allow_real_calls()."
        )
