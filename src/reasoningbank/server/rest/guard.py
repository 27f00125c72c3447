"""The REST app's front door, before any route runs: the API key, the body's size, its text.

One ASGI middleware, outermost, in this order:

1. **Key.** Every path under ``/v1/`` but ``/v1/health`` needs
   ``Authorization: Bearer <key>``; no key, a malformed header or an unknown or
   revoked key gets 401 before the body is read, so an anonymous caller can
   make the service read nothing.
2. **Size.** A ``Content-Length`` over the limit gets 413 at once; a body
   without one (chunked) is read up to the limit and refused with 413 as soon
   as it passes it, so the service never holds more than the limit of one
   request. ``/import`` has its own, larger limit.
3. **Text.** JSON may spell a lone UTF-16 surrogate (``"\\ud800"``), which is
   valid JSON but not Unicode text: it would fail later, deep in the store or
   the embedder. Such a body is refused with 400 here, saying so.

The body read here is handed on to the app unchanged.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from typing import Any

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from ..keys import Principal

PRINCIPAL_KEY = "reasoningbank.principal"
"""Where the guard leaves the authenticated :class:`Principal` in the ASGI scope."""
PUBLIC_PATHS = frozenset({"/v1/health"})
_MAYBE_SURROGATE = re.compile(rb"\\u[dD][89a-fA-F][0-9a-fA-F]{2}|\xed[\xa0-\xbf]")
_SURROGATE = re.compile("[\ud800-\udfff]")


class TooLarge(Exception):
    pass


def _error_response(status: int, code: str, message: str, headers: dict[str, str] | None = None) -> Any:
    from .errors import error_response

    return error_response(status, code, message, headers=headers)


def has_lone_surrogate(body: bytes, *, lines: bool) -> bool:
    """Whether the JSON (or, with ``lines``, JSON Lines) ``body`` holds a lone surrogate in a string.

    A body that does not parse is left to the app, which says why it does not.
    """
    if not _MAYBE_SURROGATE.search(body):
        return False
    try:
        docs = (
            [json.loads(line) for line in body.splitlines() if line.strip()] if lines else [json.loads(body)]
        )
    except (ValueError, RecursionError):
        return False
    stack: list[Any] = docs
    while stack:
        value = stack.pop()
        if isinstance(value, str):
            if _SURROGATE.search(value):
                return True
        elif isinstance(value, dict):
            stack.extend(value.keys())
            stack.extend(value.values())
        elif isinstance(value, list):
            stack.extend(value)
    return False


class Guard:
    """Authenticate, cap and check the body, then call ``app`` (see the module's docstring)."""

    def __init__(
        self,
        app: ASGIApp,
        *,
        authenticate: Callable[[str | None], Principal | None],
        max_body_bytes: int,
        max_import_bytes: int,
    ) -> None:
        self.app = app
        self.authenticate = authenticate
        self.max_body_bytes = max_body_bytes
        self.max_import_bytes = max_import_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        path: str = scope.get("path", "")
        headers = {k.decode("latin-1").lower(): v.decode("latin-1") for k, v in scope.get("headers", [])}
        if path.startswith("/v1/") and path not in PUBLIC_PATHS:
            principal = self.authenticate(_bearer(headers.get("authorization")))
            if principal is None:
                message = "a valid API key is needed: send 'Authorization: Bearer <key>'"
                if "authorization" in headers:
                    message = "the API key is not valid (unknown, revoked or malformed)"
                bearer = {"WWW-Authenticate": "Bearer"}
                await _error_response(401, "unauthorized", message, bearer)(scope, receive, send)
                return
            scope[PRINCIPAL_KEY] = principal
        limit = self.max_import_bytes if path.endswith("/import") else self.max_body_bytes
        refusal = _declared_size_refusal(headers.get("content-length"), limit)
        if refusal is not None:
            await refusal(scope, receive, send)
            return
        try:
            body, more = await _read_body(receive, limit)
        except TooLarge:
            message = f"the request body is larger than the limit of {limit} bytes"
            await _error_response(413, "too_large", message)(scope, receive, send)
            return
        if has_lone_surrogate(body, lines=path.endswith("/import")):
            message = "the body holds a lone UTF-16 surrogate (e.g. \\ud800): strings must be Unicode text"
            await _error_response(400, "invalid_text", message)(scope, receive, send)
            return
        await self.app(scope, _replay(body, more, receive), send)


def _bearer(header: str | None) -> str | None:
    if header is None:
        return None
    scheme, _, token = header.strip().partition(" ")
    return token.strip() if scheme.lower() == "bearer" and token.strip() else None


def _declared_size_refusal(value: str | None, limit: int) -> Any:
    if value is None:
        return None
    if not value.strip().isdigit():
        return _error_response(400, "bad_request", f"Content-Length {value!r} is not a number of bytes")
    if int(value) > limit:
        message = f"the request body ({int(value)} bytes) is larger than the limit of {limit} bytes"
        return _error_response(413, "too_large", message)
    return None


async def _read_body(receive: Receive, limit: int) -> tuple[bytes, list[Message]]:
    """The whole body, refusing it (:class:`TooLarge`) once it passes ``limit``; and any message
    that came instead of more body (a disconnect), to pass on."""
    chunks: list[bytes] = []
    size = 0
    while True:
        message = await receive()
        if message["type"] != "http.request":
            return b"".join(chunks), [message]
        chunk = message.get("body", b"")
        size += len(chunk)
        if size > limit:
            raise TooLarge
        chunks.append(chunk)
        if not message.get("more_body", False):
            return b"".join(chunks), []


def _replay(body: bytes, pending: list[Message], receive: Receive) -> Receive:
    sent = False

    async def replay() -> Message:
        nonlocal sent
        if not sent:
            sent = True
            return {"type": "http.request", "body": body, "more_body": False}
        if pending:
            return pending.pop(0)
        return await receive()

    return replay
