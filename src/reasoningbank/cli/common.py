"""What every CLI command shares: the common options, the effective config, and the factories.

The common options (``--config --store --scope --model --api-base --embedder
--preset --json``) are accepted both before and after the command name.
:func:`load_config` merges them over the config file over the environment.

:func:`open_cli_store` and :func:`build_bank` are the only places commands get
a store or a bank from; tests replace them on this module
(``monkeypatch.setattr(common, "build_bank", fake)``) to inject fakes, so
commands call them as ``common.build_bank(...)``, never through a local name.
"""

from __future__ import annotations

import argparse
import os
from collections.abc import Callable
from typing import Any

from ..bank import ReasoningBank
from ..config import API_BASE_ENV, MODEL_ENV, PRESETS, BankConfig
from ..embed import make_embedder
from ..llm import LLM
from ..stores import BankNotFoundError, open_store
from ..stores.base import Store
from .errors import CLIError
from .output import one_line

Command = Callable[[argparse.Namespace], int]

STORE_ENV = "REASONINGBANK_STORE"
# The one default store, defined by the config; the CLI only names it in its help.
DEFAULT_STORE: str = BankConfig.model_fields["store"].default

_COMMON_DEFAULTS: dict[str, Any] = {
    "config": None,
    "store": None,
    "scope": None,
    "model": None,
    "api_base": None,
    "embedder": None,
    "preset": None,
    "json": False,
}


def add_common_options(parser: argparse.ArgumentParser) -> None:
    """Let ``parser`` accept the common options (defaults are filled in by :func:`fill_defaults`).

    The defaults are suppressed so an option given before the command name is
    not overwritten by the subcommand's default.
    """
    s = argparse.SUPPRESS
    g = parser.add_argument_group("common options")
    g.add_argument("--config", metavar="PATH", default=s, help="bank config file (TOML or JSON)")
    g.add_argument(
        "--store",
        metavar="URL",
        default=s,
        help=(
            "store URL: memory://, sqlite:///path.db, path.db or postgresql://user@host/db "
            f"(default ${STORE_ENV} or {DEFAULT_STORE})"
        ),
    )
    g.add_argument("--scope", default=s, help="memory scope (partition) to use (default: 'default')")
    g.add_argument("--model", default=s, help=f"LLM for judge and extractor (default ${MODEL_ENV})")
    g.add_argument("--api-base", default=s, help=f"API base URL for the LLM (default ${API_BASE_ENV})")
    g.add_argument("--embedder", default=s, help="embedder: local | hash | litellm:MODEL (default: local)")
    g.add_argument("--preset", default=s, choices=sorted(PRESETS), help="learning-loop preset")
    g.add_argument("--json", action="store_true", default=s, help="machine-readable JSON output on stdout")


def fill_defaults(args: argparse.Namespace) -> None:
    """Give every common option that was not given its default."""
    for key, value in _COMMON_DEFAULTS.items():
        if not hasattr(args, key):
            setattr(args, key, value)


def add_command(sub: Any, name: str, func: Command, help_text: str) -> argparse.ArgumentParser:
    """Add command ``name`` (run by ``func``) with the common options to the subparsers ``sub``."""
    p: argparse.ArgumentParser = sub.add_parser(name, help=help_text, description=help_text)
    add_common_options(p)
    p.set_defaults(func=func)
    return p


def load_config(args: argparse.Namespace) -> BankConfig:
    """The effective config: command-line flags over the config file over environment defaults."""
    cfg = BankConfig.from_file(args.config) if args.config else BankConfig()
    updates: dict[str, Any] = {}
    if args.store:
        updates["store"] = args.store
    elif "store" not in cfg.model_fields_set:
        updates["store"] = os.environ.get(STORE_ENV, "").strip() or DEFAULT_STORE
    for key in ("scope", "model", "api_base", "embedder", "preset"):
        value = getattr(args, key)
        if value is not None:
            updates[key] = value
    if not updates:
        return cfg
    try:
        merged = BankConfig.model_validate({**cfg.model_dump(), **updates})
        merged.resolved_preset()
    except ValueError as exc:  # pydantic ValidationError and ConfigError are ValueErrors
        raise CLIError(f"invalid option: {one_line(str(exc))}") from exc
    return merged


# --------------------------------------------------------------------------- factories (test hooks)


def open_cli_store(cfg: BankConfig, *, create: bool = True) -> Store:
    """The store for commands that only read or write stored data. Tests may replace it.

    A command that only reads (or changes what is there) passes ``create=False``: a
    mistyped ``--store`` then fails with one line and creates no file and no directory.
    """
    try:
        return open_store(cfg.store, create=create)
    except BankNotFoundError as exc:
        raise CLIError(f"{exc} (create one with `reasoningbank learn`, `add` or `import`)") from exc


def require_bank(cfg: BankConfig) -> None:
    """Fail, creating nothing, unless ``cfg.store`` holds a bank (for reads that build a bank)."""
    open_cli_store(cfg, create=False).close()


def build_bank(cfg: BankConfig, *, llm: LLM | None = None) -> ReasoningBank:
    """The bank for commands that embed or call a model. Tests replace this to inject fakes.

    ``llm`` (a started local model) is used for the judge and the extractor
    when given; otherwise the models named in ``cfg`` are.
    """
    if llm is None:
        return ReasoningBank.from_config(cfg)
    embedder = make_embedder(cfg.embedder, api_base=cfg.api_base)
    store = open_store(cfg.store)
    return ReasoningBank.from_preset(
        store,
        embedder,
        llm,
        cfg.resolved_preset(),
        scope=cfg.scope,
        retrieve_overrides=cfg.retrieve_overrides(),
    )
