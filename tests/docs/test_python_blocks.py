"""Every Python block of README.md, docs/ and src/ runs, each in a fresh temp dir with real calls blocked.

Policy of the docs tests (this module, ``test_shell_blocks.py``, ``test_data_blocks.py``):

- ``python``: executed in a fresh temp dir (the cwd) with ``REASONINGBANK_BLOCK_REAL_CALLS=1``. A block
  with names its prose provides (``api_key``, ``trajectory``) or a model runs with the harness
  :data:`~tests.docs.harness.HARNESSES` gives it: a scripted LLM where the docs build one
  (``LiteLLMClient(...)``, ``local_llm(...)``), the REST or MCP service in-process on a loopback port in
  place of the address the block names. Any other block runs as it is. A block whose first line is
  ``# (continued)`` runs after the block before it, in the same namespace. Top-level ``await`` is allowed.
  The local-model quick start also runs for real on the bundled model under ``slow``.
- ``bash``/``sh``/``console``: see ``tests/docs/shell.py``: cheap ``reasoningbank`` commands run, expensive
  ones are parsed by the CLI's parser, other programs are allow-listed with a reason.
- ``toml``/``json``: parsed; a config is loaded by the package's loader, a preset excerpt matches the
  shipped preset, an MCP client config passes the CLI's parser. Untagged/``text`` blocks are skipped.

A wrong block is fixed in the docs, not here.
"""

from __future__ import annotations

import ast
import asyncio
import inspect
from pathlib import Path

import pytest

from tests.docs.blocks import Block, all_blocks, parse_blocks
from tests.docs.harness import HARNESSES, REAL_LOCAL, Harness, as_is

CONTINUED = "# (continued)"


def _chains(blocks: list[Block]) -> list[list[Block]]:
    chains: list[list[Block]] = []
    for block in (b for b in blocks if b.lang == "python"):
        if block.first_line == CONTINUED:
            assert chains and chains[-1][0].path == block.path, f"{block.id} continues no block"
            chains[-1].append(block)
        else:
            chains.append([block])
    return chains


CHAINS = _chains(all_blocks())


def _run(chain: list[Block], harness: Harness, monkeypatch: pytest.MonkeyPatch, tmp: Path) -> None:
    monkeypatch.chdir(tmp)
    monkeypatch.setenv("REASONINGBANK_BLOCK_REAL_CALLS", "1")
    with harness(monkeypatch, tmp) as run:
        ns = {"__name__": "__docs__", **run.names}
        for block in chain:
            code = block.code
            for url, live in run.urls.items():
                code = code.replace(url, live)
            compiled = compile(code, block.id, "exec", flags=ast.PyCF_ALLOW_TOP_LEVEL_AWAIT)
            result = eval(compiled, ns)
            if inspect.iscoroutine(result):
                asyncio.run(asyncio.wait_for(result, 120))
        run.check(ns)


def _key(chain: list[Block]) -> tuple[str, str]:
    return (chain[0].path, chain[0].first_line)


@pytest.mark.parametrize("chain", CHAINS, ids=[c[0].id for c in CHAINS])
def test_python_block(chain: list[Block], monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    _run(chain, HARNESSES.get(_key(chain), as_is), monkeypatch, tmp_path)


REAL = [c for c in CHAINS if _key(c) in REAL_LOCAL]


@pytest.mark.slow
@pytest.mark.model
@pytest.mark.parametrize("chain", REAL, ids=[c[0].id for c in REAL])
def test_python_block_on_the_local_model(
    chain: list[Block], monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    pytest.importorskip("llama_cpp")
    pytest.importorskip("sentence_transformers")
    from reasoningbank.llm.gguf import ModelAssemblyError, part_files

    try:
        part_files("qwen2.5-coder-1.5b")  # the model the README names
    except ModelAssemblyError as exc:
        pytest.skip(str(exc))
    _run(chain, as_is, monkeypatch, tmp_path)


def test_every_harness_names_a_block() -> None:
    keys = {_key(c) for c in CHAINS}
    stale = [k for k in [*HARNESSES, *REAL_LOCAL] if k not in keys]
    assert not stale, f"harnesses for blocks that are gone (update tests/docs/harness.py): {stale}"


def test_a_continued_block_runs_in_the_namespace_of_the_one_before(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    text = "```python\nx = 2\n```\n\ntext\n\n```python\n# (continued)\nassert x * 21 == 42\n```\n"
    (chain,) = _chains(parse_blocks(text, "doc.md"))
    assert [b.line for b in chain] == [1, 7]
    _run(chain, as_is, monkeypatch, tmp_path)
    broken = text.replace("# (continued)\n", "")
    with pytest.raises(NameError):
        for alone in _chains(parse_blocks(broken, "doc.md")):
            _run(alone, as_is, monkeypatch, tmp_path)
