"""The MCP tools that change stored lessons, and how every tool treats its arguments (issue 25, item 15).

Through the official MCP client, in process: a lesson a person dictates is
stored (redacted, once) and retrieved; it is retired, restored and deleted by
id; a key for one bank changes nothing in another; an error is one sentence;
an unknown argument is refused; the task text has one name in every tool.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

pytest.importorskip("mcp")

from mcp import Client

from reasoningbank.server import MemoryService
from reasoningbank.server.mcp.access import KEY_ENV, stdio_access
from reasoningbank.server.schemas import LearnRequest
from tests.server.helpers import make_service, trajectory, wait_job
from tests.server.mcp_support import connect, local, run, structured, text

FAKE_TOKEN = "ghp_" + "Zq8" * 12  # a GitHub token's shape, split so no scanner flags this file
LESSON = {
    "title": "Pin the parser's grammar version",
    "description": "When a parser test fails only on CI",
    "content": f"Pin the grammar version in the lock file; the CI token {FAKE_TOKEN} is not the cause.",
    "task": "fix the parser test that fails only on CI",
}


@pytest.fixture
def svc(tmp_path: Path) -> Iterator[MemoryService]:
    service = make_service(tmp_path)
    yield service
    service.close()


async def ok(c: Client, tool: str, args: dict[str, Any]) -> dict[str, Any]:
    res = await c.call_tool(tool, args)
    assert not res.is_error, text(res)
    return structured(res)


async def refused(c: Client, tool: str, args: dict[str, Any]) -> str:
    res = await c.call_tool(tool, args)
    assert res.is_error, (tool, args)
    return text(res)


def test_a_dictated_lesson_is_stored_redacted_once_and_retrieved(svc: MemoryService) -> None:
    async def scenario() -> None:
        async with connect(svc, *local(svc, "team")) as c:
            added = await ok(c, "add_memory_item", LESSON)
            item = added["item"]
            assert added["bank"] == "team" and item["origin"] == "manual" and item["status"] == "active"
            assert FAKE_TOKEN not in str(added) and "Pin the grammar version" in item["content"]
            again = await refused(c, "add_memory_item", LESSON)
            assert "already stored" in again and item["id"] in again
            found = await ok(c, "retrieve_memory", {"task": LESSON["task"]})
            assert [it["id"] for it in found["items"]] == [item["id"]]
        exp = svc.store.get("team", added["experience_id"])
        assert exp.query == LESSON["task"] and FAKE_TOKEN not in exp.model_dump_json()
        assert svc.store.count("team") == 1

    run(scenario)


def test_a_lesson_is_retired_restored_and_deleted_by_id(svc: MemoryService) -> None:
    async def scenario() -> None:
        async with connect(svc, *local(svc, "team")) as c:
            first = (await ok(c, "add_memory_item", LESSON))["item"]
            retired = await ok(c, "retire_memory_item", {"item_id": first["id"], "reason": "outdated"})
            assert retired["item"]["status"] == "retired" and retired["item"]["status_reason"] == "outdated"
            assert (await ok(c, "list_memory_items", {}))["items"] == []
            assert (await ok(c, "retrieve_memory", {"task": LESSON["task"]}))["items"] == []
            restored = await ok(c, "restore_memory_item", {"item_id": first["id"]})  # any version's id
            assert restored["item"]["status"] == "active" and restored["item"]["version"] == 3
            gone = await ok(c, "delete_memory_item", {"item_id": restored["item"]["id"]})
            assert gone["deleted_items"] == 1 and gone["experience_id"] == restored["experience_id"]
            gone_text = await refused(c, "show_memory_item", {"item_id": first["id"]})
            assert gone_text.endswith(f"no item {first['id']!r} in scope 'team'"), gone_text
        assert svc.store.count("team") == 0

    run(scenario)


def test_delete_spares_the_lessons_learned_with_it_unless_told(svc: MemoryService) -> None:
    access, scope = local(svc, "team")
    who = access.principal(None)
    job = svc.submit_learn(who, "team", LearnRequest(trajectory=trajectory(), outcome="success"))
    learned = wait_job(svc, who, job.id)
    assert learned.result is not None and len(learned.result.items) == 2
    one = learned.result.items[0].id

    async def scenario() -> None:
        async with connect(svc, access, scope) as c:
            message = await refused(c, "delete_memory_item", {"item_id": one})
            assert "1 other" in message and "retire the item" in message and "whole experience" in message
            assert "\n" not in message
            assert svc.store.count("team") == 1
            gone = await ok(c, "delete_memory_item", {"item_id": one, "whole_experience": True})
            assert gone["deleted_items"] == 2
        assert svc.store.count("team") == 0

    run(scenario)


def test_a_key_for_one_bank_cannot_change_another(svc: MemoryService) -> None:
    _, token_a = svc.keys.create("acme", ["a"])
    _, token_b = svc.keys.create("rival", ["b"])
    access_a, scope_a = stdio_access(svc.keys, [], env={KEY_ENV: token_a})
    access_b, scope_b = stdio_access(svc.keys, [], env={KEY_ENV: token_b})
    added: list[str] = []

    async def scenario() -> None:
        async with connect(svc, access_b, scope_b) as c:
            added.append((await ok(c, "add_memory_item", LESSON))["item"]["id"])
        theirs = added[0]
        async with connect(svc, access_a, scope_a) as c:
            for tool in ("retire_memory_item", "restore_memory_item", "delete_memory_item"):
                in_b = await refused(c, tool, {"item_id": theirs, "bank": "b"})
                assert "no bank 'b'" in in_b, (tool, in_b)
                in_a = await refused(c, tool, {"item_id": theirs})  # their id, looked up in bank a
                assert "no item" in in_a, (tool, in_a)
            assert "no bank 'b'" in await refused(c, "add_memory_item", {**LESSON, "bank": "b"})

    run(scenario)
    item = svc.store.list("b")[0].items[0]
    assert item.id == added[0] and item.status == "active" and svc.store.count("a") == 0


def test_annotations_say_which_tools_change_the_bank(svc: MemoryService) -> None:
    async def scenario() -> None:
        async with connect(svc, *local(svc)) as c:
            tools = {t.name: t for t in (await c.list_tools()).tools}
        hints = {name: t.annotations for name, t in tools.items()}
        assert all(h is not None for h in hints.values())
        read_only = {name for name, h in hints.items() if h is not None and h.read_only_hint}
        assert read_only == {"learning_job_status", "list_memory_items", "show_memory_item"}
        destructive = {name for name, h in hints.items() if h is not None and h.destructive_hint}
        assert destructive == {"delete_memory_item"}
        assert "records which items it showed" in (tools["retrieve_memory"].description or "")
        for name in ("add_memory_item", "retire_memory_item", "restore_memory_item", "delete_memory_item"):
            assert tools[name].input_schema.get("additionalProperties") is False, name
        assert tools["add_memory_item"].input_schema["required"] == ["title", "content"]

    run(scenario)


def test_the_task_text_is_task_in_every_tool_and_query_is_a_deprecated_alias(svc: MemoryService) -> None:
    async def scenario() -> None:
        async with connect(svc, *local(svc, "team")) as c:
            tools = {t.name: t for t in (await c.list_tools()).tools}
            for name in ("retrieve_memory", "submit_trajectory", "add_memory_item"):
                props = tools[name].input_schema["properties"]
                assert "task" in props and "query" not in props, name
            await ok(c, "add_memory_item", LESSON)
            old = await ok(c, "retrieve_memory", {"query": LESSON["task"]})
            new = await ok(c, "retrieve_memory", {"task": LESSON["task"]})
            assert [i["id"] for i in old["items"]] == [i["id"] for i in new["items"]] != []
            both = await refused(c, "retrieve_memory", {"task": "x", "query": "y"})
            assert "give 'task' only" in both and "deprecated" in both

    run(scenario)


def test_errors_are_one_sentence_naming_the_argument(svc: MemoryService) -> None:
    cases: list[tuple[str, dict[str, Any], str]] = [
        ("retrieve_memory", {}, "argument 'task' is required"),
        ("retrieve_memory", {"task": "x", "k": 50}, "argument 'k' must be at most 20; got 50"),
        ("retrieve_memory", {"task": "x", "k": "many"}, "argument 'k' must be an integer; got 'many'"),
        ("retrieve_memory", {"task": ""}, "argument 'task' must not be empty"),
        ("retrieve_memory", {"task": "x" * 20_001}, "at most 20000 characters; got 20001"),
        ("retrieve_memory", {"task": "x", "bank": "../etc"}, "argument 'bank' must match the pattern"),
        ("submit_trajectory", {"task": "t", "transcript": "y", "outcome": "maybe"}, "'success' or 'failure'"),
        (
            "submit_trajectory",
            {"task": "t", "steps": [{"act": "x"}]},
            "argument 'steps[0].action' is required",
        ),
        ("learning_job_status", {"job_id": "nope"}, "argument 'job_id' must match the pattern"),
        (
            "add_memory_item",
            {"title": "t", "content": "c", "task": ["a"]},
            "argument 'task' must be a string",
        ),
        ("retire_memory_item", {"item_id": 7}, "argument 'item_id' must be a string; got 7"),
    ]

    async def scenario() -> None:
        async with connect(svc, *local(svc, "team")) as c:
            for tool, args, expected in cases:
                message = await refused(c, tool, args)
                assert expected in message, (tool, message)
                assert "\n" not in message and "validation error" not in message, message
                assert "pydantic" not in message and "input_value" not in message, message

    run(scenario)


def test_unknown_arguments_are_refused_naming_the_accepted_ones(svc: MemoryService) -> None:
    async def scenario() -> None:
        async with connect(svc, *local(svc, "team")) as c:
            message = await refused(c, "retrieve_memory", {"task": "x", "top_k": 3})
            assert "unknown argument 'top_k'" in message and "task, k, task_id, bank" in message
            assert "\n" not in message
            typo = await refused(c, "add_memory_item", {**LESSON, "kind": "strategy"})
            assert "unknown argument 'kind'" in typo and "title" in typo
            nested = await refused(
                c, "submit_trajectory", {"task": "t", "steps": [{"action": "a", "why": "b"}]}
            )
            assert "argument 'steps[0].why' is not accepted" in nested and "\n" not in nested
            assert svc.store.count("team") == 0 and svc.jobs.pending() == 0

    run(scenario)
