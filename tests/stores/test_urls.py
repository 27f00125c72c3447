"""Store URLs are shown without their password."""

from __future__ import annotations

import pytest

from reasoningbank.stores import mask_url


@pytest.mark.parametrize(
    ("url", "shown"),
    [
        ("postgresql://agent:s3cret@db.internal:5432/bank", "postgresql://agent:***@db.internal:5432/bank"),
        (
            "postgres://:s3cret@127.0.0.1/bank?sslmode=require",
            "postgres://:***@127.0.0.1/bank?sslmode=require",
        ),
        (
            "postgresql://agent@/bank?host=/run/pg&password=s3cret",
            "postgresql://agent@/bank?host=/run/pg&password=***",
        ),
        (
            "postgresql://agent@127.0.0.1/bank?schema=team_a",
            "postgresql://agent@127.0.0.1/bank?schema=team_a",
        ),
        ("sqlite:////abs/bank.db", "sqlite:////abs/bank.db"),
        ("sqlite:///rel.db", "sqlite:///rel.db"),
        ("memory://", "memory://"),
        ("bank.db", "bank.db"),
    ],
)
def test_mask_url(url: str, shown: str) -> None:
    assert mask_url(url) == shown
    assert "s3cret" not in mask_url(url)
