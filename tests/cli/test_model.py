"""The bundled local model in the CLI: ``learn --local-model`` and ``serve-model``, with a fake server."""

from __future__ import annotations

import json
from typing import Any

import pytest

from reasoningbank import cli
from reasoningbank.cli import common
from reasoningbank.llm import ScriptedLLM
from reasoningbank.llm.gguf import ModelAssemblyError
from reasoningbank.llm.local import ModelServerError
from reasoningbank.trajio import example_path
from tests.cli.helpers import Env, fake_localmodel, md, run


def test_learn_with_local_model(
    env: Env, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    local = ScriptedLLM(["Status: failure", md("a"), "Status: success", md("b")], model="local-fake")
    events = fake_localmodel(monkeypatch, local)
    res = run(capsys, "learn", str(example_path()), "--local-model", "tiny", "--preset", "paper", "--json")
    assert res.code == 0, res.err
    assert events == ["start tiny", "stop"]
    assert len(local.calls) == 4 and env.llm.calls == []
    assert all(call.json_schema is None for call in local.calls)  # the paper preset asks for Markdown


def test_local_model_uses_small_local_preset_by_default(
    env: Env, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    item = {"title": "Type first", "description": "", "content": "Fill, then submit."}
    items = json.dumps({"items": [item]})
    local = ScriptedLLM([items, items], model="local-fake")
    fake_localmodel(monkeypatch, local)
    res = run(capsys, "learn", str(example_path()), "--local-model", "tiny", "--json")
    assert res.code == 0, res.err
    # small-local: the evidence judge decides both examples without the model (one never typed
    # the name; one finished after typing it), and items come as JSON under a schema
    results = res.json()["results"]
    assert [r["verdict"] for r in results] == ["failure", "success"]
    assert [r["verdict_source"] for r in results] == ["rules", "rules"]
    assert len(local.calls) == 2 and all(call.json_schema is not None for call in local.calls)


def test_local_model_not_started_when_model_configured(
    env: Env, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    events = fake_localmodel(monkeypatch, ScriptedLLM())
    env.llm.responses = ["Status: failure", md("a"), "Status: success", md("b")]
    res = run(capsys, "learn", str(example_path()), "--local-model", "tiny", "--model", "some/model")
    assert res.code == 0, res.err
    assert events == [] and env.built[-1].model == "some/model"


def test_local_model_unavailable_exit_2(
    env: Env, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    fake_localmodel(monkeypatch, ScriptedLLM(), fail="assemble")
    res = run(capsys, "learn", str(example_path()), "--local-model", "tiny")
    assert res.code == 2 and "local model 'tiny' is not available: parts not installed" in res.err
    assert not env.db.exists()  # not even an empty bank was made


def test_local_model_server_failure_exit_1(
    env: Env, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    fake_localmodel(monkeypatch, ScriptedLLM(), fail="serve")
    res = run(capsys, "learn", "--example", "--local-model", "tiny")
    assert res.code == 1 and res.out == ""
    assert res.err == (
        "reasoningbank: error: local model 'tiny' could not be served: "
        "llama-server exited with code 1 last log line\n"
    )


def test_model_server_error_anywhere_is_one_line_exit_1(
    env: Env, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    # A server that dies outside the start-up block (here: while the bank is built) is a run failure too.
    def dead_server(*_: Any, **__: Any) -> Any:
        raise ModelServerError("the model server at 127.0.0.1:4321 stopped answering\nlog tail")

    monkeypatch.setattr(common, "build_bank", dead_server)
    assert run(capsys, "init").code == 0  # retrieve reads an existing bank only
    res = run(capsys, "retrieve", "enter text")
    assert res.code == 1 and res.out == ""
    assert res.err == (
        "reasoningbank: error: the model server at 127.0.0.1:4321 stopped answering log tail\n"
    )


def test_model_assembly_error_anywhere_is_one_line_exit_2(
    env: Env, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    # A bundled model that is not installed is bad input wherever it is noticed.
    def missing(*_: Any, **__: Any) -> Any:
        raise ModelAssemblyError("package qwen-part-1 is not installed")

    monkeypatch.setattr(common, "build_bank", missing)
    res = run(capsys, "add", "--title", "t", "--content", "c")
    assert res.code == 2 and res.out == ""
    assert res.err == "reasoningbank: error: package qwen-part-1 is not installed\n"


def test_serve_model_json(capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> None:
    events = fake_localmodel(monkeypatch, ScriptedLLM())
    assert cli.main(["serve-model", "tiny", "--port", "5555", "--json"]) == 0
    info = json.loads(capsys.readouterr().out)
    assert info["api_base"] == "http://127.0.0.1:5555/v1" and info["model"] == "tiny"
    assert events == ["server start", "server stop"]
