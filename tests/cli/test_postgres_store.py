"""The CLI on a PostgreSQL bank: ``--store postgresql://...`` wherever a bank path is accepted."""

from __future__ import annotations

import pytest

from tests.cli.helpers import Env, learn_examples, run, stats_json

pytestmark = pytest.mark.postgres


def test_learn_stats_retrieve_export_on_postgres(
    env: Env, pg_url: str, capsys: pytest.CaptureFixture[str]
) -> None:
    assert learn_examples(env, capsys, "--store", pg_url).code == 0
    stats = stats_json(capsys, "--store", pg_url)
    assert (stats["experiences"], stats["items"]) == (2, 3)
    assert stats["embedding_model"] == {"model": "hash-embedder-64", "dim": 64}
    hits = run(capsys, "retrieve", "type a name and submit", "--json", "--store", pg_url)
    assert hits.code == 0, hits.err
    assert len(hits.json()["hits"]) >= 1
    dump = run(capsys, "export", "--store", pg_url)
    assert dump.code == 0 and len(dump.out.splitlines()) == 2
    assert not env.db.exists()  # nothing went to the default SQLite bank


def test_init_shows_a_postgres_url_without_its_password(
    env: Env, pg_url: str, capsys: pytest.CaptureFixture[str]
) -> None:
    url = f"{pg_url}&password=s3cret"  # the test server trusts local connections: any password works
    res = run(capsys, "init", "--json", "--store", url)
    assert res.code == 0, res.err
    assert "s3cret" not in res.out and res.json()["store"].endswith("password=***")
    human = run(capsys, "stats", "--store", url)
    assert human.code == 0 and "s3cret" not in human.out


def test_an_unreachable_postgres_is_one_line(env: Env, capsys: pytest.CaptureFixture[str]) -> None:
    res = run(capsys, "stats", "--store", f"postgresql://agent:s3cret@/bank?host={env.tmp / 'none'}")
    assert res.code == 1
    assert res.err.startswith("reasoningbank: error: cannot connect to PostgreSQL")
    assert "s3cret" not in res.err and "Traceback" not in res.err
