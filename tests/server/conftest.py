"""Fixtures of the service tests: a service with two tenants, served over real HTTP on 127.0.0.1."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from reasoningbank.llm import ScriptedLLM
from reasoningbank.server import MemoryService
from tests.server.helpers import make_service, scripted

LIMIT = 64 * 1024
IMPORT_LIMIT = 256 * 1024


@dataclass
class Running:
    url: str
    service: MemoryService
    acme: str  # key of tenant acme: banks team, copy
    globex: str  # key of tenant globex: bank rival
    llm: ScriptedLLM  # judges and extracts for every bank


@pytest.fixture
def running(tmp_path: Path) -> Iterator[Running]:
    pytest.importorskip("fastapi")
    from reasoningbank.server.rest.app import create_app
    from tests.server.live import serve

    llm = scripted()
    svc = make_service(tmp_path, llm, start=False)
    _, acme = svc.keys.create("acme", ["team", "copy"])
    _, globex = svc.keys.create("globex", ["rival"])
    app = create_app(svc, max_body_bytes=LIMIT, max_import_bytes=IMPORT_LIMIT)
    with serve(app) as live:
        yield Running(live.url, svc, acme, globex, llm)
