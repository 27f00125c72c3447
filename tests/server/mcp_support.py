"""Helpers of the MCP tests: a fake OpenAI-compatible model server, a live ASGI app, tool results.

``reasoningbank mcp`` run as a subprocess learns through its real LLM client
(LiteLLM), pointed with ``--model``/``--api-base`` at :func:`fake_llm_server`
on 127.0.0.1: the product has no test-only switch, and the subprocess never
reaches a real model (the server answers like ``helpers.scripted``: every
judged trajectory a success, two items per extraction).
"""

from __future__ import annotations

import contextlib
import json
import socket
import threading
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import anyio
import uvicorn
from mcp import Client
from mcp_types import CallToolResult, TextContent

from reasoningbank.server import MemoryService
from reasoningbank.server.mcp.access import Access, BankScope, stdio_access
from reasoningbank.server.mcp.tools import build_server
from tests.server.helpers import md

SRC = str(Path(__file__).resolve().parents[2] / "src")


def _answer(messages: Any) -> str:
    text = json.dumps(messages)
    if "Status" in text and "Memory Item" not in text:
        return 'Thoughts: the tests passed.\nStatus: "success"'
    return md("run the tests first", "read the failing test")


@contextlib.contextmanager
def fake_llm_server() -> Iterator[tuple[str, list[dict[str, Any]]]]:
    """An OpenAI-compatible chat endpoint on 127.0.0.1; yields its API base and the requests seen."""
    seen: list[dict[str, Any]] = []

    class Handler(BaseHTTPRequestHandler):
        def log_message(self, format: str, *args: Any) -> None:
            pass

        def do_POST(self) -> None:
            req = json.loads(self.rfile.read(int(self.headers.get("Content-Length", "0"))) or b"{}")
            seen.append(req)
            body = {
                "id": "chatcmpl-1",
                "object": "chat.completion",
                "created": int(time.time()),
                "model": req.get("model", "fake"),
                "choices": [
                    {
                        "index": 0,
                        "finish_reason": "stop",
                        "message": {"role": "assistant", "content": _answer(req.get("messages"))},
                    }
                ],
                "usage": {"prompt_tokens": 10, "completion_tokens": 10, "total_tokens": 20},
            }
            data = json.dumps(body).encode()
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/v1", seen
    finally:
        server.shutdown()
        server.server_close()


@contextlib.contextmanager
def serve_asgi(app: Any) -> Iterator[str]:
    """Run ``app`` with uvicorn on a free port of 127.0.0.1 until the block ends; yields its base URL."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    server = uvicorn.Server(uvicorn.Config(app, log_level="warning", lifespan="on"))
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    deadline = time.monotonic() + 30
    while not server.started:
        if time.monotonic() > deadline or not thread.is_alive():
            raise RuntimeError("uvicorn did not start")
        time.sleep(0.01)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(30)
        sock.close()


def text(result: CallToolResult) -> str:
    """The text of a tool result (its first content block)."""
    block = result.content[0]
    assert isinstance(block, TextContent)
    return block.text


def structured(result: CallToolResult) -> dict[str, Any]:
    assert not result.is_error, text(result)
    assert result.structured_content is not None
    return dict(result.structured_content)


@contextlib.asynccontextmanager
async def connect(svc: MemoryService, access: Access, scope: BankScope) -> AsyncIterator[Client]:
    """The official MCP client, in process, on the server of ``svc``."""
    async with Client(build_server(svc, access, scope)) as c:
        yield c


def run(scenario: Callable[[], Awaitable[None]]) -> None:
    """Run an async scenario, failing it after 60 s."""

    async def bounded() -> None:
        with anyio.fail_after(60):
            await scenario()

    anyio.run(bounded)


def local(svc: MemoryService, *banks: str) -> tuple[Access, BankScope]:
    """Local-mode access (no keys) to ``banks``."""
    return stdio_access(svc.keys, list(banks), env={})
