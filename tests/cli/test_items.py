"""Outcomes on the command line, and items with their records: ``learn --outcome``, ``items``,
``retire``, ``restore``, and what ``show`` says about them."""

from __future__ import annotations

import pytest

from reasoningbank.models import UsageEvent
from reasoningbank.stores import SQLiteStore
from tests.cli.helpers import Env, learn_examples, md, run


def test_learn_outcome_is_recorded_as_the_verdict_source(
    env: Env, capsys: pytest.CaptureFixture[str]
) -> None:
    env.llm.responses = [md("type before submitting"), md("check the field")]  # extractions only
    res = run(capsys, "learn", "--example", "--outcome", "success", "--json")
    assert res.code == 0, res.err
    results = res.json()["results"]
    assert [r["verdict"] for r in results] == ["success", "success"]
    assert [r["verdict_source"] for r in results] == ["outcome", "outcome"]
    assert [r["p_success"] for r in results] == [1.0, 1.0]
    assert len(env.llm.calls) == 2  # no judge call
    assert run(capsys, "learn", "--example", "--outcome", "maybe").code == 2


def _first_item(capsys: pytest.CaptureFixture[str]) -> dict[str, object]:
    res = run(capsys, "items", "--json")
    assert res.code == 0, res.err
    item: dict[str, object] = res.json()["items"][0]
    return item


def test_items_retire_and_restore(env: Env, capsys: pytest.CaptureFixture[str]) -> None:
    assert learn_examples(env, capsys).code == 0
    item = _first_item(capsys)
    item_id = str(item["id"])
    with SQLiteStore(env.db) as store:
        store.record_usage(
            "default",
            [
                UsageEvent(item_id=item_id, task_id="a", shown=True, label="failure"),
                UsageEvent(item_id=item_id, task_id="b", shown=False, label="success"),
            ],
        )
    record = _first_item(capsys)["record"]
    assert record == {
        "shown": 1,
        "shown_success": 0,
        "shown_failure": 1,
        "not_shown": 1,
        "not_shown_success": 1,
        "not_shown_failure": 0,
        "shown_success_rate": 0.0,
        "not_shown_success_rate": 1.0,
    }
    human = run(capsys, "items")
    assert "0/1 with · 1/1 without" in human.out

    res = run(capsys, "retire", item_id[:10], "--reason", "misleads login tasks", "--json")
    assert res.code == 0, res.err
    retired = res.json()["item"]
    assert retired["status"] == "retired" and retired["version"] == 2
    assert res.json()["record"]["shown"] == 1  # the record follows the item across versions
    assert item_id not in [i["id"] for i in run(capsys, "items", "--json").json()["items"]]
    everything = run(capsys, "items", "--all", "--json").json()["items"]
    assert any(i["status"] == "retired" and i["status_reason"] == "misleads login tasks" for i in everything)

    shown = " ".join(run(capsys, "show", str(item["experience_id"])).out.split())
    assert "retired:" in shown and "misleads" in shown and "superseded" in shown
    listed = run(capsys, "list")
    assert "(1 retired)" in listed.out

    res = run(capsys, "restore", item_id[:10])
    assert res.code == 0, res.err
    assert "is now active, version 3: restored by hand" in " ".join(res.out.split())
    assert _first_item(capsys)["version"] == 3


def test_retire_unknown_item_is_a_usage_error(env: Env, capsys: pytest.CaptureFixture[str]) -> None:
    assert run(capsys, "init").code == 0  # a bank that exists, without that item
    res = run(capsys, "retire", "nope")
    assert res.code == 2 and "no item 'nope'" in res.err


def test_show_says_why_a_verdict_was_given(env: Env, capsys: pytest.CaptureFixture[str]) -> None:
    env.llm.responses = [md("type before submitting"), md("check the field")]
    run(capsys, "learn", "--example", "--outcome", "failure")
    exp_id = run(capsys, "list", "--json").json()["experiences"][0]["id"]
    out = run(capsys, "show", exp_id).out
    assert "outcome" in out and "p(success) 0.00" in out and "Why: the caller passed the outcome" in out
