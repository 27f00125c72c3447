"""The LLM seam: messages in; text, token usage and cost out.

Real implementations live in :mod:`reasoningbank.litellm_client`. This module
holds the protocol, the scripted fake shipped for users' own tests, and the
global switch that forbids real model calls (the test suite turns it on).
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import threading
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol, TypedDict, runtime_checkable

from .models import Usage

BLOCK_ENV = "REASONINGBANK_BLOCK_REAL_CALLS"


class Message(TypedDict):
    role: str
    content: str


@dataclass(frozen=True)
class LLMResponse:
    text: str
    model: str
    prompt_tokens: int = 0
    completion_tokens: int = 0
    cost: float = 0.0
    seconds: float = 0.0

    @property
    def usage(self) -> Usage:
        return Usage(
            calls=1,
            prompt_tokens=self.prompt_tokens,
            completion_tokens=self.completion_tokens,
            cost=self.cost,
            seconds=self.seconds,
        )


@runtime_checkable
class LLM(Protocol):
    """Anything that turns chat messages into text.

    ``json_schema`` asks for JSON output matching the schema where the backend
    supports it (grammar-constrained on llama.cpp); callers still validate.
    """

    model: str

    def complete(
        self,
        messages: Sequence[Message],
        *,
        temperature: float | None = None,
        max_tokens: int | None = None,
        json_schema: dict[str, Any] | None = None,
        seed: int | None = None,
    ) -> LLMResponse: ...

    async def acomplete(
        self,
        messages: Sequence[Message],
        *,
        temperature: float | None = None,
        max_tokens: int | None = None,
        json_schema: dict[str, Any] | None = None,
        seed: int | None = None,
    ) -> LLMResponse: ...


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


# --------------------------------------------------------------------------- fake


Responder = Callable[[Sequence[Message]], str]


@dataclass
class RecordedCall:
    messages: list[Message]
    temperature: float | None
    max_tokens: int | None
    json_schema: dict[str, Any] | None


@dataclass
class ScriptedLLM:
    """A fake LLM that answers from a script and records every call.

    ``responses`` is consumed in order; each entry is a string or a callable
    that receives the messages. When the script runs out, ``default`` is used
    (or an error is raised if ``default`` is None). Token counts are the number
    of whitespace-separated words, so usage accounting can be tested.
    """

    responses: list[str | Responder] = field(default_factory=list)
    default: str | Responder | None = None
    model: str = "scripted"
    calls: list[RecordedCall] = field(default_factory=list)
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def complete(
        self,
        messages: Sequence[Message],
        *,
        temperature: float | None = None,
        max_tokens: int | None = None,
        json_schema: dict[str, Any] | None = None,
        seed: int | None = None,
    ) -> LLMResponse:
        with self._lock:
            self.calls.append(
                RecordedCall([dict(m) for m in messages], temperature, max_tokens, json_schema)  # type: ignore[misc]
            )
            if self.responses:
                nxt: str | Responder | None = self.responses.pop(0)
            else:
                nxt = self.default
        if nxt is None:
            raise RuntimeError(
                f"ScriptedLLM ran out of responses after {len(self.calls) - 1} calls and has no default"
            )
        text = nxt(messages) if callable(nxt) else nxt
        prompt_tokens = sum(len(m["content"].split()) for m in messages)
        return LLMResponse(
            text=text,
            model=self.model,
            prompt_tokens=prompt_tokens,
            completion_tokens=len(text.split()),
        )

    async def acomplete(
        self,
        messages: Sequence[Message],
        *,
        temperature: float | None = None,
        max_tokens: int | None = None,
        json_schema: dict[str, Any] | None = None,
        seed: int | None = None,
    ) -> LLMResponse:
        return await asyncio.to_thread(
            self.complete,
            messages,
            temperature=temperature,
            max_tokens=max_tokens,
            json_schema=json_schema,
            seed=seed,
        )


def json_text(obj: Any) -> str:
    """Serialise ``obj`` as a scripted JSON response."""
    return json.dumps(obj)
