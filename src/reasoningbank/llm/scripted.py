"""ScriptedLLM: a fake model that answers from a script and records every call (for tests)."""

from __future__ import annotations

import asyncio
import json
import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from .base import LLMResponse, Message

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
