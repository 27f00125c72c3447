"""Where a LiteLLM model is and how to reach it: one config for the chat client and the embedder.

An :class:`Endpoint` holds the model name and the connection settings
(``api_base``, ``api_key``, ``timeout``, retries, extra LiteLLM keywords) and
knows what to do with them: route a bare model name behind an ``api_base`` to
``openai/<model>``, send the placeholder key a local server's client insists
on, check a hosted provider's key before the first call, and run a call
behind the real-call guard with retries. :class:`~reasoningbank.llm.litellm_client.LiteLLMClient` and
:class:`~reasoningbank.embed.litellm_embedder.LiteLLMEmbedder` both take one
(or the same settings as keyword arguments, collected in :class:`Connection`).
"""

from __future__ import annotations

import ipaddress
import logging
import warnings
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from functools import cached_property
from types import MappingProxyType, ModuleType
from typing import TYPE_CHECKING, Any, TypedDict, TypeVar
from urllib.parse import urlsplit

from .base import check_real_call
from .litellm_base import DUMMY_API_KEY, import_litellm, resolve_model
from .retry import HealthCheck, LLMCallError, call_with_retries

log = logging.getLogger(__name__)
_T = TypeVar("_T")


class Connection(TypedDict, total=False):
    """The connection keywords the LiteLLM client and embedder take: :class:`Endpoint`'s fields
    but the model."""

    api_base: str | None
    api_key: str | None
    timeout: float
    max_retries: int
    backoff: float
    extra: Mapping[str, Any] | None


def is_loopback_host(host: str) -> bool:
    """Whether ``host`` (a name or an address) is this machine's loopback."""
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


@dataclass(frozen=True)
class Endpoint:
    """One LiteLLM model and how to reach it.

    ``api_base`` is an OpenAI-compatible server (a bare model name is then sent
    as ``openai/<model>``); ``api_key`` overrides the provider's environment
    variable (it is left out of the repr); ``timeout`` is per request, in
    seconds; transient failures are retried ``max_retries`` times with
    exponential ``backoff``; ``extra`` is merged into every LiteLLM call, over
    everything else.
    """

    model: str
    api_base: str | None = None
    api_key: str | None = field(default=None, repr=False)
    timeout: float = 120
    max_retries: int = 3
    backoff: float = 1.0
    extra: Mapping[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if not isinstance(self.model, str) or not self.model.strip():
            raise ValueError(f"a LiteLLM endpoint needs a model name, got {self.model!r}")
        if self.max_retries < 0:
            raise ValueError(f"max_retries must be >= 0, got {self.max_retries}")
        if self.timeout <= 0:
            raise ValueError(f"timeout must be positive, got {self.timeout}")
        object.__setattr__(self, "api_base", self.api_base.rstrip("/") if self.api_base else None)
        object.__setattr__(self, "extra", MappingProxyType(dict(self.extra or {})))

    @classmethod
    def of(cls, model: str | Endpoint, connection: Connection, **defaults: Any) -> Endpoint:
        """The endpoint a constructor was given: ``model`` (a name, with ``defaults`` under
        ``connection``; or an endpoint, with ``connection`` replacing its fields)."""
        given: dict[str, Any] = dict(connection)
        if isinstance(model, Endpoint):
            return replace(model, **given) if given else model
        return cls(model, **{**defaults, **given})

    @cached_property
    def routed_model(self) -> str:
        """The model string handed to LiteLLM (``openai/<model>`` behind an ``api_base``)."""
        return resolve_model(self.model, self.api_base)

    @property
    def is_local(self) -> bool:
        """Whether ``api_base`` is a server on this host (loopback), which generates on its CPU."""
        host = urlsplit(self.api_base).hostname if self.api_base else None
        return host is not None and is_loopback_host(host)

    def describe(self, what: str = "model") -> str:
        """``model 'x' at http://...``: how errors name this endpoint."""
        return f"{what} {self.model!r}" + (f" at {self.api_base}" if self.api_base else "")

    def request(self, **fields: Any) -> dict[str, Any]:
        """The keyword arguments of one LiteLLM call: the routed model and the connection, the
        call's own ``fields`` (``messages``, ``input``, ``temperature`` ...), then ``extra``.
        LiteLLM's own retries are off: :meth:`call` retries, with backoff."""
        kwargs: dict[str, Any] = {
            "model": self.routed_model,
            "timeout": self.timeout,
            "num_retries": 0,
            "max_retries": 0,
            **fields,
        }
        if self.api_base:
            kwargs["api_base"] = self.api_base
        api_key = self.api_key
        if api_key is None and self.api_base and self.routed_model.startswith("openai/"):
            api_key = DUMMY_API_KEY
        if api_key is not None:
            kwargs["api_key"] = api_key
        kwargs.update(self.extra)
        return kwargs

    def call(
        self,
        send: Callable[[ModuleType], _T],
        *,
        what: str = "model",
        health_check: HealthCheck | None = None,
    ) -> _T:
        """``send(litellm)``, retried on transient failures, after the real-call guard and the
        API-key check. ``health_check`` runs after every failure (see :data:`HealthCheck`)."""
        where = self.describe(what)
        check_real_call(where)
        self.check_keys(what)
        litellm = import_litellm()
        return call_with_retries(
            lambda: send(litellm),
            where=where,
            max_retries=self.max_retries,
            backoff=self.backoff,
            health_check=health_check,
        )

    def check_keys(self, what: str = "model") -> None:
        """Fail at once, in one line, when a hosted provider's API key is not set. Checked only
        when neither ``api_key`` nor ``api_base`` is given (a local server needs no key)."""
        if self.api_key is not None or self.api_base is not None:
            return
        litellm = import_litellm()
        try:
            missing = list(litellm.validate_environment(model=self.routed_model).get("missing_keys") or [])
        except Exception as exc:  # an unknown provider: let the call itself report
            log.debug("could not check the environment for %s (%s)", self.model, exc)
            missing = []
        if missing:
            raise LLMCallError(
                f"{self.describe(what)} needs {', '.join(missing)} set in the environment (or api_key=); "
                "no call was made",
                attempts=0,
                retryable=False,
            )


_MOVED = frozenset(Connection.__optional_keys__) - {"api_base"}
"""The connection settings the client and the embedder used to keep as their own attributes."""


class EndpointBound:
    """Something that calls the model at ``self.endpoint``; ``model`` and ``api_base`` read from it.

    The other connection settings (``api_key``, ``timeout``, ``max_retries``, ``backoff``,
    ``extra``) live on the endpoint only: reading them here still works, with a
    :class:`DeprecationWarning`; setting them raises (the endpoint is frozen).
    """

    endpoint: Endpoint

    @property
    def model(self) -> str:
        return self.endpoint.model

    @property
    def api_base(self) -> str | None:
        return self.endpoint.api_base

    if not TYPE_CHECKING:  # type checkers should flag these names, not type them as Any

        def __getattr__(self, name: str) -> Any:
            if name not in _MOVED:
                raise AttributeError(f"{type(self).__name__!r} object has no attribute {name!r}")
            warnings.warn(
                f"{type(self).__name__}.{name} is deprecated; read .endpoint.{name}",
                DeprecationWarning,
                stacklevel=2,
            )
            return getattr(self.endpoint, name)

    def __setattr__(self, name: str, value: object) -> None:
        if name in _MOVED:
            raise AttributeError(
                f"{name} is a field of the frozen .endpoint; pass {name}= to the constructor "
                f"(or an endpoint made with dataclasses.replace(obj.endpoint, {name}=...))"
            )
        super().__setattr__(name, value)


__all__ = ["Connection", "Endpoint", "EndpointBound", "is_loopback_host"]
