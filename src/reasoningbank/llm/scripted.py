"""ScriptedLLM: a fake model that answers from a script and records every call (for tests)."""

from __future__ import annotations

import json
import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from typing import Any, Unpack

from .base import CompletionOptions, LLMResponse, Message, check_options

Reply = str | LLMResponse
"""A scripted answer: its text, or a whole :class:`LLMResponse` (to script log-probabilities)."""
Responder = Callable[[Sequence[Message]], Reply]


@dataclass
class RecordedCall:
    messages: list[Message]
    temperature: float | None
    max_tokens: int | None
    json_schema: dict[str, Any] | None
    top_logprobs: int | None = None


@dataclass
class ScriptedLLM:
    """A fake LLM that answers from a script and records every call.

    ``responses`` is consumed in order; each entry is a string, an
    :class:`LLMResponse` (returned as given, with word-count usage filled in
    when it has none; use it to script ``logprobs``) or a callable that receives
    the messages and returns either. When the script runs out, ``default`` is
    used (or an error is raised if ``default`` is None). Token counts are the
    number of whitespace-separated words, so usage accounting can be tested.
    Log-probabilities are returned only when the call asked for them.
    """

    responses: list[Reply | Responder] = field(default_factory=list)
    default: Reply | Responder | None = None
    model: str = "scripted"
    calls: list[RecordedCall] = field(default_factory=list)
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def complete(self, messages: Sequence[Message], **options: Unpack[CompletionOptions]) -> LLMResponse:
        check_options(options)
        top_logprobs = options.get("top_logprobs")
        with self._lock:
            self.calls.append(
                RecordedCall(
                    [dict(m) for m in messages],  # type: ignore[misc]
                    options.get("temperature"),
                    options.get("max_tokens"),
                    options.get("json_schema"),
                    top_logprobs,
                )
            )
            if self.responses:
                nxt: Reply | Responder | None = self.responses.pop(0)
            else:
                nxt = self.default
        if nxt is None:
            raise RuntimeError(
                f"ScriptedLLM ran out of responses after {len(self.calls) - 1} calls and has no default"
            )
        reply = nxt(messages) if callable(nxt) else nxt
        scripted = reply if isinstance(reply, LLMResponse) else LLMResponse(text=reply, model=self.model)
        return replace(
            scripted,
            model=scripted.model or self.model,
            prompt_tokens=scripted.prompt_tokens or sum(len(m["content"].split()) for m in messages),
            completion_tokens=scripted.completion_tokens or len(scripted.text.split()),
            logprobs=scripted.logprobs if top_logprobs else (),
        )


def json_text(obj: Any) -> str:
    """Serialise ``obj`` as a scripted JSON response."""
    return json.dumps(obj)
