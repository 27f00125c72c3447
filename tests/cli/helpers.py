"""Helpers of the CLI tests: run ``main([...])`` in-process, learn the bundled example, fake local models."""

from __future__ import annotations

import contextlib
import json
import sys
import types
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from reasoningbank import cli
from reasoningbank.config import BankConfig
from reasoningbank.llm import ScriptedLLM
from reasoningbank.trajio import example_path


def md(*titles: str) -> str:
    """A Markdown extraction answer with one memory item per title."""
    return "\n\n".join(
        f"# Memory Item {i}\n## Title {t}\n## Description When {t}\n## Content Always {t} first."
        for i, t in enumerate(titles, start=1)
    )


@dataclass
class Env:
    tmp: Path
    db: Path
    llm: ScriptedLLM = field(default_factory=ScriptedLLM)
    built: list[BankConfig] = field(default_factory=list)


@dataclass
class Result:
    code: int
    out: str
    err: str

    def json(self) -> Any:
        return json.loads(self.out)


def run(capsys: pytest.CaptureFixture[str], *args: str) -> Result:
    """``reasoningbank --embedder hash ARGS...``, with its exit code and captured output."""
    code = cli.main(["--embedder", "hash", *args])
    captured = capsys.readouterr()
    return Result(code, captured.out, captured.err)


EXAMPLE_ANSWERS = [
    'Thoughts: it submitted an empty field.\nStatus: "failure"',
    md("type before submitting"),
    'Thoughts: the text was typed and submitted.\nStatus: "success"',
    md("check the field", "submit last"),
]


def learn_examples(env: Env, capsys: pytest.CaptureFixture[str], *extra: str) -> Result:
    """Learn the bundled example file (one failure, one success) with scripted answers."""
    env.llm.responses = list(EXAMPLE_ANSWERS)
    return run(capsys, "learn", str(example_path()), *extra)


def stats_json(capsys: pytest.CaptureFixture[str], *extra: str) -> dict[str, Any]:
    res = run(capsys, "stats", "--json", *extra)
    assert res.code == 0, res.err
    data: dict[str, Any] = res.json()
    return data


def add_item(capsys: pytest.CaptureFixture[str], title: str, content: str, *extra: str) -> dict[str, Any]:
    res = run(capsys, "add", "--title", title, "--content", content, "--json", *extra)
    assert res.code == 0, res.err
    data: dict[str, Any] = res.json()
    return data


class AssemblyError(RuntimeError):
    pass


class ServerError(RuntimeError):
    pass


def fake_localmodel(monkeypatch: pytest.MonkeyPatch, llm: ScriptedLLM, fail: str = "") -> list[str]:
    """Put a fake ``reasoningbank.llm.local`` in ``sys.modules``; returns the events it records."""
    events: list[str] = []
    module = types.ModuleType("reasoningbank.llm.local")

    @contextlib.contextmanager
    def local_llm(name: str) -> Iterator[ScriptedLLM]:
        if fail == "assemble":
            raise AssemblyError("parts not installed")
        if fail == "serve":
            raise ServerError("llama-server exited with code 1\nlast log line")
        events.append(f"start {name}")
        try:
            yield llm
        finally:
            events.append("stop")

    class FakeServer:
        def __init__(self, path: Path, *, port: int | None, model_alias: str) -> None:
            self.model_alias = model_alias
            self.port = port or 4321
            self.api_base = f"http://127.0.0.1:{self.port}/v1"
            self.running = False

        def start(self) -> FakeServer:
            events.append("server start")
            return self

        def __enter__(self) -> FakeServer:
            return self

        def __exit__(self, *exc: object) -> None:
            events.append("server stop")

    module.local_llm = local_llm  # type: ignore[attr-defined]
    module.assemble_model = lambda name: Path(f"/models/{name}.gguf")  # type: ignore[attr-defined]
    module.LlamaServer = FakeServer  # type: ignore[attr-defined]
    module.ModelAssemblyError = AssemblyError  # type: ignore[attr-defined]
    module.ModelServerError = ServerError  # type: ignore[attr-defined]
    monkeypatch.setitem(sys.modules, "reasoningbank.llm.local", module)
    return events
