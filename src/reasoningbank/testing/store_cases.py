"""The base of every part of the store conformance suite: a fresh store per test, closed after it.

:class:`~reasoningbank.testing.store_conformance.StoreConformance` inherits the
parts; a backend's test class subclasses that and implements :meth:`StoreCases.make_store`.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from ..stores.base import Store


class StoreCases:
    """Gives each test the ``store`` fixture: :meth:`make_store`'s store, closed when the test ends."""

    def make_store(self, tmp_path: Path) -> Store:
        raise NotImplementedError("implement make_store(tmp_path) -> Store in your subclass")

    @pytest.fixture
    def store(self, tmp_path: Path) -> Iterator[Store]:
        s = self.make_store(tmp_path)
        try:
            yield s
        finally:
            s.close()
