"""``reasoningbank mcp`` as a subprocess, driven by the official MCP client over stdio.

The subprocess is the real command: a SQLite store, the hash embedder and the
LiteLLM client pointed at a fake OpenAI-compatible server on 127.0.0.1
(:func:`tests.server.mcp_support.fake_llm_server`), so learning runs the
whole path a user's would, with no test-only switch in the product.
"""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from pathlib import Path

import anyio
import pytest

pytest.importorskip("mcp")

from mcp import ClientSession, StdioServerParameters
from mcp.client.stdio import stdio_client

from reasoningbank.server.keys import KeyStore
from reasoningbank.server.mcp.access import KEY_ENV
from tests.server.mcp_support import SRC, fake_llm_server, structured, text

TOOLS = {
    "retrieve_memory",
    "submit_trajectory",
    "learning_job_status",
    "list_memory_items",
    "show_memory_item",
    "add_memory_item",
    "retire_memory_item",
    "restore_memory_item",
    "delete_memory_item",
}
STEPS = [
    {"action": "ran pytest tests/test_parser.py", "observation": "1 failed: off-by-one in split()"},
    {"thought": "the slice end is wrong", "action": "edited parser.py: split() slices to n, not n-1"},
    {"action": "ran pytest", "observation": "all 42 passed"},
]


def _args(tmp: Path, api_base: str, *extra: str) -> list[str]:
    return [
        "-m",
        "reasoningbank",
        "mcp",
        "--store",
        f"sqlite:///{tmp / 'bank.db'}",
        "--state-dir",
        str(tmp / "state"),
        "--embedder",
        "hash",
        "--model",
        "fake-llm",
        "--api-base",
        api_base,
        *extra,
    ]


def _env(**extra: str) -> dict[str, str]:
    # the default environment of stdio_client is a safe minimum; the test guard's
    # REASONINGBANK_BLOCK_REAL_CALLS is not in it: the subprocess's only model is the fake
    return {"PYTHONPATH": SRC, "LITELLM_LOCAL_MODEL_COST_MAP": "True", **extra}


@asynccontextmanager
async def session(
    tmp: Path, api_base: str, *extra: str, env: dict[str, str] | None = None
) -> AsyncIterator[ClientSession]:
    params = StdioServerParameters(
        command=sys.executable, args=_args(tmp, api_base, *extra), env=env or _env(), cwd=str(tmp)
    )
    with (tmp / "server-stderr.txt").open("a") as errlog:
        async with stdio_client(params, errlog=errlog) as (read, write), ClientSession(read, write) as s:
            await s.initialize()
            yield s


def _run(scenario: Callable[[], Awaitable[None]]) -> None:
    async def bounded() -> None:
        with anyio.fail_after(240):  # the subprocess imports the package and LiteLLM on a busy machine
            await scenario()

    anyio.run(bounded)


def test_stdio_lists_retrieves_learns_and_sees_the_new_items(tmp_path: Path) -> None:
    async def scenario(api_base: str) -> None:
        async with session(tmp_path, api_base, "--bank", "team") as s:
            listed = await s.list_tools()
            assert {t.name for t in listed.tools} == TOOLS
            docs = {t.name: t.description or "" for t in listed.tools}
            assert "at the start of every" in docs["retrieve_memory"]
            assert "once per non-trivial task" in docs["submit_trajectory"]

            first = await s.call_tool("retrieve_memory", {"query": "fix the failing parser test"})
            found = structured(first)
            assert found["bank"] == "team" and found["items"] == []
            assert "No stored lesson" in text(first)

            submitted = await s.call_tool(
                "submit_trajectory",
                {
                    "task": "fix the failing parser test",
                    "steps": STEPS,
                    "final_answer": "fixed the off-by-one in split(); all tests pass",
                    "task_id": found["task_id"],
                },
            )
            job = structured(submitted)
            assert job["status"] in ("accepted", "running", "done") and job["task_id"] == found["task_id"]

            done = structured(
                await s.call_tool("learning_job_status", {"job_id": job["job_id"], "wait_seconds": 120})
            )
            assert done["status"] == "done", done
            assert done["result"]["verdict"] == "success"  # judged by the (fake) model: no outcome given
            learned = {i["title"] for i in done["result"]["items"]}
            assert learned == {"run the tests first", "read the failing test"}

            listed_items = structured(await s.call_tool("list_memory_items", {}))
            assert {i["title"] for i in listed_items["items"]} == learned
            assert listed_items["total_experiences"] == 1

            again = await s.call_tool("retrieve_memory", {"query": "fix the failing parser test"})
            hits = structured(again)
            assert {i["title"] for i in hits["items"]} == learned
            assert all(i["source_outcome"] == "success" and i["score"] > 0.5 for i in hits["items"])
            assert "Why these items" in text(again) and "run the tests first" in hits["memory"]

            shown = await s.call_tool("show_memory_item", {"item_id": hits["items"][0]["id"]})
            assert structured(shown)["task_id"] == found["task_id"]

            refused = await s.call_tool("submit_trajectory", {"task": "x", "steps": STEPS, "transcript": "y"})
            assert refused.is_error and "not both" in text(refused)
            elsewhere = await s.call_tool("list_memory_items", {"bank": "other"})
            assert elsewhere.is_error and "no bank 'other'" in text(elsewhere)
            assert structured(await s.call_tool("list_memory_items", {}))["bank"] == "team"  # still serving

    with fake_llm_server() as (api_base, seen):
        _run(lambda: scenario(api_base))
        assert seen, "learning went through the model client"


def test_stdio_with_a_key_reaches_only_its_tenants_banks(tmp_path: Path) -> None:
    keys = KeyStore(tmp_path / "state")
    _, acme = keys.create("acme", ["team", "notes"])
    _, globex = keys.create("globex", ["rival"])
    keys.close()

    async def scenario(api_base: str) -> None:
        async with session(tmp_path, api_base, env=_env(**{KEY_ENV: globex})) as s:
            job = structured(
                await s.call_tool(
                    "submit_trajectory",
                    {"task": "deploy the app", "transcript": "ran make deploy", "outcome": "failure"},
                )
            )
            assert job["bank"] == "rival"  # the key's only bank is the default
        async with session(tmp_path, api_base, env=_env(**{KEY_ENV: acme})) as s:
            for bank in ("rival", "nonexistent"):  # another tenant's bank reads exactly like a missing one
                res = await s.call_tool("retrieve_memory", {"query": "deploy the app", "bank": bank})
                assert res.is_error and f"no bank '{bank}' for this API key" in text(res)
            other = await s.call_tool("learning_job_status", {"job_id": job["job_id"]})
            assert other.is_error and "no job" in text(other)
            ambiguous = await s.call_tool("retrieve_memory", {"query": "deploy the app"})
            assert ambiguous.is_error and "notes, team" in text(ambiguous)  # its own banks only
            assert structured(await s.call_tool("list_memory_items", {"bank": "notes"}))["items"] == []

    with fake_llm_server() as (api_base, _):
        _run(lambda: scenario(api_base))


def _start_fails(tmp: Path, *extra: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    full_env = {**{k: v for k, v in os.environ.items() if k != KEY_ENV}, **env}
    return subprocess.run(
        [sys.executable, *_args(tmp, "http://127.0.0.1:9/v1", *extra)],
        env=full_env,
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_stdio_refuses_to_start_with_a_bad_key_or_without_one_when_keys_exist(tmp_path: Path) -> None:
    keys = KeyStore(tmp_path / "state")
    _, token = keys.create("acme", ["team"])
    keys.close()
    wrong = _start_fails(tmp_path, env={"PYTHONPATH": SRC, KEY_ENV: token[:-4] + "AAAA"})
    assert wrong.returncode == 2 and "not a valid API key" in wrong.stderr and wrong.stdout == ""
    none = _start_fails(tmp_path, env={"PYTHONPATH": SRC})
    assert none.returncode == 2 and f"set ${KEY_ENV}" in none.stderr and none.stdout == ""
    other = _start_fails(tmp_path, "--bank", "rival", env={"PYTHONPATH": SRC, KEY_ENV: token})
    assert other.returncode == 2 and "no bank 'rival'" in other.stderr
