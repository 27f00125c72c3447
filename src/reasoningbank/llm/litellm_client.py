"""The real :class:`~reasoningbank.llm.LLM`: any model LiteLLM can reach.

Hosted providers (``"gpt-4.1"``, ``"anthropic/claude-..."``, ``"gemini/..."``) work
with their usual API keys; an ``api_base`` with a bare model name means an
OpenAI-compatible server (llama.cpp, vLLM, Ollama), reached as ``openai/<model>``.

LiteLLM is imported lazily, on the first real call, with
``LITELLM_LOCAL_MODEL_COST_MAP=True`` set first so the import never tries to
download a price list. Every request passes the real-call guard
(:func:`reasoningbank.llm.check_real_call`) first.
"""

from __future__ import annotations

import asyncio
import logging
import os
import random
import re
import time
from collections.abc import Awaitable, Callable, Sequence
from types import ModuleType
from typing import Any, Literal, TypeVar

from . import LLMResponse, Message, check_real_call

log = logging.getLogger(__name__)

JsonMode = Literal["auto", "json_object", "json_schema", "none"]
_JSON_MODES: tuple[str, ...] = ("auto", "json_object", "json_schema", "none")
_DUMMY_API_KEY = "sk-no-key-needed"
_T = TypeVar("_T")


class LLMCallError(RuntimeError):
    """A model call failed (after any retries). ``__cause__`` holds the backend error."""

    def __init__(self, message: str, *, attempts: int, retryable: bool) -> None:
        super().__init__(message)
        self.attempts = attempts
        self.retryable = retryable


def import_litellm() -> ModuleType:
    """Import LiteLLM without letting it fetch a remote price list."""
    os.environ.setdefault("LITELLM_LOCAL_MODEL_COST_MAP", "True")
    import litellm

    # LiteLLM prints provider hints to stdout on some errors (e.g. an unpriced model).
    litellm.suppress_debug_info = True
    return litellm


def is_retryable(exc: BaseException) -> bool:
    """Timeouts, connection errors, rate limits and 5xx answers are worth retrying."""
    litellm = import_litellm()
    transient = (
        litellm.Timeout,
        litellm.APIConnectionError,
        litellm.RateLimitError,
        litellm.ServiceUnavailableError,
        litellm.InternalServerError,
        litellm.BadGatewayError,
    )
    if isinstance(exc, transient):
        return True
    status = getattr(exc, "status_code", None)
    if isinstance(status, int):
        return status == 429 or status >= 500
    return isinstance(exc, TimeoutError | ConnectionError)


def backoff_delay(attempt: int, backoff: float) -> float:
    """Exponential backoff with full jitter: ``backoff * 2**attempt * U(0.5, 1.5)``."""
    if backoff <= 0:
        return 0.0
    return float(backoff * (2**attempt) * random.uniform(0.5, 1.5))


def resolve_model(model: str, api_base: str | None) -> str:
    """``openai/<model>`` for a bare model name served at ``api_base``; else unchanged."""
    if api_base is None:
        return model
    prefix = model.split("/", 1)[0] if "/" in model else ""
    if prefix:
        litellm = import_litellm()
        known = {str(getattr(p, "value", p)) for p in litellm.provider_list}
        if prefix in known:
            return model
    return f"openai/{model}"


def _describe(model: str, api_base: str | None) -> str:
    return f"model {model!r}" + (f" at {api_base}" if api_base else "")


def _fail(where: str, exc: BaseException, attempts: int, retryable: bool) -> LLMCallError:
    kind = "after the last retry" if retryable else "with a non-retryable error"
    return LLMCallError(
        f"call to {where} failed {kind} ({attempts} attempt{'s' if attempts != 1 else ''}): "
        f"{type(exc).__name__}: {exc}",
        attempts=attempts,
        retryable=retryable,
    )


def call_with_retries(fn: Callable[[], _T], *, where: str, max_retries: int, backoff: float) -> _T:
    """Run ``fn``; retry transient failures ``max_retries`` times with backoff."""
    attempt = 0
    while True:
        try:
            return fn()
        except Exception as exc:
            retryable = is_retryable(exc)
            if not retryable or attempt >= max_retries:
                raise _fail(where, exc, attempt + 1, retryable) from exc
            delay = backoff_delay(attempt, backoff)
            log.warning("call to %s failed (%s); retry %d in %.1fs", where, exc, attempt + 1, delay)
            time.sleep(delay)
            attempt += 1


async def acall_with_retries(
    fn: Callable[[], Awaitable[_T]], *, where: str, max_retries: int, backoff: float
) -> _T:
    """Async twin of :func:`call_with_retries`."""
    attempt = 0
    while True:
        try:
            return await fn()
        except Exception as exc:
            retryable = is_retryable(exc)
            if not retryable or attempt >= max_retries:
                raise _fail(where, exc, attempt + 1, retryable) from exc
            delay = backoff_delay(attempt, backoff)
            log.warning("call to %s failed (%s); retry %d in %.1fs", where, exc, attempt + 1, delay)
            await asyncio.sleep(delay)
            attempt += 1


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


class LiteLLMClient:
    """An :class:`~reasoningbank.llm.LLM` backed by ``litellm.completion``.

    ``json_mode`` decides how a ``json_schema`` request is sent:

    * ``"json_object"``: ``{"type": "json_object", "schema": ...}`` (llama.cpp's
      grammar-constrained form; it rejects ``json_schema``);
    * ``"json_schema"``: OpenAI structured outputs
      ``{"type": "json_schema", "json_schema": {"name": ..., "schema": ...}}``;
    * ``"none"``: no ``response_format`` (the caller validates the text);
    * ``"auto"`` (default): ``json_object`` when an ``api_base`` is given (a local
      OpenAI-compatible server), ``json_schema`` for hosted models.

    ``extra`` is merged into every ``litellm.completion`` call.
    """

    def __init__(
        self,
        model: str,
        *,
        api_base: str | None = None,
        api_key: str | None = None,
        timeout: float = 120,
        max_retries: int = 3,
        backoff: float = 1.0,
        default_temperature: float | None = None,
        extra: dict[str, Any] | None = None,
        json_mode: JsonMode = "auto",
    ) -> None:
        if not model:
            raise ValueError("LiteLLMClient needs a model name")
        if json_mode not in _JSON_MODES:
            raise ValueError(f"json_mode must be one of {_JSON_MODES}, got {json_mode!r}")
        if max_retries < 0:
            raise ValueError("max_retries must be >= 0")
        if timeout <= 0:
            raise ValueError("timeout must be positive")
        self.model = model
        self.api_base = api_base.rstrip("/") if api_base else None
        self.api_key = api_key
        self.timeout = timeout
        self.max_retries = max_retries
        self.backoff = backoff
        self.default_temperature = default_temperature
        self.extra: dict[str, Any] = dict(extra or {})
        self.json_mode: JsonMode = json_mode
        self._routed: str | None = None

    def __repr__(self) -> str:
        return f"LiteLLMClient(model={self.model!r}, api_base={self.api_base!r})"

    # ------------------------------------------------------------------ request building

    @property
    def routed_model(self) -> str:
        """The model string handed to LiteLLM (``openai/<model>`` behind an ``api_base``)."""
        if self._routed is None:
            self._routed = resolve_model(self.model, self.api_base)
        return self._routed

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
        self,
        messages: Sequence[Message],
        *,
        temperature: float | None = None,
        max_tokens: int | None = None,
        json_schema: dict[str, Any] | None = None,
        seed: int | None = None,
    ) -> dict[str, Any]:
        """The keyword arguments for ``litellm.completion`` (no call is made)."""
        kwargs: dict[str, Any] = {
            "model": self.routed_model,
            "messages": [dict(m) for m in messages],
            "timeout": self.timeout,
            "num_retries": 0,  # retries are ours, with backoff
            "max_retries": 0,
        }
        if self.api_base:
            kwargs["api_base"] = self.api_base
        api_key = self.api_key
        if api_key is None and self.api_base and self.routed_model.startswith("openai/"):
            api_key = _DUMMY_API_KEY
        if api_key is not None:
            kwargs["api_key"] = api_key
        temp = temperature if temperature is not None else self.default_temperature
        if temp is not None:
            kwargs["temperature"] = temp
        if max_tokens is not None:
            kwargs["max_tokens"] = max_tokens
        if seed is not None:
            kwargs["seed"] = seed
        fmt = self.response_format(json_schema)
        if fmt is not None:
            kwargs["response_format"] = fmt
        kwargs.update(self.extra)
        return kwargs

    # ------------------------------------------------------------------ calls

    def _where(self) -> str:
        return _describe(self.model, self.api_base)

    def complete(
        self,
        messages: Sequence[Message],
        *,
        temperature: float | None = None,
        max_tokens: int | None = None,
        json_schema: dict[str, Any] | None = None,
        seed: int | None = None,
    ) -> LLMResponse:
        check_real_call(self._where())
        kwargs = self.request_kwargs(
            messages, temperature=temperature, max_tokens=max_tokens, json_schema=json_schema, seed=seed
        )
        litellm = import_litellm()
        start = time.perf_counter()
        resp = call_with_retries(
            lambda: litellm.completion(**kwargs),
            where=self._where(),
            max_retries=self.max_retries,
            backoff=self.backoff,
        )
        return self._parse(resp, time.perf_counter() - start)

    async def acomplete(
        self,
        messages: Sequence[Message],
        *,
        temperature: float | None = None,
        max_tokens: int | None = None,
        json_schema: dict[str, Any] | None = None,
        seed: int | None = None,
    ) -> LLMResponse:
        check_real_call(self._where())
        kwargs = self.request_kwargs(
            messages, temperature=temperature, max_tokens=max_tokens, json_schema=json_schema, seed=seed
        )
        litellm = import_litellm()
        start = time.perf_counter()

        async def once() -> Any:
            return await litellm.acompletion(**kwargs)

        resp = await acall_with_retries(
            once, where=self._where(), max_retries=self.max_retries, backoff=self.backoff
        )
        return self._parse(resp, time.perf_counter() - start)

    def _parse(self, resp: Any, seconds: float) -> LLMResponse:
        try:
            text = resp.choices[0].message.content
        except (AttributeError, IndexError, KeyError, TypeError) as exc:
            raise LLMCallError(
                f"{self._where()} returned a response without a message: {resp!r}",
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
        )


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
