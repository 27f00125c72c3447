"""The MCP server for coding agents (``reasoningbank mcp``), on the official MCP Python SDK.

* :mod:`.transport` -- stdio and streamable HTTP, with the host checks;
* :mod:`.access` -- which key and which bank a connection may use;
* :mod:`.tools` -- the tools, each a thin call into the service;
* :mod:`.edits` -- the tools that change stored lessons (add, retire, restore, delete);
* :mod:`.arguments` -- unknown arguments refused, deprecated names accepted, errors in one sentence;
* :mod:`.views` -- the tools' answers as text an agent reads.

Importing this package loads no MCP code; ``run_stdio``, ``run_http``, ``http_app``
and ``LOOPBACK`` are reached here lazily, as before the package was split.
"""

from __future__ import annotations

from typing import Any

_TRANSPORT = frozenset({"LOOPBACK", "MCP_PATH", "host_checks", "http_app", "run_http", "run_stdio"})


def __getattr__(name: str) -> Any:
    if name in _TRANSPORT:
        from . import transport

        return getattr(transport, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
