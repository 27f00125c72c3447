"""The Python client end to end against the service over real HTTP."""

from __future__ import annotations

import io
from pathlib import Path

import pytest

from reasoningbank.bank import LearnError
from reasoningbank.models import Trajectory
from reasoningbank.server import Conflict, NotFound, Unauthorized
from reasoningbank.server.client import ReasoningBankClient
from tests.server.conftest import Running
from tests.server.helpers import trajectory


def test_the_library_methods_work_through_the_service(running: Running, tmp_path: Path) -> None:
    with ReasoningBankClient(running.url, running.acme, "team") as bank:
        assert bank.health().status == "ok"
        assert bank.retrieve("buy a shirt") == [] and bank.memory_prompt("buy a shirt") == ""
        job = bank.learn(trajectory("t1"), outcome="success", wait=True)
        assert job.status == "done" and job.result is not None
        exp_id = job.result.experience_id

        items = bank.retrieve("buy a blue shirt on the shop", task_id="t2")
        assert [i.title for i in items] == ["check the form", "submit last"]
        why = bank.retrieve_experiences("buy a blue shirt on the shop").hits[0]
        assert why.experience_id == exp_id and why.task_id == "t1" and why.score > 0
        assert "check the form" in bank.memory_prompt("buy a blue shirt on the shop")

        bank.learn(trajectory("t2"), wait=True)  # judged by the scripted model; credits t2's items
        record = bank.item_record(items[0].id)
        assert record.record.shown == 1 and record.record.shown_success == 1 and record.task_id == "t1"

        listed = bank.list()
        assert listed.total == 2 and {e.task_id for e in listed.experiences} == {"t1", "t2"}
        assert bank.show(exp_id).experience.id == exp_id
        assert len(bank.items()) == 4 and bank.stats().experiences == 2

        path = tmp_path / "team.jsonl"
        assert bank.export(path) == 2
        copy = bank.for_bank("copy")
        assert copy.import_(path) == 2 and copy.stats().items == 4
        with pytest.raises(Conflict, match="already exists"):
            copy.import_(io.StringIO(path.read_text()))
        assert copy.stats().experiences == 2  # nothing half-imported

        assert bank.delete(exp_id).items == 2
        with pytest.raises(NotFound) as err:
            bank.show(exp_id)
        assert err.value.status == 404 and exp_id in err.value.message


def test_errors_are_raised_with_the_servers_message(running: Running) -> None:
    with (
        ReasoningBankClient(running.url, running.globex, "team") as other,
        pytest.raises(NotFound, match="'team'"),
    ):
        other.retrieve("buy a shirt")
    with ReasoningBankClient(running.url, "rbk_000000000000_" + "x" * 43, "team") as nobody:
        with pytest.raises(Unauthorized) as err:
            nobody.stats()
        assert err.value.code == "unauthorized"


def test_a_failed_job_raises_learn_error_when_waited_for(running: Running) -> None:
    def fail(messages: object) -> str:
        raise RuntimeError("the model is down")

    running.llm.default = fail
    socks = Trajectory(task_id="x", query="buy socks")
    with (
        ReasoningBankClient(running.url, running.acme, "team") as bank,
        pytest.raises(LearnError, match="down"),
    ):
        bank.learn(socks, outcome="failure", wait=True, timeout=20)


def test_the_client_passes_a_floor_and_hears_the_nearest(running: Running) -> None:
    """Issue 25, item 11: an empty answer over REST names the floor and the nearest lesson."""
    with ReasoningBankClient(running.url, running.acme, "team") as bank:
        bank.learn(trajectory("t1"), outcome="success", wait=True)
        got = bank.retrieve_experiences("buy a blue shirt on the shop", min_score=0.999)
        assert got.hits == [] and got.min_score == 0.999
        assert got.nearest is not None and got.nearest.title == "check the form"
        assert got.note is not None and got.note.startswith(
            "No stored lesson passes the similarity floor 0.999"
        )
