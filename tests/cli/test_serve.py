"""``reasoningbank keys create|list|revoke`` in-process (``serve`` itself runs as a subprocess in
tests/server/test_serve_cli.py)."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.cli.helpers import run


def test_keys_are_created_listed_and_revoked(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    state = str(tmp_path / "state")
    made = run(capsys, "keys", "create", "--tenant", "acme", "--bank", "team", "--state-dir", state, "--json")
    assert made.code == 0, made.err
    key = made.json()
    assert key["token"].startswith(f"rbk_{key['id']}_") and key["banks"] == ["team"]
    listed = run(capsys, "keys", "list", "--state-dir", state, "--json")
    assert [k["id"] for k in listed.json()["keys"]] == [key["id"]] and key["token"] not in listed.out
    human = run(capsys, "keys", "list", "--state-dir", state)
    assert key["id"] in human.out and key["token"] not in human.out
    revoked = run(capsys, "keys", "revoke", key["id"], "--state-dir", state, "--json")
    assert revoked.code == 0 and revoked.json()["revoked_at"]


def test_key_errors_are_one_line(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    state = str(tmp_path / "state")
    assert run(capsys, "keys", "create", "--tenant", "acme", "--bank", "team", "--state-dir", state).code == 0
    taken = run(capsys, "keys", "create", "--tenant", "globex", "--bank", "team", "--state-dir", state)
    assert taken.code == 2 and "belongs to another tenant" in taken.err and "Traceback" not in taken.err
    bad = run(capsys, "keys", "create", "--tenant", "acme", "--bank", "a/b", "--state-dir", state)
    assert bad.code == 2 and "invalid bank name" in bad.err
    missing = run(capsys, "keys", "revoke", "ffffffffffff", "--state-dir", state)
    assert missing.code == 2 and "no key" in missing.err
    (tmp_path / "junk").mkdir()
    (tmp_path / "junk" / "keys.db").write_text("not sqlite" * 50)
    broken = run(capsys, "keys", "list", "--state-dir", str(tmp_path / "junk"))
    assert broken.code == 2 and "not a usable reasoningbank state file" in broken.err


def test_serve_refuses_bad_limits(capsys: pytest.CaptureFixture[str]) -> None:
    res = run(capsys, "serve", "--max-body-bytes", "0")
    assert res.code == 2 and "--max-body-bytes" in res.err
