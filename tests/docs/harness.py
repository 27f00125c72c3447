"""What a Python block of the docs runs against: the names its prose gives it and the fakes it may use.

A harness is a context manager ``(monkeypatch, tmp_path) -> Run``: ``Run.names`` are put into the block's
namespace before it runs, ``Run.urls`` are the addresses the block names, replaced by the in-process
service's, and ``Run.check`` looks at the namespace afterwards. A block no harness names runs as it is.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from reasoningbank.llm import ScriptedLLM
from reasoningbank.models import Step, Trajectory
from reasoningbank.stores import SQLiteStore
from reasoningbank.testing.fakes import HashEmbedder
from reasoningbank.trajio import example_path, load_trajectories
from tests.server.helpers import make_service, scripted

Namespace = dict[str, Any]


@dataclass
class Run:
    names: Namespace = field(default_factory=dict)
    urls: dict[str, str] = field(default_factory=dict)
    check: Callable[[Namespace], None] = lambda ns: None


Harness = Callable[[pytest.MonkeyPatch, Path], contextlib.AbstractContextManager[Run]]


@contextlib.contextmanager
def as_is(monkeypatch: pytest.MonkeyPatch, tmp: Path) -> Iterator[Run]:
    """Nothing injected: the block must run on its own (it may build clients, never call a model)."""
    yield Run()


def _fake_litellm(llm: ScriptedLLM) -> Callable[..., ScriptedLLM]:
    def make(model: object = None, /, **kwargs: object) -> ScriptedLLM:
        assert model, "LiteLLMClient needs a model name or an Endpoint"
        return llm

    return make


@contextlib.contextmanager
def scripted_litellm(monkeypatch: pytest.MonkeyPatch, tmp: Path) -> Iterator[Run]:
    """``LiteLLMClient(...)`` builds a scripted model that judges every task a success, extracts two items."""
    llm = scripted()
    monkeypatch.setattr("reasoningbank.llm.litellm_client.LiteLLMClient", _fake_litellm(llm))

    def check(ns: Namespace) -> None:
        assert ns["report"].verdict.label == "success" and ns["report"].items, "nothing learned"
        assert (tmp / "bank.db").is_file() and llm.calls, "the bank did not use the model"

    yield Run(check=check)


@contextlib.contextmanager
def scripted_local(monkeypatch: pytest.MonkeyPatch, tmp: Path) -> Iterator[Run]:
    """``local_llm(...)`` yields the scripted model and the local embedder is the hash embedder."""
    llm = scripted()

    @contextlib.contextmanager
    def local_llm(name: str, **kwargs: object) -> Iterator[ScriptedLLM]:
        yield llm

    monkeypatch.setattr("reasoningbank.llm.local.local_llm", local_llm)
    monkeypatch.setattr(
        "reasoningbank.embed.local.SentenceTransformerEmbedder", lambda: HashEmbedder(dim=384)
    )

    def check(ns: Namespace) -> None:
        learned = SQLiteStore(tmp / "bank.db").count("default")
        assert learned == len(load_trajectories(example_path())), f"{learned} trajectories learned"

    yield Run(check=check)


@contextlib.contextmanager
def rest_service(monkeypatch: pytest.MonkeyPatch, tmp: Path) -> Iterator[Run]:
    """The REST service in-process on a free loopback port, a key for banks web-agents and archive."""
    pytest.importorskip("fastapi")
    from reasoningbank.server.rest.app import create_app
    from tests.server.live import serve

    svc = make_service(tmp, start=False)
    _, key = svc.keys.create("acme", ["web-agents", "archive"])
    task = "Log in as alice and open the settings page"
    names = {
        "api_key": key,
        "task": task,
        "steps": [Step(thought="The form has a username field", action='type(3, "alice")')],
        "trajectory": Trajectory(
            task_id="t-1", query=task, steps=[Step(thought="Submit", action="click(5)")]
        ),
    }

    def check(ns: Namespace) -> None:
        job = ns.get("done") or ns["job"]
        assert job.status == "done", f"the learning job ended {job.status}"

    with serve(create_app(svc)) as live:
        yield Run(names, {"http://127.0.0.1:8377": live.url}, check)


@contextlib.contextmanager
def mcp_http(monkeypatch: pytest.MonkeyPatch, tmp: Path) -> Iterator[Run]:
    """The MCP server over streamable HTTP in-process, with a key for one bank."""
    pytest.importorskip("mcp")
    from reasoningbank.server.mcp.access import BankScope
    from reasoningbank.server.mcp.transport import http_app
    from tests.server.mcp_support import serve_asgi

    svc = make_service(tmp, start=False)
    _, key = svc.keys.create("alice", ["team"])
    svc.start()

    def check(ns: Namespace) -> None:
        assert not ns["result"].is_error, ns["result"]

    try:
        with serve_asgi(http_app(svc, BankScope())) as base:
            yield Run({"key": key}, {"http://127.0.0.1:8378/mcp": f"{base}/mcp"}, check)
    finally:
        svc.close()


# Python blocks by (file, first line): which harness each runs with.
HARNESSES: dict[tuple[str, str], Harness] = {
    ("README.md", "from reasoningbank import ReasoningBank, Step, Trajectory"): scripted_litellm,
    ("README.md", "from reasoningbank import ReasoningBank"): scripted_local,
    ("README.md", "from reasoningbank.server.client import ReasoningBankClient"): rest_service,
    ("docs/service.md", "from reasoningbank import Trajectory"): rest_service,
    ("docs/mcp.md", "from mcp import ClientSession"): mcp_http,
}
# Blocks that also run, under ``slow``, on the real bundled local model and the real local embedder.
REAL_LOCAL = {("README.md", "from reasoningbank import ReasoningBank")}
