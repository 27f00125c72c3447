"""The MCP server over streamable HTTP on 127.0.0.1: Bearer keys, tenant isolation, a session per key.

The app is :func:`reasoningbank.server.mcp.transport.http_app` served by uvicorn on a
real socket; the service behind it uses the scripted LLM and the hash embedder.
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import anyio
import httpx
import pytest

pytest.importorskip("mcp")

from mcp import ClientSession
from mcp.client.streamable_http import streamable_http_client
from mcp.shared._httpx_utils import create_mcp_http_client

from reasoningbank.server import MemoryService
from reasoningbank.server.mcp.access import BankScope
from reasoningbank.server.mcp.transport import http_app
from tests.server.helpers import make_service
from tests.server.mcp_support import serve_asgi, structured, text

HANDSHAKE = "2025-11-25"
ACCEPT = "application/json, text/event-stream"


@dataclass
class Live:
    url: str
    service: MemoryService
    acme: str  # tenant acme: banks team, copy
    globex: str  # tenant globex: bank rival


@pytest.fixture
def live(tmp_path: Path) -> Iterator[Live]:
    svc = make_service(tmp_path, start=False)
    _, acme = svc.keys.create("acme", ["team", "copy"])
    _, globex = svc.keys.create("globex", ["rival"])
    svc.start()
    try:
        with serve_asgi(http_app(svc, BankScope())) as base:
            yield Live(f"{base}/mcp", svc, acme, globex)
    finally:
        svc.close()


@asynccontextmanager
async def client(url: str, key: str) -> AsyncIterator[ClientSession]:
    http = create_mcp_http_client(headers={"Authorization": f"Bearer {key}"})
    async with (
        http,
        streamable_http_client(url, http_client=http) as (read, write),
        ClientSession(read, write) as s,
    ):
        await s.initialize()
        yield s


def _run(scenario: Any) -> None:
    async def bounded() -> None:
        with anyio.fail_after(120):
            await scenario()

    anyio.run(bounded)


def _rpc(method: str, params: dict[str, Any], ident: int | None = 1) -> dict[str, Any]:
    msg: dict[str, Any] = {"jsonrpc": "2.0", "method": method, "params": params}
    if ident is not None:
        msg["id"] = ident
    return msg


def _initialize() -> dict[str, Any]:
    info = {"name": "raw-test", "version": "0"}
    return _rpc("initialize", {"protocolVersion": HANDSHAKE, "capabilities": {}, "clientInfo": info})


def _answer(resp: httpx.Response) -> dict[str, Any]:
    """The JSON-RPC answer of a POST, whether sent as JSON or as server-sent events."""
    if resp.headers.get("content-type", "").startswith("application/json"):
        return dict(resp.json())
    for line in resp.text.splitlines():
        if line.startswith("data:") and line[5:].strip():
            found = json.loads(line[5:])
            if "id" in found:
                return dict(found)
    raise AssertionError(f"no answer in {resp.text!r}")


def test_no_key_a_wrong_key_and_a_revoked_key_get_401(live: Live) -> None:
    headers = {"Accept": ACCEPT, "Content-Type": "application/json"}
    with httpx.Client(timeout=30) as http:
        bare = http.post(live.url, headers=headers, json=_initialize())
        assert bare.status_code == 401 and bare.headers["www-authenticate"] == "Bearer"
        assert bare.json()["error"]["code"] == "unauthorized"
        wrong = http.post(
            live.url, headers={**headers, "Authorization": f"Bearer {live.acme[:-4]}AAAA"}, json=_initialize()
        )
        assert wrong.status_code == 401 and "not valid" in wrong.json()["error"]["message"]
        good = http.post(
            live.url, headers={**headers, "Authorization": f"Bearer {live.acme}"}, json=_initialize()
        )
        assert good.status_code == 200 and _answer(good)["result"]["serverInfo"]["name"] == "reasoningbank"
        key_id = live.acme.split("_")[1]
        live.service.keys.revoke(key_id)
        revoked = http.post(
            live.url, headers={**headers, "Authorization": f"Bearer {live.acme}"}, json=_initialize()
        )
        assert revoked.status_code == 401


def test_a_key_learns_into_its_bank_and_another_tenant_sees_nothing(live: Live) -> None:
    async def scenario() -> None:
        async with client(live.url, live.acme) as s:
            assert len((await s.list_tools()).tools) == 9
            ambiguous = await s.call_tool("retrieve_memory", {"query": "buy a red shirt"})
            assert ambiguous.is_error and "copy, team" in text(ambiguous)
            hit = structured(
                await s.call_tool("retrieve_memory", {"query": "buy a red shirt", "bank": "team"})
            )
            job = structured(
                await s.call_tool(
                    "submit_trajectory",
                    {
                        "task": "buy a red shirt",
                        "transcript": "opened the shop\n\nput the red shirt in the cart\n\npaid",
                        "outcome": "success",
                        "task_id": hit["task_id"],
                        "bank": "team",
                        "wait_seconds": 60,
                    },
                )
            )
            assert job["status"] == "done" and len(job["result"]["items"]) == 2
            items = structured(await s.call_tool("list_memory_items", {"bank": "team"}))["items"]
            assert {i["title"] for i in items} == {"check the form", "submit last"}
        async with client(live.url, live.globex) as s:
            for bank in ("team", "nonexistent"):
                res = await s.call_tool("list_memory_items", {"bank": bank})
                assert res.is_error and f"no bank '{bank}' for this API key" in text(res)
            shown = await s.call_tool("show_memory_item", {"item_id": items[0]["id"], "bank": "team"})
            assert shown.is_error and "no bank 'team'" in text(shown)
            other_job = await s.call_tool("learning_job_status", {"job_id": job["job_id"]})
            assert other_job.is_error and "no job" in text(other_job)
            mine = structured(await s.call_tool("retrieve_memory", {"query": "buy a red shirt"}))
            assert mine["bank"] == "rival" and mine["items"] == []

    _run(scenario)


def test_each_request_is_judged_by_its_own_key_not_the_sessions(live: Live) -> None:
    """A session opened with acme's key, used with globex's key, gets globex's banks only."""
    base = {"Accept": ACCEPT, "Content-Type": "application/json", "MCP-Protocol-Version": HANDSHAKE}
    with httpx.Client(timeout=30) as http:
        opened = http.post(
            live.url, headers={**base, "Authorization": f"Bearer {live.acme}"}, json=_initialize()
        )
        session_id = opened.headers["mcp-session-id"]
        as_globex = {**base, "Authorization": f"Bearer {live.globex}", "Mcp-Session-Id": session_id}
        http.post(live.url, headers=as_globex, json=_rpc("notifications/initialized", {}, None))
        call = _rpc("tools/call", {"name": "list_memory_items", "arguments": {"bank": "team"}}, 2)
        result = _answer(http.post(live.url, headers=as_globex, json=call))["result"]
        assert result["isError"] and "no bank 'team'" in result["content"][0]["text"]
        as_acme = {**as_globex, "Authorization": f"Bearer {live.acme}"}
        again = _answer(http.post(live.url, headers=as_acme, json={**call, "id": 3}))["result"]
        assert not again["isError"] and again["structuredContent"]["bank"] == "team"


def test_a_foreign_host_header_is_refused_on_loopback_unless_allowed(tmp_path: Path) -> None:
    """DNS rebinding: a web page's request to 127.0.0.1 carries its own Host; a TLS proxy's may too."""
    svc = make_service(tmp_path, start=False)
    _, key = svc.keys.create("acme", ["team"])
    headers = {"Accept": ACCEPT, "Content-Type": "application/json", "Authorization": f"Bearer {key}"}
    proxied = {**headers, "Host": "memory.example.com", "Origin": "https://memory.example.com"}
    try:
        with serve_asgi(http_app(svc, BankScope())) as base, httpx.Client(timeout=30) as http:
            refused = http.post(f"{base}/mcp", headers=proxied, json=_initialize())
            assert refused.status_code in (403, 421)
            assert http.post(f"{base}/mcp", headers=headers, json=_initialize()).status_code == 200
        with (
            serve_asgi(http_app(svc, BankScope(), allowed_hosts=["memory.example.com"])) as base,
            httpx.Client(timeout=30) as http,
        ):
            assert http.post(f"{base}/mcp", headers=proxied, json=_initialize()).status_code == 200
            evil = {**proxied, "Host": "evil.example.net", "Origin": "https://evil.example.net"}
            assert http.post(f"{base}/mcp", headers=evil, json=_initialize()).status_code in (403, 421)
    finally:
        svc.close()
