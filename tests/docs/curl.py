"""A ``curl`` command of the docs, sent to the REST app in-process (FastAPI's TestClient, no socket).

The address must be on loopback; the Bearer key the command names is replaced by a real key of a
service on a temp dir (a scripted model, the hash embedder) whose tenant may use the bank the path
names. The request must reach a route with its method and a body the route's schema accepts: a 404 of
no route, a 405, a 422 or a 5xx fails.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from urllib.parse import urlsplit

import pytest

from tests.server.helpers import make_service

_VALUE = {"-X": "method", "--request": "method", "-H": "header", "--header": "header",
          "-d": "data", "--data": "data", "--data-raw": "data", "--json": "json"}  # fmt: skip
_FLAGS = {"-s", "-S", "-sS", "-f", "-fsS", "--fail", "--silent", "--show-error", "-i"}


def _parse(words: list[str]) -> tuple[str, str, dict[str, str], str | None]:
    method, url, headers, body = "", "", {}, None
    it = iter(words)
    for word in it:
        if word in _VALUE:
            kind, value = _VALUE[word], next(it)
            if kind == "method":
                method = value
            elif kind == "header":
                name, _, val = value.partition(":")
                headers[name.strip()] = val.strip()
            else:
                body = value
                if kind == "json":
                    headers.setdefault("Content-Type", "application/json")
        elif word.startswith("http"):
            url = word
        else:
            assert word in _FLAGS, f"curl option {word!r} is not known to the docs test"
    assert url, "curl without a URL"
    return method or ("POST" if body is not None else "GET"), url, headers, body


def check_curl(words: list[str], tmp: Path) -> int:
    """Send the command's request; returns its status (after the checks above)."""
    pytest.importorskip("fastapi")
    from fastapi.testclient import TestClient

    from reasoningbank.server.rest.app import create_app

    method, url, headers, body = _parse(words)
    parts = urlsplit(url)
    assert parts.hostname in ("127.0.0.1", "localhost"), f"{url}: the docs name loopback addresses only"
    if body is not None and "json" in headers.get("Content-Type", "json"):
        json.loads(body)
    bank = re.search(r"/banks/([^/]+)", parts.path)
    svc = make_service(tmp, start=False)
    _, key = svc.keys.create("docs", [bank[1] if bank else "default"])
    if "Authorization" in headers:
        headers["Authorization"] = f"Bearer {key}"
    with TestClient(create_app(svc)) as client:
        path = parts.path + (f"?{parts.query}" if parts.query else "")
        resp = client.request(method, path, headers=headers, content=body)
    no_route = resp.status_code == 404 and "no such endpoint" in resp.text
    assert not no_route and resp.status_code not in (405, 422), f"{method} {url}: {resp.text}"
    assert resp.status_code < 500, f"{method} {url}: {resp.status_code} {resp.text}"
    return resp.status_code
