"""The bundled local model in the CLI: ``serve-model``, and starting a model for one command.

:mod:`reasoningbank.llm.local` is looked up when a command needs it (tests put
a fake in ``sys.modules``). Its failures become one-line CLI errors: a model
that is not installed exits with code 2, a server that fails exits with 1.
"""

from __future__ import annotations

import argparse
import contextlib
import importlib
import sys
import time
from collections.abc import Iterator
from typing import Any

from ..llm import LLM
from .common import add_command
from .errors import EXIT_FAILURE, EXIT_OK, CLIError
from .output import console, emit_json


def import_localmodel(what: str) -> Any:
    """The :mod:`reasoningbank.llm.local` module; ``what`` names the option or command needing it."""
    try:
        return importlib.import_module("reasoningbank.llm.local")
    except ImportError as exc:
        raise CLIError(f"{what} needs reasoningbank.llm.local, which cannot be imported: {exc}") from exc


@contextlib.contextmanager
def model_errors(localmodel: Any, name: str) -> Iterator[None]:
    """Turn local-model failures inside the block into one-line CLI errors."""
    try:
        yield
    except localmodel.ModelAssemblyError as exc:
        raise CLIError(f"local model {name!r} is not available: {exc}") from exc
    except localmodel.ModelServerError as exc:
        raise CLIError(f"local model {name!r} could not be served: {exc}", EXIT_FAILURE) from exc


@contextlib.contextmanager
def local_llm(name: str) -> Iterator[LLM]:
    """Assemble and serve the bundled model ``name`` for the duration of the block."""
    localmodel = import_localmodel("--local-model")
    with model_errors(localmodel, name), localmodel.local_llm(name) as llm:
        yield llm


def cmd_serve_model(args: argparse.Namespace) -> int:
    localmodel = import_localmodel("serve-model")
    with model_errors(localmodel, args.name):
        path = localmodel.assemble_model(args.name)
        server = localmodel.LlamaServer(path, port=args.port, model_alias=args.name)
        server.start()
    with server:
        info = {"model": server.model_alias, "api_base": server.api_base, "model_path": str(path)}
        if args.json:
            emit_json(info)
        else:
            console().print(
                f"Serving {args.name} at {server.api_base} (Ctrl-C to stop). Use it with: "
                f"--model {server.model_alias} --api-base {server.api_base}",
                markup=False,
            )
        sys.stdout.flush()
        with contextlib.suppress(KeyboardInterrupt):
            while server.running:
                time.sleep(0.5)
        if not server.running and not args.json:
            console().print("The model server has stopped.")
    return EXIT_OK


def cmd_check_model(args: argparse.Namespace) -> int:
    from ..llm.selfcheck import check_completion

    localmodel = import_localmodel("check-model")
    with model_errors(localmodel, args.name):
        path = localmodel.assemble_model(args.name)
    result = check_completion(path)
    if args.json:
        emit_json({"ok": result.ok, "model": args.name, "build": result.build, "message": result.message})
    else:
        console().print(f"build: {result.build or '(unknown)'}", markup=False)
        console().print(f"{args.name}: {'ok' if result.ok else 'FAILED'}: {result.message}", markup=False)
    if not result.ok:
        raise CLIError(
            f"local model {args.name!r}: {result.message}. Reinstall llama-cpp-python for this CPU: "
            "bash scripts/install.sh (it checks the build and rebuilds a non-portable one)",
            EXIT_FAILURE,
        )
    return EXIT_OK


def register(sub: Any) -> None:
    """Add ``serve-model`` and ``check-model`` to the subparsers ``sub``."""
    p = add_command(
        sub, "check-model", cmd_check_model, "check that the installed llama.cpp build runs one completion"
    )
    p.add_argument("name", nargs="?", default="qwen2.5-coder-0.5b", help="bundled model name")
    p = add_command(sub, "serve-model", cmd_serve_model, "run a bundled local model server until interrupted")
    p.add_argument("name", help="bundled model name")
    p.add_argument("--port", type=int, default=None)
