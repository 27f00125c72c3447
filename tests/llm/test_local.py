"""Model assembly from chunk packages, the llama.cpp server wrapper, and one real local model run."""

from __future__ import annotations

import hashlib
import json
import os
import sys
import textwrap
import time
import urllib.request
import uuid
from pathlib import Path

import pytest

from reasoningbank.llm import allow_real_calls
from reasoningbank.llm import gguf as localmodel
from reasoningbank.llm.gguf import (
    REGISTRY,
    ModelAssemblyError,
    ModelSpec,
    assemble_model,
    default_cache_dir,
)
from reasoningbank.llm.litellm_client import LiteLLMClient
from reasoningbank.llm.local import LlamaServer, ModelServerError, describe_exit, local_llm

# --------------------------------------------------------------------------- assembly


def _fake_model(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, *, corrupt_hash: bool = False) -> bytes:
    """Three fake chunk packages on sys.path and a registry entry 'fake' for them."""
    prefix = f"fakechunk_{uuid.uuid4().hex[:8]}_part"
    pkgs = tmp_path / "site"
    chunks = [bytes([i]) * (1000 + i) for i in range(1, 12)]  # 11 parts: numeric order matters
    for i, chunk in enumerate(chunks, start=1):
        pkg = pkgs / f"{prefix}{i}"
        (pkg / "data").mkdir(parents=True)
        (pkg / "__init__.py").write_text("")
        (pkg / "data" / f"part{i:02d}.bin").write_bytes(chunk)
    monkeypatch.syspath_prepend(str(pkgs))
    whole = b"".join(chunks)
    sha = hashlib.sha256(whole).hexdigest()
    if corrupt_hash:
        sha = "0" * 64
    spec = ModelSpec(
        name="fake",
        parts=tuple((f"fake-dist-{i}", f"{prefix}{i}") for i in range(1, 12)),
        version="1.0",
        sha256=sha,
        size=len(whole),
        extra="model-fake",
    )
    monkeypatch.setitem(REGISTRY, "fake", spec)
    return whole


def test_assemble_verifies_and_caches(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    whole = _fake_model(tmp_path, monkeypatch)
    cache = tmp_path / "cache"
    path = assemble_model("fake", cache)
    assert path == cache / "fake.gguf"
    assert path.read_bytes() == whole
    side = json.loads((cache / "fake.gguf.sha256").read_text())
    assert side == {"sha256": hashlib.sha256(whole).hexdigest(), "size": len(whole)}
    assert [p.name for p in cache.iterdir() if p.name.endswith(".part")] == []

    # a second call reuses the cache without reading the parts or re-hashing
    def no_parts(name: str) -> list[Path]:
        raise AssertionError("parts read again")

    def no_hash(path: Path) -> str:
        raise AssertionError("file re-hashed")

    monkeypatch.setattr(localmodel, "part_files", no_parts)
    monkeypatch.setattr(localmodel, "_sha256_file", no_hash)
    mtime = path.stat().st_mtime_ns
    assert assemble_model("fake", cache) == path
    assert path.stat().st_mtime_ns == mtime


def test_cached_file_without_sidecar_is_fully_verified(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    whole = _fake_model(tmp_path, monkeypatch)
    cache = tmp_path / "cache"
    path = assemble_model("fake", cache)
    (cache / "fake.gguf.sha256").unlink()
    assert assemble_model("fake", cache) == path
    assert (cache / "fake.gguf.sha256").is_file()
    # a damaged cached file of the right size is rebuilt, not trusted
    (cache / "fake.gguf.sha256").unlink()
    path.write_bytes(b"\x00" * len(whole))
    assert assemble_model("fake", cache).read_bytes() == whole


def test_wrong_hash_is_refused(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    _fake_model(tmp_path, monkeypatch, corrupt_hash=True)
    cache = tmp_path / "cache"
    with pytest.raises(ModelAssemblyError, match="expected 0000"):
        assemble_model("fake", cache)
    assert list(cache.iterdir()) == []  # temp file removed, nothing cached


def test_missing_packages_name_the_extra(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    spec = ModelSpec(
        name="ghost",
        parts=(("ghost-part1", "no_such_ghost_part1"), ("ghost-part2", "no_such_ghost_part2")),
        version="1",
        sha256="0" * 64,
        size=None,
        extra="model-ghost",
    )
    monkeypatch.setitem(REGISTRY, "ghost", spec)
    with pytest.raises(ModelAssemblyError, match=r"reasoningbank\[model-ghost\]"):
        assemble_model("ghost", tmp_path)
    with pytest.raises(ModelAssemblyError, match="unknown local model"):
        assemble_model("nope", tmp_path)


def test_registry_matches_installed_layout() -> None:
    for name in ("qwen2.5-coder-1.5b", "qwen2.5-coder-0.5b"):
        try:
            files = localmodel.part_files(name)
        except ModelAssemblyError:
            continue  # chunk packages not installed on this machine
        spec = REGISTRY[name]
        assert len(files) == len(spec.parts)
        assert [localmodel._part_number(f) for f in files] == list(range(1, len(files) + 1))
        assert sum(f.stat().st_size for f in files) == spec.size


def test_cache_dir_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("REASONINGBANK_CACHE", str(tmp_path))
    assert default_cache_dir() == tmp_path / "models"
    monkeypatch.delenv("REASONINGBANK_CACHE")
    assert default_cache_dir() == Path.home() / ".cache" / "reasoningbank" / "models"


# --------------------------------------------------------------------------- server (fake)

FAKE_SERVER = textwrap.dedent(
    """
    import argparse, json, sys, time
    from http.server import BaseHTTPRequestHandler, HTTPServer

    p = argparse.ArgumentParser()
    for opt in ("--model", "--model_alias", "--host", "--port", "--n_threads", "--n_ctx", "--chat_format",
                "--cache", "--cache_type", "--cache_size"):
        p.add_argument(opt)
    p.add_argument("--crash", action="store_true")
    p.add_argument("--die-on-post", action="store_true")
    p.add_argument("--delay", type=float, default=0.0)
    a = p.parse_args()
    print("fake server argv", sys.argv[1:], flush=True)
    if a.crash:
        print("error: could not load model file", flush=True)
        sys.exit(3)
    time.sleep(a.delay)

    class H(BaseHTTPRequestHandler):
        def log_message(self, *args):
            pass
        def _send(self, obj):
            data = json.dumps(obj).encode()
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)
        def do_GET(self):
            self._send({"object": "list", "data": [{"id": a.model_alias, "object": "model"}]})
        def do_POST(self):
            if a.die_on_post:  # a build that faults at the first completion
                import os, signal
                os.kill(os.getpid(), signal.SIGSEGV)
            body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
            choice = {"index": 0, "finish_reason": "stop",
                      "message": {"role": "assistant", "content": "served " + body["model"]}}
            if body.get("logprobs"):
                top = [{"token": "served", "logprob": -0.1, "bytes": None},
                       {"token": "failed", "logprob": -2.5, "bytes": None}]
                choice["logprobs"] = {"content": [
                    {"token": "served", "logprob": -0.1, "bytes": None,
                     "top_logprobs": top[: body.get("top_logprobs", 1)]}]}
            self._send({
                "id": "x", "object": "chat.completion", "created": 0, "model": body["model"],
                "choices": [choice],
                "usage": {"prompt_tokens": 3, "completion_tokens": 2, "total_tokens": 5},
            })

    HTTPServer((a.host, int(a.port)), H).serve_forever()
    """
)


@pytest.fixture()
def fake_launcher(tmp_path: Path) -> list[str]:
    script = tmp_path / "fake_llama_server.py"
    script.write_text(FAKE_SERVER)
    return [sys.executable, str(script)]


@pytest.fixture()
def model_file(tmp_path: Path) -> Path:
    path = tmp_path / "tiny.gguf"
    path.write_bytes(b"GGUF")
    return path


def test_server_lifecycle(fake_launcher: list[str], model_file: Path, tmp_path: Path) -> None:
    log = tmp_path / "server.log"
    server = LlamaServer(model_file, launcher=fake_launcher, log_path=log, n_ctx=1024, chat_format="chatml")
    with server as srv:
        assert srv.running
        assert srv.api_base.startswith("http://127.0.0.1:") and srv.api_base.endswith("/v1")
        assert srv.model_alias == "tiny"
        opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
        with opener.open(f"{srv.api_base}/models", timeout=5) as resp:
            assert json.load(resp)["data"][0]["id"] == "tiny"
        pid = srv._proc.pid if srv._proc else -1
        client = LiteLLMClient(srv.model_alias, api_base=srv.api_base)
        with allow_real_calls():
            assert client.complete([{"role": "user", "content": "hi"}]).text == "served tiny"
    assert not server.running
    with pytest.raises(ProcessLookupError):
        os.kill(pid, 0)
    text = log.read_text()
    assert "--n_ctx', '1024'" in text and "--chat_format', 'chatml'" in text and "--n_threads', '2'" in text
    assert "--cache" not in text  # the prompt-prefix cache crashed the server: off unless asked


def test_logprobs_come_back_when_asked(fake_launcher: list[str], model_file: Path) -> None:
    with LlamaServer(model_file, launcher=fake_launcher) as srv, allow_real_calls():
        client = LiteLLMClient(srv.model_alias, api_base=srv.api_base)
        plain = client.complete([{"role": "user", "content": "hi"}])
        scored = client.complete([{"role": "user", "content": "hi"}], top_logprobs=2)
    assert plain.logprobs == ()
    assert len(scored.logprobs) == 1
    first = scored.logprobs[0]
    assert first.token == "served" and first.logprob == pytest.approx(-0.1)
    assert first.top == {"served": pytest.approx(-0.1), "failed": pytest.approx(-2.5)}


def test_dead_server_is_reported_in_one_line_without_retries(
    fake_launcher: list[str], model_file: Path
) -> None:
    server = LlamaServer(model_file, launcher=fake_launcher, extra_args=["--die-on-post"])
    with server as srv, allow_real_calls():
        client = LiteLLMClient(
            srv.model_alias, api_base=srv.api_base, max_retries=3, backoff=5.0, health_check=srv.check_alive
        )
        started = time.monotonic()
        with pytest.raises(ModelServerError) as err:
            client.complete([{"role": "user", "content": "hi"}])
        elapsed = time.monotonic() - started
    message = str(err.value)
    assert "\n" not in message
    assert "'tiny' died" in message and "SIGSEGV" in message and f"log: {server.log_path}" in message
    assert elapsed < 5.0  # no backoff: a retry would have slept at least 2.5 s
    assert server.log_path is not None and server.log_path.exists()  # kept: the message points at it
    server.log_path.unlink()


def test_temp_log_is_removed_after_a_clean_stop(fake_launcher: list[str], model_file: Path) -> None:
    server = LlamaServer(model_file, launcher=fake_launcher)
    with server:
        log = server.log_path
        assert log is not None and log.exists()
    assert not log.exists()


def test_describe_exit() -> None:
    assert describe_exit(-11) == "was killed by signal SIGSEGV (11)"
    assert describe_exit(3) == "exited with code 3"


def test_server_exit_reports_log_tail(fake_launcher: list[str], model_file: Path) -> None:
    server = LlamaServer(model_file, launcher=fake_launcher, extra_args=["--crash"])
    with pytest.raises(ModelServerError, match="could not load model file"):
        server.start()
    assert not server.running


def test_server_startup_timeout(fake_launcher: list[str], model_file: Path) -> None:
    server = LlamaServer(
        model_file, launcher=fake_launcher, extra_args=["--delay", "30"], startup_timeout=0.5
    )
    with pytest.raises(ModelServerError, match="did not answer"):
        server.start()
    assert not server.running


def test_server_refuses_non_loopback(model_file: Path) -> None:
    with pytest.raises(ValueError, match="loopback"):
        LlamaServer(model_file, host="0.0.0.0")
    with pytest.raises(ValueError, match="loopback"):
        LlamaServer(model_file, host="192.168.1.5")
    assert LlamaServer(model_file, host="localhost").host == "localhost"


def test_server_missing_model_file(fake_launcher: list[str], tmp_path: Path) -> None:
    with pytest.raises(ModelServerError, match="not found"):
        LlamaServer(tmp_path / "missing.gguf", launcher=fake_launcher).start()


# --------------------------------------------------------------------------- real model


@pytest.mark.model
@pytest.mark.slow
def test_real_local_model_completion() -> None:
    pytest.importorskip("llama_cpp")
    with local_llm("qwen2.5-coder-0.5b", n_ctx=2048, timeout=300) as llm, allow_real_calls():
        resp = llm.complete(
            [{"role": "user", "content": "Reply with the single word: yes"}],
            temperature=0.0,
            max_tokens=8,
            seed=1,
        )
        schema = {
            "type": "object",
            "properties": {"answer": {"type": "string"}},
            "required": ["answer"],
        }
        js = llm.complete(
            [{"role": "user", "content": "What is 2+2? Answer in JSON with key 'answer'."}],
            temperature=0.0,
            max_tokens=30,
            json_schema=schema,
        )
    assert resp.text.strip()
    assert resp.prompt_tokens > 0 and resp.completion_tokens > 0
    assert resp.cost == 0.0
    assert "answer" in json.loads(js.text)


def test_prompt_cache_flags_only_when_asked(tmp_path: Path) -> None:
    model = tmp_path / "m.gguf"
    model.write_bytes(b"x")
    plain = LlamaServer(model, port=1).command()
    cached = LlamaServer(model, port=1, prompt_cache_bytes=1 << 20).command()
    assert "--cache" not in plain
    assert cached[-6:] == ["--cache", "True", "--cache_type", "ram", "--cache_size", str(1 << 20)]
