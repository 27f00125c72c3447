"""The real :class:`~reasoningbank.llm.LLM`: any model LiteLLM can reach.

Hosted providers (``"gpt-4.1"``, ``"anthropic/claude-..."``, ``"gemini/..."``) work
with their usual API keys; an ``api_base`` with a bare model name means an
OpenAI-compatible server (llama.cpp, vLLM, Ollama), reached as ``openai/<model>``.

LiteLLM is imported lazily, on the first real call, with
``LITELLM_LOCAL_MODEL_COST_MAP=True`` set first so the import never tries to
download a price list. The connection is an :class:`~.endpoint.Endpoint`
(shared with the LiteLLM embedder): every request passes the real-call guard
(:func:`reasoningbank.llm.check_real_call`) first, then, for a hosted model,
the API-key check; transient failures are retried with backoff.
"""

from __future__ import annotations

import logging
import re
import time
from collections.abc import Sequence
from dataclasses import dataclass, replace
from typing import Any, Literal, Unpack

from .base import CompletionOptions, LLMResponse, Message, TokenLogprob, check_options
from .endpoint import Connection, Endpoint, EndpointBound
from .litellm_base import import_litellm
from .litellm_base import resolve_model as resolve_model  # re-exported: it used to live here
from .retry import HealthCheck, LLMCallError

log = logging.getLogger(__name__)

JsonMode = Literal["auto", "json_object", "json_schema", "none"]
_JSON_MODES: tuple[str, ...] = ("auto", "json_object", "json_schema", "none")


def _schema_name(schema: dict[str, Any]) -> str:
    title = schema.get("title")
    name = re.sub(r"[^A-Za-z0-9_-]", "_", title) if isinstance(title, str) and title else "response"
    return name[:64]


# Keywords a grammar-constrained server (llama.cpp) expands into repeated rules: a string
# ``maxLength`` of a few hundred makes its grammar compiler fail and the server die.
_GRAMMAR_UNSAFE_KEYS = frozenset({"maxLength", "minLength", "pattern", "format"})


def grammar_safe_schema(schema: Any) -> Any:
    """A copy of ``schema`` without the string-length keywords that llama.cpp's grammar
    compiler cannot handle. Length caps stay the caller's job (parsers truncate)."""
    if isinstance(schema, dict):
        return {k: grammar_safe_schema(v) for k, v in schema.items() if k not in _GRAMMAR_UNSAFE_KEYS}
    if isinstance(schema, list):
        return [grammar_safe_schema(v) for v in schema]
    return schema


@dataclass(frozen=True)
class CallKind:
    """Which call a client serves (``"extractor"``) and the preset section holding its
    ``max_tokens``, ``timeout`` and ``local_timeout`` (``"extract"``), for its timeout error."""

    name: str
    section: str


def timed_out(exc: LLMCallError) -> bool:
    """Whether the last attempt of a failed call ran out of time."""
    cause = exc.__cause__
    return isinstance(cause, import_litellm().Timeout | TimeoutError) or "Timeout" in type(cause).__name__


class LiteLLMClient(EndpointBound):
    """An :class:`~reasoningbank.llm.LLM` backed by ``litellm.completion``.

    ``model`` is a model name, with the connection settings of :class:`Connection`
    as keywords (``api_base``, ``api_key``, ``timeout`` = 120 s, ``max_retries``,
    ``backoff``, ``extra``: merged into every ``litellm.completion`` call), or an
    :class:`~reasoningbank.llm.endpoint.Endpoint`, whose fields those keywords
    then replace. The result is ``self.endpoint``.

    ``json_mode`` decides how a ``json_schema`` request is sent:

    * ``"json_object"``: ``{"type": "json_object", "schema": ...}`` (llama.cpp's
      grammar-constrained form; it rejects ``json_schema``);
    * ``"json_schema"``: OpenAI structured outputs
      ``{"type": "json_schema", "json_schema": {"name": ..., "schema": ...}}``;
    * ``"none"``: no ``response_format`` (the caller validates the text);
    * ``"auto"`` (default): ``json_object`` when an ``api_base`` is given (a local
      OpenAI-compatible server), ``json_schema`` for hosted models.

    ``health_check`` is called when a request fails: a local server wrapper
    raises there if its server died, so no retry waits on a dead server.

    :meth:`for_call` gives a copy for one call kind of the learning loop (the
    judge, the extractor ...) with that kind's timeout; its timeout error names
    the call and the preset keys to change.
    """

    call: CallKind | None = None

    def __init__(
        self,
        model: str | Endpoint,
        *,
        default_temperature: float | None = None,
        json_mode: JsonMode = "auto",
        health_check: HealthCheck | None = None,
        **connection: Unpack[Connection],
    ) -> None:
        if json_mode not in _JSON_MODES:
            raise ValueError(f"json_mode must be one of {_JSON_MODES}, got {json_mode!r}")
        self.endpoint = Endpoint.of(model, connection)
        self.default_temperature = default_temperature
        self.json_mode: JsonMode = json_mode
        self.health_check = health_check

    def __repr__(self) -> str:
        return f"LiteLLMClient(model={self.model!r}, api_base={self.api_base!r})"

    def for_call(self, call: CallKind, *, timeout: float, local_timeout: float) -> LiteLLMClient:
        """A copy serving ``call``: requests wait ``local_timeout`` seconds on a loopback server
        (CPU generation), ``timeout`` elsewhere."""
        seconds = local_timeout if self.endpoint.is_local else timeout
        copy = LiteLLMClient(
            replace(self.endpoint, timeout=seconds),
            default_temperature=self.default_temperature,
            json_mode=self.json_mode,
            health_check=self.health_check,
        )
        copy.call = call
        return copy

    def _timeout_error(self, exc: LLMCallError) -> LLMCallError:
        """``exc`` retold: which call timed out, after how long, and what to change."""
        assert self.call is not None
        key = f"{self.call.section}.{'local_timeout' if self.endpoint.is_local else 'timeout'}"
        return LLMCallError(
            f"the {self.call.name}'s call to {self.endpoint.describe()} timed out after "
            f"{self.endpoint.timeout:g} s ({exc.attempts} attempt{'s' if exc.attempts != 1 else ''}); "
            f"raise {key} or lower {self.call.section}.max_tokens (a [{self.call.section}] section in "
            "the --config file, or preset_overrides)",
            attempts=exc.attempts,
            retryable=exc.retryable,
        )

    # ------------------------------------------------------------------ request building

    @property
    def routed_model(self) -> str:
        """The model string handed to LiteLLM (``openai/<model>`` behind an ``api_base``)."""
        return self.endpoint.routed_model

    def _effective_json_mode(self) -> str:
        if self.json_mode != "auto":
            return self.json_mode
        return "json_object" if self.api_base else "json_schema"

    def response_format(self, json_schema: dict[str, Any] | None) -> dict[str, Any] | None:
        """The ``response_format`` sent for ``json_schema`` under this client's ``json_mode``."""
        if json_schema is None:
            return None
        mode = self._effective_json_mode()
        if mode == "json_object":
            return {"type": "json_object", "schema": grammar_safe_schema(json_schema)}
        if mode == "json_schema":
            return {
                "type": "json_schema",
                "json_schema": {"name": _schema_name(json_schema), "schema": json_schema},
            }
        return None

    def request_kwargs(
        self, messages: Sequence[Message], **options: Unpack[CompletionOptions]
    ) -> dict[str, Any]:
        """The keyword arguments for ``litellm.completion`` (no call is made)."""
        check_options(options)
        fields: dict[str, Any] = {"messages": [dict(m) for m in messages]}
        temperature = options.get("temperature")
        fields["temperature"] = self.default_temperature if temperature is None else temperature
        fields["max_tokens"] = options.get("max_tokens")
        fields["seed"] = options.get("seed")
        if options.get("top_logprobs"):
            fields.update(logprobs=True, top_logprobs=options["top_logprobs"])
        fields["response_format"] = self.response_format(options.get("json_schema"))
        return self.endpoint.request(**{k: v for k, v in fields.items() if v is not None})

    # ------------------------------------------------------------------ calls

    def complete(self, messages: Sequence[Message], **options: Unpack[CompletionOptions]) -> LLMResponse:
        kwargs = self.request_kwargs(messages, **options)
        start = time.perf_counter()
        try:
            resp = self.endpoint.call(
                lambda litellm: litellm.completion(**kwargs), health_check=self.health_check
            )
        except LLMCallError as exc:
            if self.call is not None and timed_out(exc):
                raise self._timeout_error(exc) from exc
            raise
        return self._parse(resp, time.perf_counter() - start)

    def _parse(self, resp: Any, seconds: float) -> LLMResponse:
        try:
            text = resp.choices[0].message.content
        except (AttributeError, IndexError, KeyError, TypeError) as exc:
            raise LLMCallError(
                f"{self.endpoint.describe()} returned a response without a message: {resp!r}",
                attempts=1,
                retryable=False,
            ) from exc
        usage = getattr(resp, "usage", None)
        prompt_tokens = int(getattr(usage, "prompt_tokens", 0) or 0)
        completion_tokens = int(getattr(usage, "completion_tokens", 0) or 0)
        return LLMResponse(
            text=text or "",
            model=self.model,
            prompt_tokens=prompt_tokens,
            completion_tokens=completion_tokens,
            cost=response_cost(resp),
            seconds=seconds,
            logprobs=parse_logprobs(resp),
        )


def parse_logprobs(resp: Any) -> tuple[TokenLogprob, ...]:
    """The OpenAI-style ``choices[0].logprobs.content`` of a response, or () when absent."""
    try:
        content = resp.choices[0].logprobs.content
    except (AttributeError, IndexError, KeyError, TypeError):
        content = None
    if content is None:
        try:
            content = resp.choices[0].logprobs["content"]
        except (AttributeError, IndexError, KeyError, TypeError):
            return ()
    out: list[TokenLogprob] = []
    for entry in content or []:
        token, logprob = _field(entry, "token"), _field(entry, "logprob")
        if not isinstance(token, str) or not isinstance(logprob, int | float):
            continue
        top: dict[str, float] = {}
        for alt in _field(entry, "top_logprobs") or []:
            alt_token, alt_lp = _field(alt, "token"), _field(alt, "logprob")
            if isinstance(alt_token, str) and isinstance(alt_lp, int | float):
                top[alt_token] = max(top.get(alt_token, float("-inf")), float(alt_lp))
        out.append(TokenLogprob(token=token, logprob=float(logprob), top=top))
    return tuple(out)


def _field(obj: Any, name: str) -> Any:
    return obj.get(name) if isinstance(obj, dict) else getattr(obj, name, None)


def response_cost(resp: Any) -> float:
    """The call's price in USD from LiteLLM's price map; 0.0 when the price is unknown."""
    litellm = import_litellm()
    try:
        cost = litellm.completion_cost(completion_response=resp)
    except Exception as exc:  # LiteLLM raises assorted errors for unpriced models
        log.debug("no price known for this response (%s); counting cost 0.0", exc)
        return 0.0
    try:
        return max(0.0, float(cost or 0.0))
    except (TypeError, ValueError):
        return 0.0
