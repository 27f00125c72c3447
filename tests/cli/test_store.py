"""The commands on stored data: init, list, show, delete, export, import, stats."""

from __future__ import annotations

import json
import sys
import types

import pytest

from reasoningbank.models import EmbeddingRef, Experience, MemoryItem
from reasoningbank.stores import open_store
from tests.cli.helpers import Env, add_item, learn_examples, run, stats_json

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


# --------------------------------------------------------------------------- list / show / delete


def test_list_show_delete(env: Env, capsys: pytest.CaptureFixture[str]) -> None:
    assert learn_examples(env, capsys).code == 0
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
    assert stats_json(capsys)["experiences"] == 0


def test_unknown_id_exit_2(env: Env, capsys: pytest.CaptureFixture[str]) -> None:
    assert run(capsys, "init").code == 0  # a bank that exists, without that id
    for cmd in (["show", "deadbeef"], ["delete", "deadbeef", "--yes"]):
        res = run(capsys, *cmd)
        assert res.code == 2 and "no experience with id 'deadbeef'" in res.err and res.out == ""


def test_delete_without_yes_refuses_when_not_interactive(
    env: Env, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    exp_id = add_item(capsys, "t", "c")["experience_id"]
    monkeypatch.setattr(sys, "stdin", types.SimpleNamespace(isatty=lambda: False))
    res = run(capsys, "delete", exp_id)
    assert res.code == 2 and "--yes" in res.err
    assert stats_json(capsys)["experiences"] == 1


def test_show_and_list_print_stored_text_literally(env: Env, capsys: pytest.CaptureFixture[str]) -> None:
    # Rich markup in stored text must neither crash rich nor style the output, and terminal
    # escape sequences must not reach the terminal raw; --json keeps the text exact.
    title, content, query = "[/bold]", "red \x1b[31mtext\x1b[0m [bold]x[/bold]", "q [/] \x07bell"
    exp = Experience(task_id="[red]t[/red]", query=query)
    exp.items = [MemoryItem(title=title, content=content, experience_id=exp.id)]
    store = open_store(f"sqlite:///{env.db}")
    store.add(exp)
    store.close()

    shown = run(capsys, "show", exp.id)
    assert shown.code == 0, shown.err
    assert "[/bold]" in shown.out and "[bold]x[/bold]" in shown.out and "[red]t[/red]" in shown.out
    assert "\x1b" not in shown.out and "\x07" not in shown.out
    assert "\\x1b[31m" in shown.out and "\\x07bell" in shown.out

    listed = run(capsys, "list")
    assert listed.code == 0, listed.err
    assert "[red]t[/red]" in listed.out and "[/]" in listed.out and "\x07" not in listed.out

    exact = run(capsys, "show", exp.id, "--json").json()
    assert exact["items"][0]["title"] == title and exact["items"][0]["content"] == content
    assert exact["query"] == query


# --------------------------------------------------------------------------- export / import


def test_export_import_roundtrip(env: Env, capsys: pytest.CaptureFixture[str]) -> None:
    assert learn_examples(env, capsys).code == 0
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
    stats = stats_json(capsys, "--store", str(other), "--scope", "copy")
    assert (stats["experiences"], stats["items"]) == (2, 3)
    human = run(capsys, "import", str(out), "--store", str(env.tmp / "third.db"))
    assert human.code == 0 and "Imported 2" in human.out


def test_import_bad_file_stores_nothing(env: Env, capsys: pytest.CaptureFixture[str]) -> None:
    bad = env.tmp / "bad.jsonl"
    good = Experience(task_id="t", query="q").model_dump_json()
    bad.write_text(good + "\nnot json\n")
    res = run(capsys, "import", str(bad))
    assert res.code == 2 and ":2" in res.err
    assert stats_json(capsys)["experiences"] == 0
    missing = run(capsys, "import", str(env.tmp / "nope.jsonl"))
    assert missing.code == 2 and "no such file" in missing.err


def test_import_embedding_mismatch_exit_2(env: Env, capsys: pytest.CaptureFixture[str]) -> None:
    add_item(capsys, "t", "c")
    exp = Experience(
        task_id="t2", query="q", query_embedding=EmbeddingRef(model="other-model", dim=3, vector=[1.0, 0, 0])
    )
    path = env.tmp / "other.jsonl"
    path.write_text(exp.model_dump_json() + "\n")
    res = run(capsys, "import", str(path))
    assert res.code == 2 and "other-model" in res.err and "Traceback" not in res.err
    assert stats_json(capsys)["experiences"] == 1


# --------------------------------------------------------------------------- stats


def test_stats_human_and_scopes(env: Env, capsys: pytest.CaptureFixture[str]) -> None:
    add_item(capsys, "a", "b")
    add_item(capsys, "c", "d", "--scope", "web")
    stats = stats_json(capsys)
    assert stats["scopes"] == {"default": 1, "web": 1}
    assert stats["embedding_model"] == {"model": "hash-embedder-64", "dim": 64}
    assert stats["unjudged"] == 1
    res = run(capsys, "stats")
    assert res.code == 0 and "hash-embedder-64" in res.out and "web (1)" in res.out


def test_stats_of_a_scope_names_no_other_scope(env: Env, capsys: pytest.CaptureFixture[str]) -> None:
    add_item(capsys, "a", "b", "--scope", "tenant-a")
    add_item(capsys, "c", "d", "--scope", "tenant-b")
    add_item(capsys, "e", "f", "--scope", "tenant-b")
    mine = stats_json(capsys, "--scope", "tenant-a")
    assert mine["scopes"] == {"tenant-a": 1} and mine["experiences"] == 1
    assert "tenant-b" not in json.dumps(mine)
    human = run(capsys, "stats", "--scope", "tenant-a")
    assert human.code == 0 and "tenant-a (1)" in human.out and "tenant-b" not in human.out
    cfg = env.tmp / "bank.toml"
    cfg.write_text('scope = "tenant-b"\n')
    assert stats_json(capsys, "--config", str(cfg))["scopes"] == {"tenant-b": 2}
    everything = stats_json(capsys, "--scope", "tenant-a", "--all-scopes")
    assert everything["scopes"] == {"tenant-a": 1, "tenant-b": 2}
