"""Exit codes of the CLI and how a command's exceptions become one line on stderr.

Bad input (a missing or malformed file, an unknown id, an embedding mismatch,
no model configured, a bundled model that is not installed) exits with code 2;
a failure while running (a model call or the local model server failed, a
store error) exits with code 1. Either way the user sees one line, never a
traceback.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import sqlite3
import sys
from collections.abc import Callable

from ..bank import LearnError, NoLLMError
from ..config import ConfigError
from ..llm import RealCallBlockedError
from ..llm.gguf import ModelAssemblyError
from ..llm.local import ModelServerError
from ..llm.retry import LLMCallError
from ..stores.base import EmbeddingMismatchError, NotFoundError, StoreError
from ..trajio import TrajectoryFileError
from .output import one_line

EXIT_OK = 0
EXIT_FAILURE = 1
EXIT_USAGE = 2
EXIT_INTERRUPTED = 130


class CLIError(Exception):
    """A user-facing error: printed as one line on stderr, exit code ``code``."""

    def __init__(self, message: str, code: int = EXIT_USAGE) -> None:
        super().__init__(message)
        self.code = code


USAGE_ERRORS: tuple[type[BaseException], ...] = (
    TrajectoryFileError,
    ConfigError,
    NotFoundError,
    EmbeddingMismatchError,
    NoLLMError,
    ModelAssemblyError,
    ValueError,
    ImportError,
    FileNotFoundError,
)
RUN_ERRORS: tuple[type[BaseException], ...] = (
    LearnError,
    LLMCallError,
    ModelServerError,
    StoreError,
    RealCallBlockedError,
    OSError,
    sqlite3.Error,  # the SQLite store says StoreError; this is the net under it
)


def fail(message: str, code: int) -> int:
    """Print ``message`` as one ``reasoningbank: error:`` line on stderr; return ``code``."""
    sys.stderr.write(f"reasoningbank: error: {one_line(message)}\n")
    return code


def _text(exc: BaseException) -> str:
    return str(exc) or type(exc).__name__


def run_command(func: Callable[[argparse.Namespace], int], args: argparse.Namespace) -> int:
    """Run one command; map the errors a user can meet to an exit code and one stderr line."""
    try:
        return int(func(args))
    except CLIError as exc:
        return fail(_text(exc), exc.code)
    except NotFoundError as exc:  # also a KeyError: show its text, not its repr
        return fail(str(exc.args[0]) if exc.args else "not found", EXIT_USAGE)
    except USAGE_ERRORS as exc:
        return fail(_text(exc), EXIT_USAGE)
    except BrokenPipeError:  # e.g. `reasoningbank export | head`: stop quietly
        with contextlib.suppress(OSError):
            devnull = os.open(os.devnull, os.O_WRONLY)
            os.dup2(devnull, sys.stdout.fileno())
        return EXIT_FAILURE
    except RUN_ERRORS as exc:
        return fail(_text(exc), EXIT_FAILURE)
    except KeyboardInterrupt:
        return fail("interrupted", EXIT_INTERRUPTED)
