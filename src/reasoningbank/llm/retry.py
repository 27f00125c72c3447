"""Retries for model calls: what counts as transient, backoff, and the error raised at the end.

A missing or refused API key, a bad request or a dead local server is never
retried: the caller hears about it at once, in one line. Timeouts, connection
errors, rate limits and 5xx answers are retried with exponential backoff.
"""

from __future__ import annotations

import logging
import random
import re
import time
from collections.abc import Callable
from typing import TypeVar

from .litellm_base import import_litellm

log = logging.getLogger(__name__)
_T = TypeVar("_T")


class LLMCallError(RuntimeError):
    """A model call failed (after any retries). ``__cause__`` holds the backend error."""

    def __init__(self, message: str, *, attempts: int, retryable: bool) -> None:
        super().__init__(message)
        self.attempts = attempts
        self.retryable = retryable


# A missing or refused API key is not transient, whatever class the provider's SDK gives it
# (LiteLLM reports OpenAI's missing key as an InternalServerError).
_CREDENTIAL_ERRORS = re.compile(
    r"missing credentials|api[_ ]?key (?:client option )?must be set|no api key|invalid api key|"
    r"incorrect api key|api key not (?:found|valid)|authentication",
    re.IGNORECASE,
)


def is_credential_error(exc: BaseException) -> bool:
    """True when ``exc`` says the API key is missing or refused."""
    litellm = import_litellm()
    if isinstance(exc, litellm.AuthenticationError | litellm.PermissionDeniedError):
        return True
    return getattr(exc, "status_code", None) in (401, 403) or bool(_CREDENTIAL_ERRORS.search(str(exc)))


def is_retryable(exc: BaseException) -> bool:
    """Timeouts, connection errors, rate limits and 5xx answers are worth retrying;
    a missing or refused API key never is."""
    litellm = import_litellm()
    if is_credential_error(exc):
        return False
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


def _fail(where: str, exc: BaseException, attempts: int, retryable: bool) -> LLMCallError:
    kind = "after the last retry" if retryable else "with a non-retryable error"
    return LLMCallError(
        f"call to {where} failed {kind} ({attempts} attempt{'s' if attempts != 1 else ''}): "
        f"{type(exc).__name__}: {exc}",
        attempts=attempts,
        retryable=retryable,
    )


HealthCheck = Callable[[], None]
"""Called when a request fails, before any retry; raises when the backend is gone for good
(e.g. a local model server that died), so the caller fails at once."""


def call_with_retries(
    fn: Callable[[], _T],
    *,
    where: str,
    max_retries: int,
    backoff: float,
    health_check: HealthCheck | None = None,
) -> _T:
    """Run ``fn``; retry transient failures ``max_retries`` times with backoff."""
    attempt = 0
    while True:
        try:
            return fn()
        except Exception as exc:
            if health_check is not None:
                health_check()
            retryable = is_retryable(exc)
            if not retryable or attempt >= max_retries:
                raise _fail(where, exc, attempt + 1, retryable) from exc
            delay = backoff_delay(attempt, backoff)
            log.warning("call to %s failed (%s); retry %d in %.1fs", where, exc, attempt + 1, delay)
            time.sleep(delay)
            attempt += 1
