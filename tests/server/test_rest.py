"""The REST service over real HTTP on 127.0.0.1: keys, tenant isolation, limits, malformed input."""

from __future__ import annotations

import time
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from tests.server.conftest import IMPORT_LIMIT, LIMIT, Running

TRAJECTORY = {"task_id": "t1", "query": "buy a red shirt on the shop", "steps": [{"action": "click(1)"}]}


def _auth(key: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {key}"}


def _error(response: httpx.Response, status: int) -> dict[str, Any]:
    """The error body, after checking the status and that it is our JSON error."""
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith("application/json")
    error: dict[str, Any] = response.json()["error"]
    assert error["status"] == status and error["message"] and error["code"]
    return error


def _learn(running: Running, key: str, bank: str = "team", task_id: str = "t1") -> dict[str, Any]:
    body = {"trajectory": {**TRAJECTORY, "task_id": task_id}, "outcome": "success"}
    response = httpx.post(f"{running.url}/v1/banks/{bank}/learn", json=body, headers=_auth(key))
    assert response.status_code == 202, response.text
    assert response.headers["location"] == f"/v1/jobs/{response.json()['id']}"
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        job: dict[str, Any] = httpx.get(
            f"{running.url}/v1/jobs/{response.json()['id']}", headers=_auth(key)
        ).json()
        if job["status"] in ("done", "failed"):
            assert job["status"] == "done", job
            return job
        time.sleep(0.02)
    raise AssertionError("the job did not finish")


def test_health_needs_no_key_and_the_schema_is_served(running: Running) -> None:
    health = httpx.get(f"{running.url}/v1/health")
    assert health.status_code == 200 and health.json()["status"] == "ok"
    schema = httpx.get(f"{running.url}/openapi.json").json()
    assert "/v1/banks/{bank}/retrieve" in schema["paths"] and "/v1/jobs/{job_id}" in schema["paths"]
    assert schema["components"]["securitySchemes"]["HTTPBearer"]["scheme"] == "bearer"


@pytest.mark.parametrize(
    ("headers", "says"),
    [
        ({}, "a valid API key is needed"),
        ({"Authorization": "Bearer rbk_000000000000_" + "x" * 43}, "not valid"),
        ({"Authorization": "Basic dXNlcjpwYXNz"}, "not valid"),
        ({"Authorization": "Bearer"}, "not valid"),
    ],
)
def test_no_key_or_a_wrong_key_is_401(running: Running, headers: dict[str, str], says: str) -> None:
    for method, path in (
        ("GET", "/v1/banks/team/stats"),
        ("POST", "/v1/banks/team/retrieve"),
        ("GET", "/v1/x"),
    ):
        response = httpx.request(method, f"{running.url}{path}", headers=headers, content=b"{not even json")
        assert says in _error(response, 401)["message"]
        assert response.headers["www-authenticate"] == "Bearer"


def test_a_revoked_key_stops_working_at_the_next_request(running: Running) -> None:
    info, key = running.service.keys.create("acme", ["team"])
    assert httpx.get(f"{running.url}/v1/banks/team/stats", headers=_auth(key)).status_code == 200
    running.service.keys.revoke(info.id)
    _error(httpx.get(f"{running.url}/v1/banks/team/stats", headers=_auth(key)), 401)


def _bank_calls(exp_id: str, item_id: str) -> Iterator[tuple[str, str, dict[str, Any]]]:
    yield "POST", "retrieve", {"json": {"query": "buy a shirt"}}
    yield "POST", "learn", {"json": {"trajectory": TRAJECTORY}}
    yield "GET", "experiences", {}
    yield "GET", f"experiences/{exp_id}", {}
    yield "DELETE", f"experiences/{exp_id}", {}
    yield "GET", "items", {}
    yield "GET", f"items/{item_id}", {}
    yield "GET", "stats", {}
    yield "GET", "export", {}
    yield "POST", "import", {"content": b""}


def test_another_tenants_bank_is_not_found_like_a_missing_one(running: Running) -> None:
    job = _learn(running, running.acme)
    exp_id, item_id = job["result"]["experience_id"], job["result"]["items"][0]["id"]
    for bank in ("team", "no-such-bank"):
        for method, rest, kw in _bank_calls(exp_id, item_id):
            url = f"{running.url}/v1/banks/{bank}/{rest}"
            error = _error(httpx.request(method, url, headers=_auth(running.globex), **kw), 404)
            assert error["message"] == f"no bank {bank!r} for this API key", (method, rest)
    _error(httpx.get(f"{running.url}/v1/jobs/{job['id']}", headers=_auth(running.globex)), 404)
    # nothing of acme's was touched, and globex's own bank knows nothing of it
    stats = httpx.get(f"{running.url}/v1/banks/team/stats", headers=_auth(running.acme)).json()
    assert stats["experiences"] == 1 and stats["items"] == 2
    rival = httpx.get(f"{running.url}/v1/banks/rival/stats", headers=_auth(running.globex))
    assert rival.json()["experiences"] == 0 and "team" not in rival.text


def test_retrieve_says_why(running: Running) -> None:
    job = _learn(running, running.acme)
    body = {"query": "buy a blue shirt on the shop", "render": True}
    got = httpx.post(f"{running.url}/v1/banks/team/retrieve", json=body, headers=_auth(running.acme)).json()
    hit = got["hits"][0]
    assert hit["experience_id"] == job["result"]["experience_id"] and hit["task_id"] == "t1"
    assert hit["score"] > 0 and hit["verdict"]["source"] == "outcome"
    assert {w["item"]["title"] for w in hit["items"]} == {"check the form", "submit last"}
    assert all(w["record"]["shown"] == 0 for w in hit["items"])
    assert "check the form" in got["rendered"]


def test_bodies_over_the_limit_are_413_declared_or_streamed(running: Running) -> None:
    url, headers = f"{running.url}/v1/banks/team/retrieve", _auth(running.acme)
    big = b'{"query": "' + b"x" * LIMIT + b'"}'
    assert "larger than the limit" in _error(httpx.post(url, content=big, headers=headers), 413)["message"]

    def chunks() -> Iterator[bytes]:  # no Content-Length: chunked, and more than the limit
        for _ in range(IMPORT_LIMIT // 1024 + 8):
            yield b" " * 1024

    _error(httpx.post(url, content=chunks(), headers=headers), 413)
    _error(httpx.post(f"{running.url}/v1/banks/team/import", content=chunks(), headers=headers), 413)
    # an import may be larger than other bodies, up to its own limit
    between = b"\n" * (LIMIT + 10)
    imported = httpx.post(f"{running.url}/v1/banks/team/import", content=between, headers=headers)
    assert imported.status_code == 200 and imported.json() == {"imported": 0, "redactions": {}}
    _error(httpx.post(url, content=between, headers=headers), 413)


@pytest.mark.parametrize(
    ("body", "content_type", "status", "says"),
    [
        (b"{not json", "application/json", 400, "not valid JSON"),
        (b"", "application/json", 422, "body"),
        (b'{"query": 5}', "application/json", 422, "body.query"),
        (b'{"query": "x", "kk": 1}', "application/json", 422, "body.kk"),
        (b'{"query": "x", "k": 0}', "application/json", 422, "body.k"),
        (b'{"query": "x"}', "text/plain", 422, "Content-Type: application/json"),
        (b'{"query": "x\\ud800"}', "application/json", 400, "surrogate"),
        (b'{"query": "\xed\xa0\x80"}', "application/json", 400, ""),
        (b'{"query": "\xff\xfe"}', "application/json", 400, ""),
        (b"[" * 60_000, "application/json", 400, ""),
        (b'{"query": "x", "k": 1e400}', "application/json", 422, "body.k"),
    ],
    ids=[
        "not-json",
        "empty",
        "wrong-type",
        "unknown-field",
        "out-of-range",
        "not-json-content-type",
        "escaped-surrogate",
        "utf8-surrogate",
        "not-utf8",
        "deep-nesting",
        "huge-number",
    ],
)
def test_malformed_bodies_get_a_4xx_that_says_why(
    running: Running, body: bytes, content_type: str, status: int, says: str
) -> None:
    headers = {**_auth(running.acme), "Content-Type": content_type}
    response = httpx.post(f"{running.url}/v1/banks/team/retrieve", content=body, headers=headers)
    assert says in _error(response, status)["message"] + str(response.json()["error"]["details"])


def test_a_malformed_learn_stores_nothing_and_a_malformed_import_neither(running: Running) -> None:
    headers = _auth(running.acme)
    bad = {"trajectory": {**TRAJECTORY, "query": "   "}}
    error = _error(httpx.post(f"{running.url}/v1/banks/team/learn", json=bad, headers=headers), 422)
    assert error["details"][0]["where"] == "body.trajectory.query"
    _learn(running, running.acme)
    export = httpx.get(f"{running.url}/v1/banks/team/export", headers=headers)
    assert export.headers["content-type"].startswith("application/x-ndjson")
    lines = export.text.splitlines()
    assert len(lines) == 1
    url = f"{running.url}/v1/banks/copy/import"
    assert (
        "body:2" in _error(httpx.post(url, content=lines[0] + "\n{oops}\n", headers=headers), 400)["message"]
    )
    assert httpx.post(url, content=export.content, headers=headers).json()["imported"] == 1
    assert _error(httpx.post(url, content=export.content, headers=headers), 409)["code"] == "conflict"
    copy = httpx.get(f"{running.url}/v1/banks/copy/stats", headers=headers).json()
    assert copy["experiences"] == 1 and copy["items"] == 2
    assert running.service.jobs.counts("team")["failed"] == 0


def test_unknown_routes_and_methods_are_json_errors(running: Running) -> None:
    headers = _auth(running.acme)
    assert (
        "no such endpoint" in _error(httpx.get(f"{running.url}/v1/nowhere", headers=headers), 404)["message"]
    )
    _error(httpx.put(f"{running.url}/v1/banks/team/stats", headers=headers), 405)
    _error(httpx.get(f"{running.url}/v1/banks/a%2Fb/stats", headers=headers), 404)
    _error(httpx.get(f"{running.url}/v1/banks/team/experiences?limit=-1", headers=headers), 422)
    _error(
        httpx.get(f"{running.url}/v1/banks/team/experiences?offset=99999999999999999999", headers=headers),
        422,
    )
    _error(httpx.get(f"{running.url}/v1/jobs/not-a-job", headers=headers), 422)
