"""Who an MCP tool call is from and which bank it uses: the REST service's keys and banks, over MCP.

Every tool call resolves a :class:`~reasoningbank.server.keys.Principal`
before it touches a bank, and then goes through
:class:`~reasoningbank.server.service.MemoryService`, which checks the bank
again: a bank of another tenant is "not found", exactly as over REST.

* **Streamable HTTP** (:class:`BearerGuard`, :class:`RequestAccess`): every
  HTTP request needs ``Authorization: Bearer <key>``, checked with the service's
  :class:`~reasoningbank.server.keys.KeyStore` before the MCP layer sees the
  request (401 otherwise). The principal rides in the request's ASGI scope,
  so a call is judged by the key of the request that carries it, never by the
  key that opened the MCP session: reusing another client's session id gains
  nothing, and a revoked key stops working at its next request.
* **stdio** (:func:`stdio_access`): the process is launched by the user's own
  coding agent. With ``$REASONINGBANK_API_KEY`` set, the key is checked at
  start (a bad key ends the process with a clear error) and again at every call
  (:class:`KeyAccess`). Without it, and only when the state dir holds no keys
  at all, the server runs in *local mode* (:class:`LocalAccess`): one
  single-user tenant, ``local``, allowed exactly the banks named on the command
  line. A state dir with keys never falls back to local mode.

``--bank`` narrows what any key may use (:class:`BankScope`); its first bank is
the default for calls that name none.
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, replace
from typing import Any, Protocol

import anyio.to_thread
from starlette.types import ASGIApp, Receive, Scope, Send

from ..errors import BadRequest, NotFound, Unauthorized
from ..keys import KeyStore, Principal, valid_name

KEY_ENV = "REASONINGBANK_API_KEY"
"""Where ``reasoningbank mcp --transport stdio`` reads its API key (never from the command line,
which other users of the machine can see)."""
LOCAL_TENANT = "local"
PRINCIPAL_SCOPE_KEY = "reasoningbank.mcp.principal"
"""Where :class:`BearerGuard` leaves the authenticated principal in the ASGI scope."""


class AccessError(ValueError):
    """The server cannot start with this key, these banks or this state dir (said why)."""


@dataclass(frozen=True)
class BankScope:
    """The banks a server exposes (``--bank``; empty: every bank of the key), the first the default."""

    banks: tuple[str, ...] = ()

    def restrict(self, principal: Principal) -> Principal:
        if not self.banks:
            return principal
        return replace(principal, banks=principal.banks & frozenset(self.banks))

    def choose(self, principal: Principal, bank: str | None) -> str:
        """The bank a call uses: the one it names, else the default for this key."""
        if bank:
            return bank
        for name in self.banks:
            if principal.may_use(name):
                return name
        if len(principal.banks) == 1:
            return next(iter(principal.banks))
        if not principal.banks:
            raise NotFound("this API key may use none of the banks this server exposes")
        names = ", ".join(sorted(principal.banks))
        raise BadRequest(f"this API key may use several banks ({names}): name one with the bank argument")


class Access(Protocol):
    """Resolves the principal of one tool call from the transport's request (None over stdio)."""

    def principal(self, request: object | None) -> Principal: ...


@dataclass(frozen=True)
class LocalAccess:
    """Local single-user mode: the one principal that may use the banks named at start."""

    who: Principal

    def principal(self, request: object | None) -> Principal:
        return self.who


@dataclass(frozen=True)
class KeyAccess:
    """stdio with a key: the key is checked again at every call, so revoking it takes effect."""

    authenticate: Callable[[str | None], Principal | None]
    token: str
    scope: BankScope

    def principal(self, request: object | None) -> Principal:
        found = self.authenticate(self.token)
        if found is None:
            raise Unauthorized(f"the API key in ${KEY_ENV} is no longer valid (revoked?)")
        return self.scope.restrict(found)


@dataclass(frozen=True)
class RequestAccess:
    """Streamable HTTP: the principal :class:`BearerGuard` put in the request's scope."""

    scope: BankScope

    def principal(self, request: object | None) -> Principal:
        asgi_scope = getattr(request, "scope", None)
        found = asgi_scope.get(PRINCIPAL_SCOPE_KEY) if isinstance(asgi_scope, dict) else None
        if not isinstance(found, Principal):  # the guard lets no such request through
            raise Unauthorized("a valid API key is needed: send 'Authorization: Bearer <key>'")
        return self.scope.restrict(found)


def bank_scope(banks: Sequence[str]) -> BankScope:
    """The ``--bank`` names, checked and without repeats."""
    for name in banks:
        if not valid_name(name):
            raise AccessError(
                f"invalid bank name {name!r}: 1-64 letters, digits, '.', '_' or '-', "
                "starting with a letter or digit"
            )
    return BankScope(tuple(dict.fromkeys(banks)))


def stdio_access(
    keys: KeyStore,
    banks: Sequence[str],
    *,
    local_default: str = "default",
    env: Mapping[str, str] | None = None,
) -> tuple[Access, BankScope]:
    """The access of a stdio server (see the module's docstring) and the banks it exposes.

    ``banks`` are the ``--bank`` names: with a key, a subset of its banks (none:
    all of them); in local mode, the banks the local user gets (none:
    ``local_default``). Raises :class:`AccessError`.
    """
    token = (env if env is not None else os.environ).get(KEY_ENV, "").strip()
    if token:
        found = keys.authenticate(token)
        if found is None:
            raise AccessError(
                f"${KEY_ENV} is not a valid API key for this state dir (unknown, revoked or malformed)"
            )
        scope = bank_scope(banks)
        for name in scope.banks:
            if not found.may_use(name):
                raise AccessError(f"no bank {name!r} for the API key in ${KEY_ENV}")
        return KeyAccess(keys.authenticate, token, scope), scope
    if keys.list():
        raise AccessError(
            f"this state dir holds API keys: set ${KEY_ENV} to one of them "
            "(local mode, without a key, is only for a state dir without keys)"
        )
    scope = bank_scope(list(banks) or [local_default])
    local = Principal(key_id="local", tenant=LOCAL_TENANT, banks=frozenset(scope.banks))
    return LocalAccess(local), scope


# ----------------------------------------------------------------------------- HTTP


def bearer_token(headers: Mapping[str, str]) -> str | None:
    header = headers.get("authorization")
    if header is None:
        return None
    scheme, _, token = header.strip().partition(" ")
    return token.strip() if scheme.lower() == "bearer" and token.strip() else None


class BearerGuard:
    """ASGI middleware: 401 without a valid key, else the principal goes into the scope.

    Outermost, before the MCP transport reads anything, so an anonymous caller
    gets no MCP session and makes the server parse no body. Lifespan events
    pass through.
    """

    def __init__(self, app: ASGIApp, *, authenticate: Callable[[str | None], Principal | None]) -> None:
        self.app = app
        self.authenticate = authenticate

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers = {k.decode("latin-1").lower(): v.decode("latin-1") for k, v in scope.get("headers", [])}
        token = bearer_token(headers)
        # the key lookup reads SQLite: off the event loop
        principal = await anyio.to_thread.run_sync(self.authenticate, token)
        if principal is None:
            message = "a valid API key is needed: send 'Authorization: Bearer <key>'"
            if "authorization" in headers:
                message = "the API key is not valid (unknown, revoked or malformed)"
            await _unauthorized(message, send)
            return
        scope[PRINCIPAL_SCOPE_KEY] = principal
        await self.app(scope, receive, send)


async def _unauthorized(message: str, send: Send) -> None:
    """The REST service's error body, so a client of both reads one shape."""
    body: dict[str, Any] = {
        "error": {"status": 401, "code": "unauthorized", "message": message, "details": []}
    }
    data = json.dumps(body).encode()
    headers = [
        (b"content-type", b"application/json"),
        (b"content-length", str(len(data)).encode()),
        (b"www-authenticate", b"Bearer"),
    ]
    await send({"type": "http.response.start", "status": 401, "headers": headers})
    await send({"type": "http.response.body", "body": data})
