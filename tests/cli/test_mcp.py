"""``reasoningbank mcp``: options reach the server, and bad ones end in one line (exit 2).

The transports are replaced by recorders here; the subprocess test over stdio
(``tests/server/test_mcp_stdio.py``) runs the real thing.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

pytest.importorskip("mcp")

from reasoningbank import cli
from reasoningbank.server.keys import KeyStore
from reasoningbank.server.mcp import transport as mcp_server
from reasoningbank.server.mcp.access import KEY_ENV, BankScope


@pytest.fixture
def calls(monkeypatch: pytest.MonkeyPatch) -> list[tuple[str, Any, BankScope, dict[str, Any]]]:
    seen: list[tuple[str, Any, BankScope, dict[str, Any]]] = []

    def stdio(service: Any, access: Any, scope: BankScope) -> None:
        seen.append(("stdio", access, scope, {}))
        service.close()

    def http(service: Any, scope: BankScope, **kw: Any) -> None:
        seen.append(("http", None, scope, kw))
        service.close()

    monkeypatch.setattr(mcp_server, "run_stdio", stdio)
    monkeypatch.setattr(mcp_server, "run_http", http)
    monkeypatch.delenv(KEY_ENV, raising=False)
    return seen


def _argv(tmp: Path, *extra: str) -> list[str]:
    store = f"sqlite:///{tmp / 'bank.db'}"
    return ["mcp", "--store", store, "--state-dir", str(tmp / "state"), "--embedder", "hash", *extra]


def test_stdio_local_mode_uses_the_banks_named_or_the_scope(tmp_path: Path, calls: list[Any]) -> None:
    assert cli.main(_argv(tmp_path, "--bank", "team", "--bank", "notes")) == 0
    assert cli.main([*_argv(tmp_path), "--scope", "proj"]) == 0
    (_, first, scope1, _), (_, _, scope2, _) = calls
    assert scope1.banks == ("team", "notes") and first.principal(None).tenant == "local"
    assert scope2.banks == ("proj",)


def test_http_passes_host_port_banks_and_allowed_hosts(
    tmp_path: Path, calls: list[Any], capsys: pytest.CaptureFixture[str]
) -> None:
    argv = _argv(
        tmp_path, "--transport", "http", "--port", "9123", "--bank", "team", "--allow-host", "m.example"
    )
    assert cli.main(argv) == 0
    kind, _, scope, kw = calls[0]
    assert kind == "http" and scope.banks == ("team",) and kw["host"] == "127.0.0.1" and kw["port"] == 9123
    assert kw["allowed_hosts"] == ["m.example"]
    err = capsys.readouterr().err
    assert "holds no API keys" in err and "http://127.0.0.1:9123/mcp" in err


def test_bad_options_are_one_line_exit_2(
    tmp_path: Path, calls: list[Any], capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    assert cli.main(_argv(tmp_path, "--transport", "http", "--port", "0")) == 2
    assert "--port 0" in capsys.readouterr().err
    assert cli.main(_argv(tmp_path, "--bank", "a b")) == 2
    assert "invalid bank name" in capsys.readouterr().err
    keys = KeyStore(tmp_path / "state")
    keys.create("acme", ["team"])
    keys.close()
    assert cli.main(_argv(tmp_path)) == 2
    assert f"set ${KEY_ENV}" in capsys.readouterr().err
    monkeypatch.setenv(KEY_ENV, "rbk_000000000000_" + "x" * 43)
    assert cli.main(_argv(tmp_path)) == 2
    assert "not a valid API key" in capsys.readouterr().err
    assert calls == []
