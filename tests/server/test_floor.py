"""The service and the MCP retrieve use the floor the bank learned with, and an empty answer names
the nearest lesson (issue 25, item 11: the MCP said "No stored lesson matches" at similarity 0.64,
and a server started without a model retrieved with no floor)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import anyio
import pytest

from reasoningbank import ReasoningBank
from reasoningbank.config import get_preset
from reasoningbank.server import MemoryService, Principal
from reasoningbank.server.factory import bank_factory
from reasoningbank.server.schemas import RetrieveRequest
from reasoningbank.stores import SQLiteStore
from tests.fixed_similarity import SAME_KIND, STORED, TITLE, FixedEmbedder

NOTE = (
    "No stored lesson passes the similarity floor 0.90; the nearest is 'Parse Z as UTC' at 0.64 "
    "(lower the floor with {})."
)


@pytest.fixture
def svc(tmp_path: Path) -> Iterator[MemoryService]:
    """A service without a model (the paper preset, no floor) on a bank learned with a 0.9 floor."""
    floored = get_preset("paper").with_overrides({"retrieve": {"min_score": 0.9}})
    with SQLiteStore(tmp_path / "bank.db") as store:
        ReasoningBank(store, FixedEmbedder(), preset=floored, scope="team").add_item(
            TITLE, "fromisoformat rejects 'Z' before Python 3.11.", query=STORED
        )
    factory = bank_factory(FixedEmbedder(), "paper", judge_llm=None, extractor_llm=None)
    service = MemoryService(SQLiteStore(tmp_path / "bank.db"), factory, tmp_path / "state")
    yield service
    service.close()


def _acme(svc: MemoryService) -> Principal:
    _, token = svc.keys.create("acme", ["team"])
    found = svc.authenticate(token)
    assert found is not None
    return found


def test_the_service_keeps_the_learned_floor_and_names_the_nearest(svc: MemoryService) -> None:
    acme = _acme(svc)
    got = svc.retrieve(acme, "team", RetrieveRequest(query=SAME_KIND))
    assert got.hits == [] and got.min_score == 0.9
    assert got.nearest is not None and got.nearest.title == TITLE and round(got.nearest.score, 2) == 0.64
    assert got.note == NOTE.format("min_score in the request")
    lowered = svc.retrieve(acme, "team", RetrieveRequest(query=SAME_KIND, min_score=0.5))
    assert [w.item.title for h in lowered.hits for w in h.items] == [TITLE]
    assert lowered.min_score == 0.5 and lowered.nearest is None and lowered.note is None


def test_the_mcp_retrieve_names_the_floor_and_the_nearest(svc: MemoryService) -> None:
    pytest.importorskip("mcp")
    from mcp import Client

    from reasoningbank.server.mcp.access import stdio_access
    from reasoningbank.server.mcp.tools import build_server
    from tests.server.mcp_support import text

    async def scenario() -> str:
        async with Client(build_server(svc, *stdio_access(svc.keys, ["team"], env={}))) as c:
            return text(await c.call_tool("retrieve_memory", {"query": SAME_KIND}))

    said = anyio.run(scenario)
    assert NOTE.format("the server's retrieve.min_score setting") in said, said
    assert "No stored lesson matches" not in said
