"""The MCP tools in process: schemas and descriptions, scoping rules, and every failure a tool error."""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import anyio
import pytest

pytest.importorskip("mcp")

from mcp import Client

from reasoningbank.server import MemoryService
from reasoningbank.server.errors import BadRequest
from reasoningbank.server.factory import bank_factory
from reasoningbank.server.mcp.access import (
    KEY_ENV,
    Access,
    AccessError,
    BankScope,
    KeyAccess,
    RequestAccess,
    stdio_access,
)
from reasoningbank.server.mcp.tools import (
    MAX_TRAJECTORY_CHARS,
    StepInput,
    build_server,
    build_trajectory,
)
from reasoningbank.stores import SQLiteStore
from reasoningbank.testing.fakes import HashEmbedder
from tests.server.helpers import make_service
from tests.server.mcp_support import structured, text


@pytest.fixture
def svc(tmp_path: Path) -> Iterator[MemoryService]:
    service = make_service(tmp_path)
    yield service
    service.close()


@asynccontextmanager
async def connect(svc: MemoryService, access: Access, scope: BankScope) -> AsyncIterator[Client]:
    async with Client(build_server(svc, access, scope)) as c:
        yield c


def run(scenario: Callable[[], Awaitable[None]]) -> None:
    async def bounded() -> None:
        with anyio.fail_after(60):
            await scenario()

    anyio.run(bounded)


def local(svc: MemoryService, *banks: str) -> tuple[Access, BankScope]:
    return stdio_access(svc.keys, list(banks), env={})


def test_tools_say_when_to_call_them_and_cap_their_inputs(svc: MemoryService) -> None:
    async def scenario() -> None:
        async with connect(svc, *local(svc)) as c:
            tools = {t.name: t for t in (await c.list_tools()).tools}
        assert "start of every non-trivial task" in (tools["retrieve_memory"].description or "")
        assert "when you finish" not in (tools["list_memory_items"].description or "")
        assert "whether it worked or not" in (tools["submit_trajectory"].description or "")
        for name in ("learning_job_status", "list_memory_items", "show_memory_item"):
            annotations = tools[name].annotations
            assert annotations is not None and annotations.read_only_hint is True
        submit = tools["submit_trajectory"]
        assert submit.annotations is not None and submit.annotations.destructive_hint is False
        props: dict[str, Any] = submit.input_schema["properties"]
        assert submit.input_schema["required"] == ["task"]
        assert (
            props["task"]["maxLength"] == 20_000 and props["transcript"]["anyOf"][0]["maxLength"] == 200_000
        )
        assert props["wait_seconds"]["maximum"] == 120
        assert tools["retrieve_memory"].output_schema is not None

    run(scenario)


def test_bad_input_is_a_tool_error_and_the_server_keeps_serving(svc: MemoryService) -> None:
    steps = [{"action": "ran the tests"}]

    async def scenario() -> None:
        async with connect(svc, *local(svc, "team")) as c:
            cases: list[tuple[str, dict[str, Any], str]] = [
                ("retrieve_memory", {"query": "x" * 20_001}, "at most 20000"),
                ("retrieve_memory", {"query": "x", "bank": "../etc"}, "pattern"),
                ("submit_trajectory", {"task": "t", "steps": steps, "transcript": "y"}, "not both"),
                ("submit_trajectory", {"task": "t", "transcript": " \n\n "}, "say what you did"),
                ("submit_trajectory", {"task": "t", "steps": [{"act": "x"}]}, "action"),
                ("submit_trajectory", {"task": "t", "steps": steps, "outcome": "maybe"}, "outcome"),
                ("learning_job_status", {"job_id": "nope"}, "pattern"),
                ("show_memory_item", {"item_id": "0" * 32}, "0" * 32),
                ("no_such_tool", {}, "no_such_tool"),
            ]
            for name, args, expected in cases:
                res = await c.call_tool(name, args)
                assert res.is_error and expected in text(res), (name, text(res))
            assert structured(await c.call_tool("list_memory_items", {}))["bank"] == "team"

    run(scenario)


def test_an_unexpected_failure_says_so_without_its_details(
    svc: MemoryService, monkeypatch: pytest.MonkeyPatch
) -> None:
    def broken(*args: object, **kwargs: object) -> None:
        raise RuntimeError("secret internals")

    monkeypatch.setattr(svc, "retrieve", broken)

    async def scenario() -> None:
        async with connect(svc, *local(svc)) as c:
            res = await c.call_tool("retrieve_memory", {"query": "anything"})
            assert res.is_error and "internal error (RuntimeError)" in text(res)
            assert "secret internals" not in text(res)
            assert not (await c.call_tool("list_memory_items", {})).is_error

    run(scenario)


def test_service_errors_keep_their_message(svc: MemoryService, tmp_path: Path) -> None:
    svc.max_pending_jobs = 0
    no_model = MemoryService(
        SQLiteStore(tmp_path / "other.db"),
        bank_factory(HashEmbedder(), "paper", judge_llm=None, extractor_llm=None),
        tmp_path / "other-state",
    )

    async def scenario() -> None:
        args = {"task": "t", "transcript": "did it", "outcome": "success"}
        async with connect(svc, *local(svc)) as c:
            res = await c.call_tool("submit_trajectory", args)
            assert res.is_error and "learning jobs of this tenant are waiting" in text(res)
        async with connect(no_model, *local(no_model)) as c:
            res = await c.call_tool("submit_trajectory", args)
            assert res.is_error and "no model to learn with" in text(res)

    try:
        run(scenario)
    finally:
        no_model.close()


def test_a_submitted_job_can_be_followed_without_waiting(tmp_path: Path) -> None:
    svc = make_service(tmp_path, start=False)  # no worker: the job stays accepted

    async def scenario() -> None:
        async with connect(svc, *local(svc)) as c:
            res = await c.call_tool(
                "submit_trajectory", {"task": "t", "transcript": "a\n\nb", "wait_seconds": 0.3}
            )
            job = structured(res)
            assert job["status"] == "accepted" and "learning_job_status" in text(res)
            again = structured(await c.call_tool("learning_job_status", {"job_id": job["job_id"]}))
            assert again["status"] == "accepted" and again["result"] is None

    try:
        run(scenario)
    finally:
        svc.close()


def test_stdio_access_rules(svc: MemoryService) -> None:
    access, scope = stdio_access(svc.keys, [], local_default="notes", env={})
    assert scope.banks == ("notes",) and access.principal(None).banks == {"notes"}
    with pytest.raises(AccessError, match="invalid bank name"):
        stdio_access(svc.keys, ["no/slashes"], env={})
    _, token = svc.keys.create("acme", ["team", "copy"])
    with pytest.raises(AccessError, match="holds API keys"):
        stdio_access(svc.keys, [], env={})
    with pytest.raises(AccessError, match="not a valid API key"):
        stdio_access(svc.keys, [], env={KEY_ENV: token + "x"})
    with pytest.raises(AccessError, match="no bank 'rival'"):
        stdio_access(svc.keys, ["rival"], env={KEY_ENV: token})
    access, scope = stdio_access(svc.keys, ["copy"], env={KEY_ENV: token})
    assert isinstance(access, KeyAccess) and access.principal(None).banks == {"copy"}
    assert scope.choose(access.principal(None), None) == "copy"


def test_a_key_revoked_while_serving_stops_working(svc: MemoryService) -> None:
    info, token = svc.keys.create("acme", ["team"])
    access, scope = stdio_access(svc.keys, [], env={KEY_ENV: token})

    async def scenario() -> None:
        async with connect(svc, access, scope) as c:
            assert structured(await c.call_tool("list_memory_items", {}))["bank"] == "team"
            svc.keys.revoke(info.id)
            res = await c.call_tool("list_memory_items", {})
            assert res.is_error and "no longer valid" in text(res)

    run(scenario)


def test_an_http_call_without_a_principal_is_refused(svc: MemoryService) -> None:
    async def scenario() -> None:
        async with connect(svc, RequestAccess(BankScope()), BankScope()) as c:
            res = await c.call_tool("list_memory_items", {"bank": "team"})
            assert res.is_error and "API key is needed" in text(res)

    run(scenario)


def test_bank_scope_narrows_a_key_and_picks_the_default(svc: MemoryService) -> None:
    _, token = svc.keys.create("acme", ["a", "b", "c"])
    who = svc.authenticate(token)
    assert who is not None
    assert BankScope(("z", "b")).restrict(who).banks == {"b"}
    assert BankScope(("z", "b")).choose(who, None) == "b"
    assert BankScope().choose(who, "c") == "c"
    with pytest.raises(BadRequest, match="a, b, c"):
        BankScope().choose(who, None)


def test_transcripts_become_one_step_per_paragraph_and_size_is_capped() -> None:
    traj = build_trajectory("task", None, "first\nstill first\n\n  \n\nsecond", "done", "t1")
    assert [s.action for s in traj.steps] == ["first\nstill first", "second"]
    assert traj.final_answer == "done" and traj.meta["source_format"] == "mcp"
    steps = [StepInput(action="a" * 20_000, observation="o" * 20_000)] * 60
    with pytest.raises(BadRequest, match=str(MAX_TRAJECTORY_CHARS)):
        build_trajectory("task", steps, None, None, "t1")
