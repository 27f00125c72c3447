"""``reasoningbank mcp``: the memory as MCP tools for coding agents, over stdio or streamable HTTP.

The banks are built from the same settings as ``serve`` and every other
command (``--store``, ``--model``/``--api-base``, ``--embedder``, ``--preset``,
``--config``, or ``--local-model``), with API keys and learning jobs in the
same ``--state-dir``: one state dir can back ``serve`` and ``mcp`` at once.

* ``--transport stdio`` (the default): the agent launches this command. The
  caller is the key in ``$REASONINGBANK_API_KEY``; without one, and only in a
  state dir that has no keys, the local user, allowed the ``--bank`` names
  (default: ``--scope``, i.e. ``default``). Nothing but the protocol is
  written to stdout: everything said while starting goes to stderr.
* ``--transport http``: streamable HTTP at ``http://HOST:PORT/mcp``; every
  request needs ``Authorization: Bearer <key>``.

``--bank`` (repeatable) narrows the banks any key may use through this server;
the first is the default for calls that name none.
"""

from __future__ import annotations

import argparse
import contextlib
import sys
from typing import Any

from ..llm import LLM
from .common import add_command, load_config
from .errors import EXIT_OK, CLIError
from .model import local_llm
from .serve import DEFAULT_STATE_DIR, STATE_ENV, state_dir

DEFAULT_MCP_PORT = 8378


def cmd_mcp(args: argparse.Namespace) -> int:
    try:
        from ..server.factory import service_from_config
        from ..server.mcp.access import AccessError, bank_scope, stdio_access
        from ..server.mcp.transport import LOOPBACK, run_http, run_stdio
    except ImportError as exc:
        raise CLIError(f"mcp needs the mcp extra (pip install 'reasoningbank[mcp]'): {exc}") from exc
    if not 0 < args.port < 65536:
        raise CLIError(f"--port {args.port} is not a port number (1-65535)")
    stdio = args.transport == "stdio"
    cfg = load_config(args)
    with contextlib.ExitStack() as stack:
        # over stdio, stdout is the protocol: whatever starting up prints goes to stderr
        with contextlib.redirect_stdout(sys.stderr) if stdio else contextlib.nullcontext():
            llm: LLM | None = None
            if args.local_model and not cfg.model:
                llm = stack.enter_context(local_llm(args.local_model))
                if args.preset is None and cfg.preset == "paper":
                    cfg = cfg.model_copy(update={"preset": "small-local"})
            service = service_from_config(cfg, state_dir(args), llm=llm)
            try:
                if stdio:
                    access, scope = stdio_access(service.keys, args.bank or [], local_default=cfg.scope)
                else:
                    scope = bank_scope(args.bank or [])
                    _warn_http(service.keys.list() == [], args.host not in LOOPBACK, args)
            except AccessError as exc:
                service.close()
                raise CLIError(str(exc)) from exc
        if stdio:
            run_stdio(service, access, scope)
        else:
            run_http(
                service,
                scope,
                host=args.host,
                port=args.port,
                allowed_hosts=args.allow_host or (),
                log_level=args.log_level,
            )
    return EXIT_OK


def _warn_http(no_keys: bool, exposed: bool, args: argparse.Namespace) -> None:
    """Notes on stderr that save a confused first request."""
    if no_keys:
        print(
            f"Note: {state_dir(args)} holds no API keys yet, so every request gets 401; make one with "
            f"'reasoningbank keys create --tenant NAME --bank BANK --state-dir {state_dir(args)}'.",
            file=sys.stderr,
        )
    if exposed:
        print(
            f"Note: listening on {args.host}: other machines can reach the server; use TLS in front.",
            file=sys.stderr,
        )
    print(f"MCP endpoint: http://{args.host}:{args.port}/mcp", file=sys.stderr)


def register(sub: Any) -> None:
    """Add ``mcp`` to the subparsers ``sub``."""
    p = add_command(
        sub, "mcp", cmd_mcp, "serve the memory to coding agents over MCP (stdio or streamable HTTP)"
    )
    p.add_argument(
        "--transport",
        choices=("stdio", "http"),
        default="stdio",
        help="stdio: launched by the agent (default); http: streamable HTTP at http://HOST:PORT/mcp",
    )
    p.add_argument("--host", default="127.0.0.1", help="http: address to listen on (default 127.0.0.1)")
    p.add_argument(
        "--port", type=int, default=DEFAULT_MCP_PORT, help=f"http: port (default {DEFAULT_MCP_PORT})"
    )
    p.add_argument(
        "--allow-host",
        action="append",
        metavar="NAME",
        help="http: also accept requests for this Host name (repeatable), e.g. the public name a TLS "
        "proxy in front forwards; otherwise, on a loopback address, only loopback names are accepted",
    )
    p.add_argument(
        "--bank",
        action="append",
        metavar="NAME",
        help="a bank this server exposes (repeatable; the first is the default). With a key: a subset "
        "of its banks (default all). In local mode: the local user's banks (default --scope)",
    )
    p.add_argument(
        "--state-dir",
        metavar="DIR",
        help=f"the service's API keys and learning jobs (default ${STATE_ENV} or ./{DEFAULT_STATE_DIR})",
    )
    p.add_argument("--local-model", metavar="NAME", help="serve this bundled local model for learning")
    p.add_argument(
        "--log-level",
        default="warning",
        choices=("critical", "error", "warning", "info", "debug"),
        help="http: the web server's log level",
    )
