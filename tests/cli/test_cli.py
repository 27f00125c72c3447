"""The CLI, run in-process through ``main([...])`` with a hash embedder and a scripted LLM."""

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
from reasoningbank.bank import ReasoningBank
from reasoningbank.config import BankConfig
from reasoningbank.embed import make_embedder
from reasoningbank.llm import LLM, ScriptedLLM
from reasoningbank.models import EmbeddingRef, Experience, Step, Trajectory
from reasoningbank.stores import open_store
from reasoningbank.trajio import example_path


def _md(*titles: str) -> str:
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


@pytest.fixture
def env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Env:
    db = tmp_path / "bank.db"
    e = Env(tmp=tmp_path, db=db)
    monkeypatch.setenv("REASONINGBANK_STORE", f"sqlite:///{db}")
    monkeypatch.delenv("REASONINGBANK_MODEL", raising=False)
    monkeypatch.delenv("REASONINGBANK_API_BASE", raising=False)

    def fake_build(cfg: BankConfig, *, llm: LLM | None = None) -> ReasoningBank:
        e.built.append(cfg)
        return ReasoningBank.from_preset(
            open_store(cfg.store),
            make_embedder(cfg.embedder),
            llm or e.llm,
            cfg.resolved_preset(),
            scope=cfg.scope,
        )

    monkeypatch.setattr(cli, "build_bank", fake_build)
    return e


def run(capsys: pytest.CaptureFixture[str], *args: str) -> Result:
    code = cli.main(["--embedder", "hash", *args])
    captured = capsys.readouterr()
    return Result(code, captured.out, captured.err)


def _learn_examples(env: Env, capsys: pytest.CaptureFixture[str], *extra: str) -> Result:
    env.llm.responses = [
        'Thoughts: it submitted an empty field.\nStatus: "failure"',
        _md("type before submitting"),
        'Thoughts: the text was typed and submitted.\nStatus: "success"',
        _md("check the field", "submit last"),
    ]
    return run(capsys, "learn", str(example_path()), *extra)


def _stats(capsys: pytest.CaptureFixture[str], *extra: str) -> dict[str, Any]:
    res = run(capsys, "stats", "--json", *extra)
    assert res.code == 0, res.err
    data: dict[str, Any] = res.json()
    return data


# --------------------------------------------------------------------------- init


def test_init_creates_sqlite_store(env: Env, capsys: pytest.CaptureFixture[str]) -> None:
    res = run(capsys, "init")
    assert res.code == 0 and "bank.db" in res.out and "default" in res.out
    assert env.db.exists()


def test_init_json_and_store_flag(env: Env, capsys: pytest.CaptureFixture[str]) -> None:
    other = env.tmp / "other.db"
    res = run(capsys, "init", "--json", "--store", str(other), "--scope", "web")
    assert res.code == 0
    data = res.json()
    assert data["scope"] == "web" and data["experiences"] == 0 and data["store"] == str(other)
    assert other.exists() and not env.db.exists()


# --------------------------------------------------------------------------- learn


def test_learn_json_reports_each_trajectory(env: Env, capsys: pytest.CaptureFixture[str]) -> None:
    res = _learn_examples(env, capsys, "--json")
    assert res.code == 0, res.err
    results = res.json()["results"]
    assert [r["task_id"] for r in results] == ["enter-text:7", "enter-text:8"]
    assert [r["verdict"] for r in results] == ["failure", "success"]
    assert [len(r["items"]) for r in results] == [1, 2]
    assert results[0]["items"][0]["title"] == "type before submitting"
    assert results[0]["calls"] == 2 and results[0]["tokens"] > 0
    assert all(r["stored"] for r in results)
    stats = _stats(capsys)
    assert (stats["experiences"], stats["items"], stats["success"], stats["failure"]) == (2, 3, 1, 1)


def test_learn_human_output(env: Env, capsys: pytest.CaptureFixture[str]) -> None:
    res = _learn_examples(env, capsys)
    assert res.code == 0, res.err
    assert "enter-text:7" in res.out and "failure" in res.out and "success" in res.out
    assert "type before submitting" in res.out


def test_learn_overrides_task_id_and_query(env: Env, capsys: pytest.CaptureFixture[str]) -> None:
    path = env.tmp / "one.json"
    path.write_text(Trajectory(task_id="a", query="q", steps=[Step(action="x")]).model_dump_json())
    env.llm.responses = ["Status: success", _md("tip")]
    res = run(capsys, "learn", str(path), "--task-id", "T9", "--query", "new query", "--json")
    assert res.code == 0, res.err
    exp_id = res.json()["results"][0]["experience_id"]
    shown = run(capsys, "show", exp_id, "--json").json()
    assert shown["task_id"] == "T9" and shown["query"] == "new query"


def test_malformed_file_stores_nothing(env: Env, capsys: pytest.CaptureFixture[str]) -> None:
    good = example_path().read_text().splitlines()[0]
    bad = env.tmp / "bad.jsonl"
    bad.write_text(good + "\n" + '{"task_id": "x", "query": "q", "steps": [{"act": 1}]}\n')
    env.llm.default = "Status: success"
    res = run(capsys, "learn", str(bad))
    assert res.code == 2
    assert res.out == ""
    assert f"{bad}:2" in res.err and "steps.0.act" in res.err
    assert res.err.count("\n") == 1 and "Traceback" not in res.err
    assert env.llm.calls == []
    assert _stats(capsys)["experiences"] == 0


def test_malformed_json_names_line(env: Env, capsys: pytest.CaptureFixture[str]) -> None:
    bad = env.tmp / "bad.json"
    bad.write_text('{\n "task_id": "a",\n "query": \n}')
    res = run(capsys, "learn", str(bad), "--json")
    assert res.code == 2 and f"{bad}:4" in res.err and "invalid JSON" in res.err


def test_learn_missing_file(env: Env, capsys: pytest.CaptureFixture[str]) -> None:
    res = run(capsys, "learn", str(env.tmp / "missing.json"))
    assert res.code == 2 and "missing.json: no such file" in res.err


def test_learn_without_model_is_usage_error(
    env: Env, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(cli, "build_bank", lambda cfg, *, llm=None: ReasoningBank.from_config(cfg))
    res = run(capsys, "learn", str(example_path()))
    assert res.code == 2
    assert "--model" in res.err and "--local-model" in res.err
    assert _stats(capsys)["experiences"] == 0


def test_learn_failing_model_call_exits_1(env: Env, capsys: pytest.CaptureFixture[str]) -> None:
    def boom(_: Any) -> str:
        raise RuntimeError("backend down")

    env.llm.responses = ["Status: failure", _md("a"), boom]
    res = run(capsys, "learn", str(example_path()))
    assert res.code == 1
    assert "backend down" in res.err and "1 of 2" in res.err
    assert _stats(capsys)["experiences"] == 1


# --------------------------------------------------------------------------- add / retrieve


def _add(capsys: pytest.CaptureFixture[str], title: str, content: str, *extra: str) -> dict[str, Any]:
    res = run(capsys, "add", "--title", title, "--content", content, "--json", *extra)
    assert res.code == 0, res.err
    data: dict[str, Any] = res.json()
    return data


def test_add_and_retrieve_json(env: Env, capsys: pytest.CaptureFixture[str]) -> None:
    added = _add(capsys, "Type before submit", "Fill the field first.", "--query", "enter text in a form")
    assert added["item"]["origin"] == "manual"
    _add(capsys, "Sort the table", "Click the header.", "--query", "sort a data table by column")
    res = run(capsys, "retrieve", "enter text in a form", "--json", "-k", "1")
    assert res.code == 0, res.err
    hits = res.json()["hits"]
    assert len(hits) == 1
    assert hits[0]["experience_id"] == added["experience_id"]
    assert hits[0]["items"][0]["title"] == "Type before submit"
    assert hits[0]["score"] > 0.99
    assert env.llm.calls == []


def test_retrieve_render_and_human(env: Env, capsys: pytest.CaptureFixture[str]) -> None:
    _add(capsys, "Type before submit", "Fill the field first.", "--query", "enter text")
    rendered = run(capsys, "retrieve", "enter text", "--render")
    assert rendered.code == 0
    assert "Type before submit" in rendered.out and "Fill the field first." in rendered.out
    human = run(capsys, "retrieve", "enter text")
    assert human.code == 0 and "Type before submit" in human.out
    both = run(capsys, "retrieve", "enter text", "--render", "--json").json()
    assert "Fill the field first." in both["rendered"]


def test_retrieve_leave_one_out_and_empty(env: Env, capsys: pytest.CaptureFixture[str]) -> None:
    _add(capsys, "Tip", "Do it.", "--query", "enter text", "--task-id", "task-1")
    hits = run(capsys, "retrieve", "enter text", "--task-id", "task-1", "--json").json()["hits"]
    assert hits == []
    res = run(capsys, "retrieve", "enter text", "--scope", "empty")
    assert res.code == 0 and "No memory" in res.out


def test_retrieve_bad_k(env: Env, capsys: pytest.CaptureFixture[str]) -> None:
    res = run(capsys, "retrieve", "q", "-k", "0")
    assert res.code == 2 and "-k" in res.err


# --------------------------------------------------------------------------- list / show / delete


def test_list_show_delete(env: Env, capsys: pytest.CaptureFixture[str]) -> None:
    assert _learn_examples(env, capsys).code == 0
    listed = run(capsys, "list", "--json").json()
    assert listed["total"] == 2
    ids = [e["id"] for e in listed["experiences"]]
    assert [e["task_id"] for e in listed["experiences"]] == ["enter-text:7", "enter-text:8"]
    assert run(capsys, "list", "--json", "--limit", "1").json()["experiences"][0]["id"] == ids[0]
    assert run(capsys, "list", "--json", "--offset", "1").json()["experiences"][0]["id"] == ids[1]
    human = run(capsys, "list")
    assert human.code == 0 and "enter-text:7" in human.out

    shown = run(capsys, "show", ids[0], "--json").json()
    assert shown["verdict"]["label"] == "failure"
    assert shown["trajectory"]["steps"][0]["action"] == 'click("submit")'
    assert "vector" not in shown["query_embedding"] and shown["query_embedding"]["dim"] == 64
    with_vec = run(capsys, "show", ids[0], "--json", "--with-vector").json()
    assert len(with_vec["query_embedding"]["vector"]) == 64
    by_prefix = run(capsys, "show", ids[1][:8])
    assert by_prefix.code == 0 and "check the field" in by_prefix.out and "success" in by_prefix.out

    deleted = run(capsys, "delete", ids[0], "--yes", "--json").json()
    assert deleted == {"deleted": ids[0], "scope": "default", "items": 1}
    assert run(capsys, "list", "--json").json()["total"] == 1
    human_del = run(capsys, "delete", ids[1], "-y")
    assert human_del.code == 0 and "Deleted" in human_del.out
    assert _stats(capsys)["experiences"] == 0


def test_unknown_id_exit_2(env: Env, capsys: pytest.CaptureFixture[str]) -> None:
    for cmd in (["show", "deadbeef"], ["delete", "deadbeef", "--yes"]):
        res = run(capsys, *cmd)
        assert res.code == 2 and "no experience with id 'deadbeef'" in res.err and res.out == ""


def test_delete_without_yes_refuses_when_not_interactive(
    env: Env, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    exp_id = _add(capsys, "t", "c")["experience_id"]
    monkeypatch.setattr(sys, "stdin", types.SimpleNamespace(isatty=lambda: False))
    res = run(capsys, "delete", exp_id)
    assert res.code == 2 and "--yes" in res.err
    assert _stats(capsys)["experiences"] == 1


# --------------------------------------------------------------------------- export / import


def test_export_import_roundtrip(env: Env, capsys: pytest.CaptureFixture[str]) -> None:
    assert _learn_examples(env, capsys).code == 0
    out = env.tmp / "dump.jsonl"
    res = run(capsys, "export", str(out), "--json")
    assert res.code == 0 and res.json()["exported"] == 2
    assert len(out.read_text().splitlines()) == 2

    stdout_dump = run(capsys, "export")
    assert stdout_dump.code == 0 and len(stdout_dump.out.splitlines()) == 2
    assert "exported 2" in stdout_dump.err

    other = env.tmp / "other.db"
    imp = run(capsys, "import", str(out), "--store", str(other), "--scope", "copy", "--json")
    assert imp.code == 0, imp.err
    assert imp.json()["imported"] == 2
    stats = _stats(capsys, "--store", str(other), "--scope", "copy")
    assert (stats["experiences"], stats["items"]) == (2, 3)
    human = run(capsys, "import", str(out), "--store", str(env.tmp / "third.db"))
    assert human.code == 0 and "Imported 2" in human.out


def test_import_bad_file_stores_nothing(env: Env, capsys: pytest.CaptureFixture[str]) -> None:
    bad = env.tmp / "bad.jsonl"
    good = Experience(task_id="t", query="q").model_dump_json()
    bad.write_text(good + "\nnot json\n")
    res = run(capsys, "import", str(bad))
    assert res.code == 2 and ":2" in res.err
    assert _stats(capsys)["experiences"] == 0
    missing = run(capsys, "import", str(env.tmp / "nope.jsonl"))
    assert missing.code == 2 and "no such file" in missing.err


def test_import_embedding_mismatch_exit_2(env: Env, capsys: pytest.CaptureFixture[str]) -> None:
    _add(capsys, "t", "c")
    exp = Experience(
        task_id="t2", query="q", query_embedding=EmbeddingRef(model="other-model", dim=3, vector=[1.0, 0, 0])
    )
    path = env.tmp / "other.jsonl"
    path.write_text(exp.model_dump_json() + "\n")
    res = run(capsys, "import", str(path))
    assert res.code == 2 and "other-model" in res.err and "Traceback" not in res.err
    assert _stats(capsys)["experiences"] == 1


# --------------------------------------------------------------------------- stats / options


def test_stats_human_and_scopes(env: Env, capsys: pytest.CaptureFixture[str]) -> None:
    _add(capsys, "a", "b")
    _add(capsys, "c", "d", "--scope", "web")
    stats = _stats(capsys)
    assert stats["scopes"] == {"default": 1, "web": 1}
    assert stats["embedding_model"] == {"model": "hash-embedder-64", "dim": 64}
    assert stats["unjudged"] == 1
    res = run(capsys, "stats")
    assert res.code == 0 and "hash-embedder-64" in res.out and "web (1)" in res.out


def test_global_options_before_command_and_config_file(env: Env, capsys: pytest.CaptureFixture[str]) -> None:
    cfg = env.tmp / "bank.toml"
    cfg.write_text(f'store = "sqlite:///{env.tmp / "cfg.db"}"\nscope = "fromfile"\npreset = "small-local"\n')
    argv = ["--config", str(cfg), "--json", "--embedder", "hash", "add", "--title", "t", "--content", "c"]
    code = cli.main(argv)
    out = capsys.readouterr().out
    assert code == 0 and json.loads(out)["scope"] == "fromfile"
    built = env.built[-1]
    assert built.preset == "small-local" and built.store.endswith("cfg.db") and built.embedder == "hash"
    assert (env.tmp / "cfg.db").exists() and not env.db.exists()
    flag = run(capsys, "stats", "--json", "--config", str(cfg), "--scope", "other")
    assert flag.json()["scope"] == "other" and flag.json()["scopes"] == {"fromfile": 1}


def test_bad_config_and_bad_store(env: Env, capsys: pytest.CaptureFixture[str]) -> None:
    cfg = env.tmp / "bank.toml"
    cfg.write_text("nonsense_key = 1\n")
    res = run(capsys, "stats", "--config", str(cfg))
    assert res.code == 2 and "nonsense_key" in res.err
    res = run(capsys, "stats", "--store", "ftp://nowhere")
    assert res.code == 2 and "unknown store URL" in res.err


def test_usage_errors_and_help(capsys: pytest.CaptureFixture[str]) -> None:
    assert cli.main([]) == 2
    assert cli.main(["frobnicate"]) == 2
    assert cli.main(["--help"]) == 0
    assert "learn" in capsys.readouterr().out


def test_bench_subcommands_registered(capsys: pytest.CaptureFixture[str]) -> None:
    # The bench commands live in the CLI package (cli.bench), registered directly: the bench
    # package never imports the CLI back.
    assert cli.main(["bench", "--help"]) == 0
    out = capsys.readouterr().out
    assert all(name in out for name in ("miniwob", "rejudge", "report"))


def test_python_dash_m_entry() -> None:
    import runpy

    with pytest.raises(SystemExit) as exc:
        sys_argv = sys.argv
        sys.argv = ["reasoningbank", "--help"]
        try:
            runpy.run_module("reasoningbank", run_name="__main__")
        finally:
            sys.argv = sys_argv
    assert exc.value.code == 0


# --------------------------------------------------------------------------- local model


class _AssemblyError(RuntimeError):
    pass


class _ServerError(RuntimeError):
    pass


def _fake_localmodel(monkeypatch: pytest.MonkeyPatch, llm: ScriptedLLM, fail: str = "") -> list[str]:
    events: list[str] = []
    module = types.ModuleType("reasoningbank.llm.local")

    @contextlib.contextmanager
    def local_llm(name: str) -> Iterator[ScriptedLLM]:
        if fail == "assemble":
            raise _AssemblyError("parts not installed")
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
    module.ModelAssemblyError = _AssemblyError  # type: ignore[attr-defined]
    module.ModelServerError = _ServerError  # type: ignore[attr-defined]
    monkeypatch.setitem(sys.modules, "reasoningbank.llm.local", module)
    return events


def test_learn_with_local_model(
    env: Env, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    local = ScriptedLLM(["Status: failure", _md("a"), "Status: success", _md("b")], model="local-fake")
    events = _fake_localmodel(monkeypatch, local)
    res = run(capsys, "learn", str(example_path()), "--local-model", "tiny", "--preset", "paper", "--json")
    assert res.code == 0, res.err
    assert events == ["start tiny", "stop"]
    assert len(local.calls) == 4 and env.llm.calls == []
    assert all(call.json_schema is None for call in local.calls)  # the paper preset asks for Markdown


def test_local_model_uses_small_local_preset_by_default(
    env: Env, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    import json as _json

    judge = 'Thoughts: typed then submitted\nStatus: "success"'
    item = {"title": "Type first", "description": "", "content": "Fill, then submit."}
    items = _json.dumps({"items": [item]})
    local = ScriptedLLM([judge, items, judge, items], model="local-fake")
    _fake_localmodel(monkeypatch, local)
    res = run(capsys, "learn", str(example_path()), "--local-model", "tiny", "--json")
    assert res.code == 0, res.err
    assert len(local.calls) == 4
    # small-local: text verdicts, JSON items under a schema
    assert [call.json_schema is not None for call in local.calls] == [False, True, False, True]


def test_local_model_not_started_when_model_configured(
    env: Env, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    events = _fake_localmodel(monkeypatch, ScriptedLLM())
    env.llm.responses = ["Status: failure", _md("a"), "Status: success", _md("b")]
    res = run(capsys, "learn", str(example_path()), "--local-model", "tiny", "--model", "some/model")
    assert res.code == 0, res.err
    assert events == [] and env.built[-1].model == "some/model"


def test_local_model_unavailable_exit_2(
    env: Env, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    _fake_localmodel(monkeypatch, ScriptedLLM(), fail="assemble")
    res = run(capsys, "learn", str(example_path()), "--local-model", "tiny")
    assert res.code == 2 and "local model 'tiny' is not available: parts not installed" in res.err
    assert _stats(capsys)["experiences"] == 0


def test_serve_model_json(capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> None:
    events = _fake_localmodel(monkeypatch, ScriptedLLM())
    assert cli.main(["serve-model", "tiny", "--port", "5555", "--json"]) == 0
    info = json.loads(capsys.readouterr().out)
    assert info["api_base"] == "http://127.0.0.1:5555/v1" and info["model"] == "tiny"
    assert events == ["server start", "server stop"]


def test_sigterm_runs_cleanup_instead_of_killing_the_process(tmp_path: Path) -> None:
    """A terminated command exits through SystemExit, so browsers and model servers get closed."""
    import signal
    import subprocess
    import sys as _sys
    import textwrap

    script = tmp_path / "term.py"
    marker = tmp_path / "closed"
    script.write_text(
        textwrap.dedent(
            f"""
            import os, signal, sys, threading
            from reasoningbank import cli

            def slow(args):
                try:
                    os.kill(os.getpid(), signal.SIGTERM)
                    threading.Event().wait(10)
                finally:
                    open({str(marker)!r}, "w").write("yes")
                return 0

            import argparse
            orig = argparse.ArgumentParser.parse_args
            def parse(self, args=None, namespace=None):
                ns = orig(self, args, namespace)
                ns.func = slow
                return ns
            argparse.ArgumentParser.parse_args = parse
            sys.exit(cli.main(["stats", "--store", "memory://"]))
            """
        )
    )
    proc = subprocess.run([_sys.executable, str(script)], capture_output=True, timeout=60)
    assert marker.read_text() == "yes", proc.stderr.decode()[-500:]
    assert proc.returncode == 128 + signal.SIGTERM
