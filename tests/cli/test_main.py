"""``main``: the parser, the common options and config, and how errors end a command."""

from __future__ import annotations

import json
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import pytest

from reasoningbank import cli
from reasoningbank.bank import ReasoningBank
from reasoningbank.cli import common
from reasoningbank.config import BankConfig
from reasoningbank.embed import HashEmbedder, Vectors
from reasoningbank.llm.retry import LLMCallError
from reasoningbank.stores import open_store
from tests.cli.helpers import Env, md, run, stats_json

# --------------------------------------------------------------------------- options and config


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
    assert flag.json()["scope"] == "other" and flag.json()["scopes"] == {"other": 0}


def test_default_store_is_the_configs(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(common.STORE_ENV, raising=False)
    args = cli.build_parser().parse_args(["stats"])
    common.fill_defaults(args)
    assert common.load_config(args).store == common.DEFAULT_STORE == BankConfig().store


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


# --------------------------------------------------------------------------- failed model calls


def _call_failed(_: object) -> str:
    raise LLMCallError("openai/gpt-x: connection refused after 3 attempts", attempts=3, retryable=True)


def test_failed_llm_call_in_learn_is_one_line_exit_1(env: Env, capsys: pytest.CaptureFixture[str]) -> None:
    env.llm.responses = [_call_failed]
    res = run(capsys, "learn", "--example")
    assert res.code == 1 and res.out == ""
    assert res.err.count("\n") == 1 and res.err.startswith("reasoningbank: error: ")
    assert "connection refused after 3 attempts" in res.err and "0 of 2" in res.err
    assert stats_json(capsys)["experiences"] == 0


class _DownEmbedder(HashEmbedder):
    """A hosted embedder whose service is down: every call fails as LiteLLM calls do."""

    def embed_documents(self, texts: Sequence[str]) -> Vectors:
        raise LLMCallError(
            "embedding call to litellm:text-embedding-3-small failed", attempts=1, retryable=False
        )

    def embed_query(self, text: str) -> Vectors:
        return self.embed_documents([text])


@pytest.mark.parametrize(
    "argv",
    [
        ["retrieve", "enter text"],
        ["add", "--title", "t", "--content", "c"],
        ["learn", "--example"],  # the judge and extractor answer; storing needs the query embedded
    ],
)
def test_failed_model_call_outside_learn_is_one_line_exit_1(
    env: Env, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch, argv: list[str]
) -> None:
    env.llm.responses = ["Status: success", md("tip")]

    def down(cfg: BankConfig, *, llm: Any = None) -> ReasoningBank:
        preset = cfg.resolved_preset()
        return ReasoningBank.from_preset(
            open_store(cfg.store), _DownEmbedder(), env.llm, preset, scope=cfg.scope
        )

    monkeypatch.setattr(common, "build_bank", down)
    assert run(capsys, "init").code == 0  # retrieve reads an existing bank only
    res = run(capsys, *argv)
    assert res.code == 1 and res.out == ""
    assert res.err == "reasoningbank: error: embedding call to litellm:text-embedding-3-small failed\n"


# --------------------------------------------------------------------------- signals


def test_sigterm_runs_cleanup_instead_of_killing_the_process(tmp_path: Path) -> None:
    """A terminated command exits through SystemExit, so browsers and model servers get closed."""
    import signal
    import subprocess
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
    proc = subprocess.run([sys.executable, str(script)], capture_output=True, timeout=60)
    assert marker.read_text() == "yes", proc.stderr.decode()[-500:]
    assert proc.returncode == 128 + signal.SIGTERM
