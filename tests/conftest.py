"""Test-wide guards: no real model calls and no network beyond loopback.

Real model calls are blocked through ``REASONINGBANK_BLOCK_REAL_CALLS`` (the
library refuses them) and, belt and braces, any socket connection to an address
outside loopback fails the test. Tests that use a real local model server wrap
their calls in ``reasoningbank.llm.allow_real_calls()``; the server still has to
be on 127.0.0.1.
"""

from __future__ import annotations

import ipaddress
import os
import socket
from typing import Any

import pytest

# postgres_server / pg_url: a private PostgreSQL with pgvector, started when a test first asks for it
pytest_plugins = ("tests.postgres_server",)

os.environ["REASONINGBANK_BLOCK_REAL_CALLS"] = "1"
os.environ.setdefault("LITELLM_LOCAL_MODEL_COST_MAP", "True")
os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")

_real_connect = socket.socket.connect


def _is_local(address: Any) -> bool:
    if isinstance(address, str):  # AF_UNIX path
        return True
    if isinstance(address, tuple) and address:
        host = address[0]
        if host in ("localhost",):
            return True
        try:
            return ipaddress.ip_address(host).is_loopback
        except ValueError:
            return False
    return False


def _guarded_connect(self: socket.socket, address: Any) -> Any:
    if not _is_local(address):
        raise ConnectionRefusedError(f"tests may not reach the network (tried {address!r})")
    return _real_connect(self, address)


@pytest.fixture(autouse=True)
def _no_network(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(socket.socket, "connect", _guarded_connect)
