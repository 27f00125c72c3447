"""The ``reasoningbank`` command line: the Python API, one command per method.

Every command accepts ``--json`` for machine-readable output on stdout; without
it, output is human-readable (rich tables). Errors end the command with one
line on stderr: exit code 2 for bad input, 1 for a failure while running
(:mod:`.errors`).

The commands live in :mod:`.store` (``init list show delete export import
stats``), :mod:`.items` (``items retire restore``), :mod:`.memory` (``learn retrieve add``), :mod:`.model`
(``serve-model``), :mod:`.serve` (``serve``, ``keys ...``), :mod:`.mcp` (``mcp``) and :mod:`.bench`
(``bench ...``, ``report``); each adds its parsers, and a command runs as
``args.func(args) -> int``. The options every command shares, the config and
the store/bank factories are in :mod:`.common`.
"""

from __future__ import annotations

import argparse
import signal
import threading
from collections.abc import Callable, Sequence

from . import bench, items, mcp, memory, model, serve, store
from .common import add_common_options, fill_defaults
from .errors import EXIT_USAGE, fail, run_command

__all__ = ["build_parser", "main"]


def build_parser() -> argparse.ArgumentParser:
    """The parser of every command, common options accepted before and after the command name."""
    parser = argparse.ArgumentParser(
        prog="reasoningbank",
        description="ReasoningBank: memory distilled from an agent's successes and failures.",
    )
    add_common_options(parser)
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    store.register_init(sub)
    memory.register(sub)
    store.register(sub)
    items.register(sub)
    model.register(sub)
    serve.register(sub)
    mcp.register(sub)
    bench.register(sub)
    return parser


def _exit_on_sigterm(signum: int, frame: object) -> None:
    # A plain SIGTERM would end Python without running ``finally`` blocks, orphaning the
    # browser and model server a command started; exiting lets every context manager close.
    raise SystemExit(128 + signum)


def main(argv: Sequence[str] | None = None) -> int:
    """Run the CLI; returns the exit code (the console script exits with it)."""
    if threading.current_thread() is threading.main_thread():
        signal.signal(signal.SIGTERM, _exit_on_sigterm)
    parser = build_parser()
    try:
        args = parser.parse_args(list(argv) if argv is not None else None)
    except SystemExit as exc:  # argparse: --help (0) or a usage error (2)
        return int(exc.code) if isinstance(exc.code, int) else EXIT_USAGE
    fill_defaults(args)
    func: Callable[[argparse.Namespace], int] | None = getattr(args, "func", None)
    if func is None:  # a command group invoked without its subcommand
        hint = f"see 'reasoningbank {args.command} --help'"
        return fail(f"'{args.command}' needs a subcommand; {hint}", EXIT_USAGE)
    return run_command(func, args)
