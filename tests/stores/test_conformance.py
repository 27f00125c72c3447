"""Run the shipped store conformance suite against the bundled stores."""

from __future__ import annotations

from pathlib import Path

from reasoningbank.stores import InMemoryStore, SQLiteStore, Store
from reasoningbank.testing.store_conformance import StoreConformance


class TestInMemoryStore(StoreConformance):
    def make_store(self, tmp_path: Path) -> Store:
        return InMemoryStore()


class TestSQLiteStore(StoreConformance):
    def make_store(self, tmp_path: Path) -> Store:
        return SQLiteStore(tmp_path / "bank.db")
