"""Property-based fuzzing of the REST service from its own OpenAPI schema: >= 10,000 requests, no 5xx.

Schemathesis turns ``/openapi.json`` into Hypothesis strategies, per operation:
valid requests on the key's own bank (they reach the store, the embedder and
the learning worker), valid requests on any bank name, requests that break the
schema (wrong types, missing fields, extra fields, bad headers), and valid
requests with another tenant's key (never a 2xx). Most go in-process through
the ASGI app (fast enough for CI); a share goes over real HTTP to uvicorn on
127.0.0.1. Every answer must be below 500, and every error a JSON body with a
message.
"""

from __future__ import annotations

import contextlib
import json
import sqlite3
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

schemathesis = pytest.importorskip("schemathesis")
hypothesis = pytest.importorskip("hypothesis")

from hypothesis import HealthCheck, Phase, given, seed, settings  # noqa: E402
from hypothesis.errors import Unsatisfiable  # noqa: E402
from schemathesis import GenerationMode  # noqa: E402
from schemathesis.python import asgi  # noqa: E402

from reasoningbank.server.rest.app import create_app  # noqa: E402
from tests.server.helpers import make_service  # noqa: E402
from tests.server.live import serve  # noqa: E402

TOTAL = 10_000
OVER_HTTP = 600
PER_OPERATION = 90  # examples per operation and variant in one round


@schemathesis.serializer("application/x-ndjson")
def _ndjson(ctx: Any, value: Any) -> bytes:
    if isinstance(value, str):
        return value.encode("utf-8", "surrogatepass")
    return json.dumps(value).encode()


@dataclass
class Tally:
    statuses: Counter[int] = field(default_factory=Counter)
    by_operation: Counter[str] = field(default_factory=Counter)

    @property
    def sent(self) -> int:
        return sum(self.statuses.values())


@dataclass(frozen=True)
class Variant:
    name: str
    mode: GenerationMode
    own_bank: bool  # the bank path parameter is fixed to the key's bank
    key: str  # "own" or "other" (another tenant's)


VARIANTS = (
    Variant("valid, own bank", GenerationMode.POSITIVE, True, "own"),
    Variant("valid, any bank", GenerationMode.POSITIVE, False, "own"),
    Variant("invalid", GenerationMode.NEGATIVE, False, "own"),
    Variant("valid, another tenant's key", GenerationMode.POSITIVE, True, "other"),
)


def _check(label: str, variant: Variant, status: int, body: bytes) -> None:
    assert status < 500, f"{label} ({variant.name}) answered {status}: {body[:500]!r}"
    if status >= 400:
        error = json.loads(body)["error"]
        assert error["status"] == status and error["message"], body[:500]
    if variant.key == "other" and "/banks/" in label:
        assert status in (400, 401, 404, 422), f"{label}: another tenant's bank answered {status}"


def _cases(schema: Any, keys: dict[str, str]) -> Iterator[tuple[str, Variant, Any, dict[str, str]]]:
    for result in schema.get_all_operations():
        operation = result.ok()
        for variant in VARIANTS:
            fixed = {"bank": "team"} if variant.own_bank and "{bank}" in operation.path else None
            strategy = operation.as_strategy(generation_mode=variant.mode, path_parameters=fixed)
            yield operation.label, variant, strategy, {"Authorization": f"Bearer {keys[variant.key]}"}


Call = Callable[[Any, dict[str, str]], tuple[int, bytes]]


def _runner(case: tuple[str, Variant, Any, dict[str, str]], call: Call, tally: Tally, round_no: int) -> Any:
    """One Hypothesis test: ``PER_OPERATION`` requests of one operation and variant."""
    label, variant, strategy, headers = case

    @seed(round_no)
    @settings(
        max_examples=PER_OPERATION,
        deadline=None,
        database=None,
        phases=[Phase.generate, Phase.shrink],
        suppress_health_check=list(HealthCheck),
    )
    @given(case=strategy)
    def send(case: Any) -> None:
        status, body = call(case, headers)
        tally.statuses[status] += 1
        tally.by_operation[label] += 1
        _check(label, variant, status, body)

    return send


def _fuzz(schema: Any, keys: dict[str, str], call: Call, target: int) -> Tally:
    """Rounds over every operation and variant (a new seed each round) until ``target`` requests."""
    tally = Tally()
    round_no = 0
    while tally.sent < target:
        for case in _cases(schema, keys):
            with contextlib.suppress(Unsatisfiable):  # e.g. nothing in GET /v1/health can be invalid
                _runner(case, call, tally, round_no)()
            if tally.sent >= target:
                break
        round_no += 1
    return tally


@pytest.mark.timeout(900)
def test_ten_thousand_fuzzed_requests_get_no_5xx(tmp_path: Path) -> None:
    svc = make_service(tmp_path, start=False)
    _, own = svc.keys.create("acme", ["team"])
    _, other = svc.keys.create("globex", ["rival"])
    keys = {"own": own, "other": other}
    app = create_app(svc, max_body_bytes=64 * 1024, max_import_bytes=256 * 1024)

    schema = schemathesis.openapi.from_asgi("/openapi.json", app)
    with asgi.get_client(app) as client:

        def in_process(case: Any, headers: dict[str, str]) -> tuple[int, bytes]:
            response = case.call(session=client, headers=headers)
            return response.status_code, response.content

        bulk = _fuzz(schema, keys, in_process, TOTAL - OVER_HTTP)

    with serve(create_app(svc, max_body_bytes=64 * 1024, max_import_bytes=256 * 1024)) as live:
        import requests

        over_http = schemathesis.openapi.from_url(f"{live.url}/openapi.json")
        session = requests.Session()

        def real(case: Any, headers: dict[str, str]) -> tuple[int, bytes]:
            response = case.call(base_url=live.url, session=session, headers=headers)
            return response.status_code, response.content

        wire = _fuzz(over_http, keys, real, OVER_HTTP)

    statuses = bulk.statuses + wire.statuses
    print(
        f"\nfuzz: {bulk.sent} in-process + {wire.sent} over HTTP; statuses {dict(sorted(statuses.items()))}"
    )
    assert bulk.sent + wire.sent >= TOTAL
    assert not [s for s in statuses if s >= 500]
    assert statuses[200] > 1000 and statuses[202] > 10  # the fuzz reached the bank, not only the door
    assert len(bulk.by_operation) == len(list(schema.get_all_operations()))
    conn = sqlite3.connect(tmp_path / "state" / "jobs.db")
    crashed = conn.execute("SELECT error FROM jobs WHERE error LIKE 'unexpected error%'").fetchall()
    conn.close()
    assert crashed == []
