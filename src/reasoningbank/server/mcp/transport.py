"""The MCP server (``reasoningbank mcp``): the service's memory as tools for coding agents.

Built with the official MCP Python SDK on the same
:class:`~reasoningbank.server.service.MemoryService` as the REST app, so a
bank, a key and a learning job mean the same thing through both:

* :func:`run_stdio` -- for an agent that launches the server itself (Claude
  Code, Cursor, any MCP client's ``command``); the caller is the key in
  ``$REASONINGBANK_API_KEY`` or, in a state dir without keys, the local user
  (:func:`~reasoningbank.server.mcp.access.stdio_access`);
* :func:`http_app` / :func:`run_http` -- streamable HTTP at ``/mcp`` for agents
  on other machines; every request carries ``Authorization: Bearer <key>``.

The tools are in :mod:`.tools`, their answers in :mod:`.views`, the
scoping in :mod:`.access`. Learning jobs are the service's durable jobs:
one accepted just before the server stops is learned when it next starts.
"""

from __future__ import annotations

from collections.abc import Sequence

import anyio
from mcp.server.mcpserver import MCPServer
from mcp.server.transport_security import TransportSecuritySettings
from starlette.types import ASGIApp

from ..schemas import MAX_BODY_BYTES
from ..service import MemoryService
from .access import Access, BankScope, BearerGuard, RequestAccess
from .tools import build_server

MCP_PATH = "/mcp"
LOOPBACK = ("127.0.0.1", "localhost", "::1")

__all__ = ["MCP_PATH", "build_server", "host_checks", "http_app", "run_http", "run_stdio"]


def run_stdio(service: MemoryService, access: Access, scope: BankScope) -> None:
    """Serve MCP on this process's stdin/stdout until the client closes them; then stop the
    learning worker (after its current job) and close the service."""
    server = build_server(service, access, scope)
    service.start()
    try:
        anyio.run(server.run_stdio_async)
    finally:
        service.close()


def host_checks(host: str, allowed_hosts: Sequence[str]) -> TransportSecuritySettings | None:
    """The ``Host``/``Origin`` checks: loopback names and ``allowed_hosts`` (e.g. the public name a
    TLS proxy in front forwards); None, without ``allowed_hosts``, keeps the SDK's default (loopback
    names only on a loopback address, no check elsewhere)."""
    if not allowed_hosts:
        return None
    names = ["127.0.0.1", "localhost", "[::1]", *allowed_hosts]
    if host not in (*LOOPBACK, "0.0.0.0", "::"):
        names.append(host)
    return TransportSecuritySettings(
        enable_dns_rebinding_protection=True,
        allowed_hosts=[h for n in names for h in (n, f"{n}:*")],
        allowed_origins=[f"{s}://{n}{p}" for n in names for s in ("http", "https") for p in ("", ":*")],
    )


def http_app(
    service: MemoryService,
    scope: BankScope,
    *,
    host: str = "127.0.0.1",
    allowed_hosts: Sequence[str] = (),
    max_body_bytes: int = MAX_BODY_BYTES,
) -> ASGIApp:
    """The streamable-HTTP app at :data:`MCP_PATH`, every request checked by :class:`BearerGuard`.

    ``host`` is where it listens: on a loopback address the SDK also refuses
    requests whose ``Host`` or ``Origin`` is not loopback (DNS rebinding from a
    web page), unless named in ``allowed_hosts`` (:func:`host_checks`). Start
    and close ``service`` around it (:func:`run_http` does).
    """
    server: MCPServer = build_server(service, RequestAccess(scope), scope)
    app = server.streamable_http_app(
        streamable_http_path=MCP_PATH,
        host=host,
        max_request_body_size=max_body_bytes,
        transport_security=host_checks(host, allowed_hosts),
    )
    return BearerGuard(app, authenticate=service.authenticate)


def run_http(
    service: MemoryService,
    scope: BankScope,
    *,
    host: str,
    port: int,
    allowed_hosts: Sequence[str] = (),
    log_level: str = "info",
    max_body_bytes: int = MAX_BODY_BYTES,
) -> None:
    """Serve :func:`http_app` with uvicorn until stopped; the service closes afterwards."""
    import uvicorn

    app = http_app(service, scope, host=host, allowed_hosts=allowed_hosts, max_body_bytes=max_body_bytes)
    service.start()
    try:
        uvicorn.run(app, host=host, port=port, log_level=log_level, server_header=False)
    finally:
        service.close()
