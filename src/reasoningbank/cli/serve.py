"""The service in the CLI: ``serve`` (the REST app) and ``keys create|list|revoke``.

``serve`` builds the banks from the same settings as every other command
(``--store``, ``--model``/``--api-base``, ``--embedder``, ``--preset``,
``--config``, or ``--local-model``) and keeps its API keys and learning jobs
in ``--state-dir``. ``keys`` edits the keys file of that state dir, also while
the service runs: a new key works, and a revoked one stops working, at the
service's next request.
"""

from __future__ import annotations

import argparse
import contextlib
import os
from pathlib import Path
from typing import Any

from ..llm import LLM
from ..server.keys import KeyInfo, KeyManagementError, KeyStore
from ..server.schemas import MAX_BODY_BYTES, MAX_IMPORT_BYTES
from .common import add_command, load_config
from .errors import EXIT_OK, CLIError
from .model import local_llm
from .output import console, emit_json, lit

STATE_ENV = "REASONINGBANK_STATE_DIR"
DEFAULT_STATE_DIR = "reasoningbank-state"
DEFAULT_PORT = 8377


def state_dir(args: argparse.Namespace) -> Path:
    """``--state-dir``, else ``$REASONINGBANK_STATE_DIR``, else ``./reasoningbank-state``."""
    return Path(args.state_dir or os.environ.get(STATE_ENV, "").strip() or DEFAULT_STATE_DIR)


# --------------------------------------------------------------------------- serve


def cmd_serve(args: argparse.Namespace) -> int:
    try:
        import uvicorn

        from ..server.factory import service_from_config
        from ..server.rest.app import create_app
    except ImportError as exc:
        raise CLIError(f"serve needs the server extra (pip install 'reasoningbank[server]'): {exc}") from exc
    if args.max_body_bytes < 1 or args.max_import_bytes < 1:
        raise CLIError("--max-body-bytes and --max-import-bytes must be at least 1")
    cfg = load_config(args)
    with contextlib.ExitStack() as stack:
        llm: LLM | None = None
        if args.local_model and not cfg.model:
            llm = stack.enter_context(local_llm(args.local_model))
            if args.preset is None and cfg.preset == "paper":
                cfg = cfg.model_copy(update={"preset": "small-local"})
        service = service_from_config(cfg, state_dir(args), llm=llm)
        app = create_app(service, max_body_bytes=args.max_body_bytes, max_import_bytes=args.max_import_bytes)
        if args.host not in ("127.0.0.1", "localhost", "::1"):
            console().print(
                lit(
                    f"Note: listening on {args.host}: other machines can reach the service; use TLS in front."
                )
            )
        uvicorn.run(app, host=args.host, port=args.port, log_level=args.log_level, server_header=False)
    return EXIT_OK


# --------------------------------------------------------------------------- keys


def _key_json(info: KeyInfo) -> dict[str, Any]:
    return {
        "id": info.id,
        "tenant": info.tenant,
        "banks": list(info.banks),
        "name": info.name,
        "created_at": info.created_at,
        "revoked_at": info.revoked_at,
    }


@contextlib.contextmanager
def _keys(args: argparse.Namespace) -> Any:
    try:
        keys = KeyStore(state_dir(args))
    except RuntimeError as exc:
        raise CLIError(str(exc)) from exc
    try:
        yield keys
    except KeyManagementError as exc:
        raise CLIError(str(exc)) from exc
    finally:
        keys.close()


def cmd_keys_create(args: argparse.Namespace) -> int:
    with _keys(args) as keys:
        info, token = keys.create(args.tenant, args.bank, name=args.name)
    if args.json:
        emit_json({**_key_json(info), "token": token})
        return EXIT_OK
    out = console()
    out.print(lit(f"Key {info.id} for tenant {info.tenant!r}, banks {', '.join(info.banks)}:"))
    out.print(lit(token), soft_wrap=True)
    out.print("It is shown only now (the service keeps a hash): store it where the agent reads it.")
    return EXIT_OK


def cmd_keys_list(args: argparse.Namespace) -> int:
    with _keys(args) as keys:
        infos = keys.list()
    if args.json:
        emit_json({"keys": [_key_json(i) for i in infos]})
        return EXIT_OK
    from rich.table import Table

    table = Table(title=lit(f"API keys in {state_dir(args)}"))
    for col in ("id", "tenant", "banks", "name", "created", "revoked"):
        table.add_column(col)
    for i in infos:
        row = (i.id, i.tenant, ", ".join(i.banks), i.name, i.created_at, i.revoked_at or "")
        table.add_row(*(lit(c) for c in row))
    console().print(table)
    return EXIT_OK


def cmd_keys_revoke(args: argparse.Namespace) -> int:
    with _keys(args) as keys:
        info = keys.revoke(args.id)
    if args.json:
        emit_json(_key_json(info))
    else:
        console().print(lit(f"Key {info.id} (tenant {info.tenant!r}) is revoked."))
    return EXIT_OK


# --------------------------------------------------------------------------- parsers


def _add_state_dir(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "--state-dir",
        metavar="DIR",
        help=f"the service's API keys and learning jobs (default ${STATE_ENV} or ./{DEFAULT_STATE_DIR})",
    )


def register(sub: Any) -> None:
    """Add ``serve`` and ``keys`` (``create``, ``list``, ``revoke``) to the subparsers ``sub``."""
    p = add_command(sub, "serve", cmd_serve, "run the multi-tenant REST service (OpenAPI at /openapi.json)")
    p.add_argument("--host", default="127.0.0.1", help="address to listen on (default 127.0.0.1)")
    p.add_argument("--port", type=int, default=DEFAULT_PORT, help=f"port (default {DEFAULT_PORT})")
    _add_state_dir(p)
    p.add_argument("--max-body-bytes", type=int, default=MAX_BODY_BYTES, help="largest request body (bytes)")
    p.add_argument(
        "--max-import-bytes", type=int, default=MAX_IMPORT_BYTES, help="largest import body (bytes)"
    )
    p.add_argument("--local-model", metavar="NAME", help="serve this bundled local model for learning")
    p.add_argument("--log-level", default="info", choices=("critical", "error", "warning", "info", "debug"))

    keys = sub.add_parser("keys", help="manage the service's API keys (one tenant each, only its banks)")
    ksub = keys.add_subparsers(dest="keys_command", metavar="KEYS_COMMAND", required=True)
    p = add_command(ksub, "create", cmd_keys_create, "make a key for a tenant and its banks (shown once)")
    p.add_argument("--tenant", required=True)
    p.add_argument("--bank", action="append", required=True, help="a bank the key may use (repeatable)")
    p.add_argument("--name", default="", help="a note: who or what uses the key")
    _add_state_dir(p)
    p = add_command(ksub, "list", cmd_keys_list, "list keys (never their tokens)")
    _add_state_dir(p)
    p = add_command(ksub, "revoke", cmd_keys_revoke, "revoke a key: it stops working at the next request")
    p.add_argument("id", help="the key id (from 'keys list')")
    _add_state_dir(p)
