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

import logging
import re
import time
from collections.abc import Sequence
from typing import Any, Literal, TypeVar

from .base import LLMResponse, Message, TokenLogprob, check_real_call
from .litellm_base import DUMMY_API_KEY, describe, import_litellm, resolve_model
from .retry import HealthCheck, LLMCallError, acall_with_retries, call_with_retries

log = logging.getLogger(__name__)

JsonMode = Literal["auto", "json_object", "json_schema", "none"]
_JSON_MODES: tuple[str, ...] = ("auto", "json_object", "json_schema", "none")
_T = TypeVar("_T")


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
        health_check: HealthCheck | None = None,
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
        # Called when a request fails: a local server wrapper raises there if its server died.
        self.health_check = health_check
        self._routed: str | None = None
        self._keys_checked = False

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
        top_logprobs: int | None = None,
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
            api_key = DUMMY_API_KEY
        if api_key is not None:
            kwargs["api_key"] = api_key
        temp = temperature if temperature is not None else self.default_temperature
        if temp is not None:
            kwargs["temperature"] = temp
        if max_tokens is not None:
            kwargs["max_tokens"] = max_tokens
        if seed is not None:
            kwargs["seed"] = seed
        if top_logprobs:
            kwargs["logprobs"] = True
            kwargs["top_logprobs"] = top_logprobs
        fmt = self.response_format(json_schema)
        if fmt is not None:
            kwargs["response_format"] = fmt
        kwargs.update(self.extra)
        return kwargs

    # ------------------------------------------------------------------ calls

    def _where(self) -> str:
        return describe(self.model, self.api_base)

    def complete(
        self,
        messages: Sequence[Message],
        *,
        temperature: float | None = None,
        max_tokens: int | None = None,
        json_schema: dict[str, Any] | None = None,
        seed: int | None = None,
        top_logprobs: int | None = None,
    ) -> LLMResponse:
        check_real_call(self._where())
        self._check_keys()
        kwargs = self.request_kwargs(
            messages,
            temperature=temperature,
            max_tokens=max_tokens,
            json_schema=json_schema,
            seed=seed,
            top_logprobs=top_logprobs,
        )
        litellm = import_litellm()
        start = time.perf_counter()
        resp = call_with_retries(
            lambda: litellm.completion(**kwargs),
            where=self._where(),
            max_retries=self.max_retries,
            backoff=self.backoff,
            health_check=self.health_check,
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
        top_logprobs: int | None = None,
    ) -> LLMResponse:
        check_real_call(self._where())
        self._check_keys()
        kwargs = self.request_kwargs(
            messages,
            temperature=temperature,
            max_tokens=max_tokens,
            json_schema=json_schema,
            seed=seed,
            top_logprobs=top_logprobs,
        )
        litellm = import_litellm()
        start = time.perf_counter()

        async def once() -> Any:
            return await litellm.acompletion(**kwargs)

        resp = await acall_with_retries(
            once,
            where=self._where(),
            max_retries=self.max_retries,
            backoff=self.backoff,
            health_check=self.health_check,
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
            logprobs=parse_logprobs(resp),
        )

    def _check_keys(self) -> None:
        """Fail at once, in one line, when a hosted provider's API key is not set.

        Checked once per client, and only when neither ``api_key`` nor
        ``api_base`` is given (a local server needs no key).
        """
        if self._keys_checked or self.api_key is not None or self.api_base is not None:
            return
        litellm = import_litellm()
        try:
            missing = list(litellm.validate_environment(model=self.routed_model).get("missing_keys") or [])
        except Exception as exc:  # an unknown provider: let the call itself report
            log.debug("could not check the environment for %s (%s)", self.model, exc)
            missing = []
        if missing:
            raise LLMCallError(
                f"{self._where()} needs {', '.join(missing)} set in the environment (or api_key=); "
                "no call was made",
                attempts=0,
                retryable=False,
            )
        self._keys_checked = True


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
