"""Read commands never create a bank: a mistyped ``--store`` says there is no bank (issue 25, item 8)."""

from __future__ import annotations

from pathlib import Path

import pytest

from reasoningbank.stores import BankNotFoundError, open_store
from tests.cli.helpers import Env, add_item, run

READS = [
    ("stats",),
    ("list",),
    ("retrieve", "how do I log in?"),
    ("export",),
    ("show", "abcd1234"),
    ("items",),
    ("delete", "abcd1234", "--yes"),
    ("retire", "abcd1234"),
    ("restore", "abcd1234"),
]


@pytest.mark.parametrize("command", READS, ids=lambda c: c[0])
def test_a_read_of_a_missing_bank_creates_nothing_and_says_so(
    env: Env, capsys: pytest.CaptureFixture[str], command: tuple[str, ...]
) -> None:
    missing = env.tmp / "typo" / "deeper" / "bnak.db"
    res = run(capsys, *command, "--store", str(missing))
    assert res.code != 0
    assert f"no bank at {missing}" in res.err and "reasoningbank learn" in res.err
    assert len(res.err.strip().splitlines()) == 1 and "Traceback" not in res.err
    assert not missing.exists() and not (env.tmp / "typo").exists()


def test_a_read_with_a_sqlite_url_of_a_missing_file_creates_nothing(
    env: Env, capsys: pytest.CaptureFixture[str]
) -> None:
    missing = env.tmp / "nowhere" / "bank.db"
    res = run(capsys, "stats", "--store", f"sqlite:///{missing}")
    assert res.code != 0 and "no bank at" in res.err
    assert not (env.tmp / "nowhere").exists()


def test_reads_of_an_existing_bank_still_work(env: Env, capsys: pytest.CaptureFixture[str]) -> None:
    add_item(capsys, "check the field", "Always check the field first.")
    assert run(capsys, "stats").code == 0
    assert run(capsys, "list").code == 0
    assert run(capsys, "retrieve", "check the field").code == 0


def test_writes_still_create_the_bank(env: Env, capsys: pytest.CaptureFixture[str]) -> None:
    fresh = env.tmp / "new" / "bank.db"
    add_item(capsys, "t", "Always t.", "--store", str(fresh))
    assert fresh.is_file()


def test_open_store_create_false_refuses_a_missing_file(tmp_path: Path) -> None:
    missing = tmp_path / "a" / "b.db"
    with pytest.raises(BankNotFoundError, match="no bank at"):
        open_store(missing, create=False)
    with pytest.raises(BankNotFoundError):
        open_store(f"sqlite:///{missing}", create=False)
    assert not (tmp_path / "a").exists()
    open_store(missing).close()  # the default still creates it
    open_store(missing, create=False).close()  # and now it is there
    open_store("memory://", create=False).close()
