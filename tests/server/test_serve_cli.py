"""``reasoningbank serve`` as a subprocess: a server SIGKILLed with a job accepted loses nothing.

The service learns through an OpenAI-compatible fake model on 127.0.0.1 that
holds its answers until the test releases them, so the job is surely running
when the server is killed. The restarted server re-queues it, learns it, and
the bank holds its items exactly once.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import socket
import sqlite3
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import httpx
import pytest

import reasoningbank
from tests.server.helpers import md

pytest.importorskip("uvicorn")


@dataclass
class FakeModel:
    """Answers chat completions (the judge: success; the extractor: two items) once released."""

    released: threading.Event = field(default_factory=threading.Event)
    calls: int = 0

    def answer(self, request: dict[str, Any]) -> dict[str, Any]:
        prompt = json.dumps(request.get("messages", []))
        text = (
            'Thoughts: done.\nStatus: "success"'
            if "Status" in prompt
            else md("check the form", "submit last")
        )
        return {
            "id": "chatcmpl-1",
            "object": "chat.completion",
            "created": int(time.time()),
            "model": request.get("model", "fake"),
            "choices": [
                {"index": 0, "finish_reason": "stop", "message": {"role": "assistant", "content": text}}
            ],
            "usage": {"prompt_tokens": 10, "completion_tokens": 5, "total_tokens": 15},
        }


@pytest.fixture
def model() -> Iterator[tuple[FakeModel, str]]:
    state = FakeModel()

    class Handler(BaseHTTPRequestHandler):
        def log_message(self, format: str, *args: Any) -> None:
            pass

        def do_POST(self) -> None:
            request = json.loads(self.rfile.read(int(self.headers.get("Content-Length", "0"))) or b"{}")
            state.calls += 1
            state.released.wait(60)
            data = json.dumps(state.answer(request)).encode()
            try:
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)
            except OSError:  # the server that asked was killed
                pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True).start()
    try:
        yield state, f"http://127.0.0.1:{server.server_address[1]}/v1"
    finally:
        state.released.set()
        server.shutdown()
        server.server_close()


def _cli() -> list[str]:
    found = shutil.which("reasoningbank")
    return [found] if found else [sys.executable, "-m", "reasoningbank"]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@dataclass
class Server:
    url: str
    process: subprocess.Popen[bytes]


def _start(tmp: Path, api_base: str) -> Server:
    port = _free_port()
    args = [
        *_cli(),
        "serve",
        "--host",
        "127.0.0.1",
        "--port",
        str(port),
        "--state-dir",
        str(tmp / "state"),
        "--store",
        f"sqlite:///{tmp / 'bank.db'}",
        "--embedder",
        "hash",
        "--model",
        "openai/fake",
        "--api-base",
        api_base,
        "--log-level",
        "warning",
    ]
    env = {
        **os.environ,
        "REASONINGBANK_BLOCK_REAL_CALLS": "0",
        "LITELLM_LOCAL_MODEL_COST_MAP": "True",
        # the package this test imported, not the installed copy a relative PYTHONPATH misses from cwd
        "PYTHONPATH": str(Path(reasoningbank.__file__).resolve().parents[1]),
    }
    log = (tmp / f"serve-{port}.log").open("wb")
    process = subprocess.Popen(args, cwd=tmp, env=env, stdout=log, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise AssertionError(f"serve exited: {(tmp / f'serve-{port}.log').read_text()}")
        try:
            if httpx.get(f"{url}/v1/health", timeout=1).status_code == 200:
                return Server(url, process)
        except httpx.TransportError:
            pass
        time.sleep(0.2)
    process.kill()
    raise AssertionError("serve did not answer in time")


def _keys(tmp: Path, *args: str) -> dict[str, Any]:
    done = subprocess.run(
        [*_cli(), "keys", *args, "--state-dir", str(tmp / "state"), "--json"], capture_output=True, check=True
    )
    result: dict[str, Any] = json.loads(done.stdout)
    return result


def _job_status(tmp: Path, job_id: str) -> str:
    conn = sqlite3.connect(tmp / "state" / "jobs.db")
    try:
        return str(conn.execute("SELECT status FROM jobs WHERE id = ?", (job_id,)).fetchone()[0])
    finally:
        conn.close()


@pytest.mark.timeout(600)
def test_a_server_killed_with_a_job_running_learns_it_exactly_once_after_restart(
    tmp_path: Path, model: tuple[FakeModel, str]
) -> None:
    fake, api_base = model
    key = _keys(tmp_path, "create", "--tenant", "acme", "--bank", "team")
    auth = {"Authorization": f"Bearer {key['token']}"}
    first = _start(tmp_path, api_base)
    try:
        body = {
            "trajectory": {"task_id": "t1", "query": "buy a red shirt", "steps": [{"action": "click(1)"}]}
        }
        accepted = httpx.post(f"{first.url}/v1/banks/team/learn", json=body, headers=auth)
        assert accepted.status_code == 202, accepted.text
        job_id = accepted.json()["id"]
        deadline = time.monotonic() + 60
        while fake.calls == 0 and time.monotonic() < deadline:  # the judge has been asked
            time.sleep(0.05)
        assert fake.calls >= 1 and _job_status(tmp_path, job_id) == "running"
    finally:
        first.process.send_signal(signal.SIGKILL)
        first.process.wait(30)
    fake.released.set()

    second = _start(tmp_path, api_base)
    try:
        deadline = time.monotonic() + 60
        job: dict[str, Any] = {}
        while time.monotonic() < deadline:
            job = httpx.get(f"{second.url}/v1/jobs/{job_id}", headers=auth).json()
            if job["status"] in ("done", "failed"):
                break
            time.sleep(0.1)
        assert job["status"] == "done", job
        assert job["attempts"] == 1 and job["interruptions"] == 1 and not job["result"]["resumed"]
        stats = httpx.get(f"{second.url}/v1/banks/team/stats", headers=auth).json()
        assert stats["experiences"] == 1 and stats["items"] == 2 and stats["success"] == 1
        items = httpx.get(f"{second.url}/v1/banks/team/items", headers=auth).json()["items"]
        assert sorted(i["item"]["title"] for i in items) == ["check the form", "submit last"]

        # keys made or revoked while the service runs take effect at the next request
        extra = _keys(tmp_path, "create", "--tenant", "acme", "--bank", "team", "--name", "second agent")
        extra_auth = {"Authorization": f"Bearer {extra['token']}"}
        assert httpx.get(f"{second.url}/v1/banks/team/stats", headers=extra_auth).status_code == 200
        _keys(tmp_path, "revoke", extra["id"])
        assert httpx.get(f"{second.url}/v1/banks/team/stats", headers=extra_auth).status_code == 401
    finally:
        second.process.send_signal(signal.SIGTERM)  # a graceful stop: uvicorn shuts down, then exits 143
        assert second.process.wait(30) in (0, 128 + signal.SIGTERM)
    logs = "".join(p.read_text() for p in tmp_path.glob("serve-*.log"))
    assert "Traceback" not in logs, logs
