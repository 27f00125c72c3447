"""The TOML and JSON blocks of the docs parse, and what they configure is accepted by the package.

A TOML block is loaded as a config file (``BankConfig.from_file``), unless its first line says it is an
excerpt of a shipped preset (``# NAME.toml (excerpt)``): then every value it shows must be the shipped one.
A JSON block must parse; an MCP client configuration (``mcpServers``) that starts ``reasoningbank`` must
pass the CLI's own parser, and one that connects by URL must name the MCP path with a Bearer header.
Every block's language tag must be one this suite handles (:data:`HANDLED`): a new tag fails here.
"""

from __future__ import annotations

import json
import re
import tomllib
from pathlib import Path
from typing import Any

import pytest

from reasoningbank.config import BankConfig
from tests.docs.blocks import ROOT, Block, all_blocks
from tests.docs.shell import subcommand

# "" and "text": diagrams, layouts and recorded output, skipped by their tag.
HANDLED = {"python", "bash", "sh", "shell", "console", "toml", "json", "", "text"}
BLOCKS = all_blocks()
TOML = [b for b in BLOCKS if b.lang == "toml"]
JSON = [b for b in BLOCKS if b.lang == "json"]
PRESETS = ROOT / "src" / "reasoningbank" / "data" / "presets"


def test_every_block_has_a_handled_language() -> None:
    assert BLOCKS, "no code block found: the collector is broken"
    unknown = [b.id for b in BLOCKS if b.lang not in HANDLED]
    assert not unknown, f"blocks with a language tag the docs tests do not handle: {unknown}"


def _leaves(data: dict[str, Any], prefix: str = "") -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key, value in data.items():
        if isinstance(value, dict):
            out.update(_leaves(value, f"{prefix}{key}."))
        else:
            out[f"{prefix}{key}"] = value
    return out


@pytest.mark.parametrize("block", TOML, ids=[b.id for b in TOML])
def test_toml_block(block: Block, tmp_path: Path) -> None:
    data = tomllib.loads(block.code)
    excerpt = re.fullmatch(r"#\s*(\S+\.toml)\s*\(excerpt\)", block.first_line)
    if excerpt:
        shipped = _leaves(tomllib.loads((PRESETS / excerpt[1]).read_text()))
        wrong = {k: v for k, v in _leaves(data).items() if shipped.get(k, "<missing>") != v}
        assert not wrong, f"{block.id}: differs from the shipped {excerpt[1]}: {wrong}"
        return
    path = tmp_path / "bank.toml"
    path.write_text(block.code)
    cfg = BankConfig.from_file(path)
    cfg.resolved_preset()  # the overrides apply to the preset
    for key in ("store", "model", "preset"):
        if key in data:
            assert getattr(cfg, key) == data[key], f"{block.id}: {key} not loaded"


def _check_server(name: str, server: dict[str, Any], where: str) -> None:
    if "command" in server:
        assert server["command"] == "reasoningbank", f"{where}: {name} runs {server['command']}"
        try:
            assert subcommand(list(server["args"])) == ("mcp",), f"{where}: {name} is not 'mcp'"
        except SystemExit:
            raise AssertionError(f"{where}: the CLI's parser refuses {server['args']}") from None
        return
    assert re.fullmatch(r"http://127\.0\.0\.1:\d+/mcp", server["url"]), f"{where}: {server['url']}"
    assert re.fullmatch(r"Bearer \$\{[\w:]+\}", server["headers"]["Authorization"]), where


@pytest.mark.parametrize("block", JSON, ids=[b.id for b in JSON])
def test_json_block(block: Block) -> None:
    data = json.loads(block.code)
    servers = data.get("mcpServers", {}) if isinstance(data, dict) else {}
    for name, server in servers.items():
        _check_server(name, server, block.id)
