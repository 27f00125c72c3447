"""LiteLLMClient and LiteLLMEmbedder against a tiny OpenAI-compatible server on 127.0.0.1."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import numpy as np
import pytest

from reasoningbank.embed import Embedder
from reasoningbank.embed.litellm_embedder import LiteLLMEmbedder
from reasoningbank.llm import LLM, RealCallBlockedError, allow_real_calls
from reasoningbank.llm.litellm_client import LiteLLMClient, LLMCallError, resolve_model


@dataclass
class Reply:
    status: int = 200
    body: dict[str, Any] | None = None
    delay: float = 0.0


@dataclass
class FakeOpenAI:
    """Answers /v1/chat/completions and /v1/embeddings; scripted failures first."""

    script: list[Reply] = field(default_factory=list)
    requests: list[tuple[str, dict[str, Any], dict[str, str]]] = field(default_factory=list)
    text: str = "hello from the fake"
    lock: threading.Lock = field(default_factory=threading.Lock)

    def chat_body(self, req: dict[str, Any]) -> dict[str, Any]:
        return {
            "id": "chatcmpl-1",
            "object": "chat.completion",
            "created": int(time.time()),
            "model": req.get("model", "x"),
            "choices": [
                {"index": 0, "finish_reason": "stop", "message": {"role": "assistant", "content": self.text}}
            ],
            "usage": {"prompt_tokens": 11, "completion_tokens": 7, "total_tokens": 18},
        }

    def embed_body(self, req: dict[str, Any]) -> dict[str, Any]:
        inputs = req["input"] if isinstance(req["input"], list) else [req["input"]]
        data = []
        for i, text in enumerate(inputs):
            vec = [float(len(text)), 1.0, float(text.count("a")), 2.0]
            data.append({"object": "embedding", "index": i, "embedding": vec})
        data.reverse()  # out of order on purpose: the client must sort by index
        return {
            "object": "list",
            "data": data,
            "model": req.get("model", "x"),
            "usage": {"prompt_tokens": 3, "total_tokens": 3},
        }


@pytest.fixture()
def fake() -> Iterator[tuple[FakeOpenAI, str]]:
    state = FakeOpenAI()

    class Handler(BaseHTTPRequestHandler):
        def log_message(self, format: str, *args: Any) -> None:
            pass

        def do_POST(self) -> None:
            length = int(self.headers.get("Content-Length", "0"))
            req = json.loads(self.rfile.read(length) or b"{}")
            with state.lock:
                state.requests.append((self.path, req, dict(self.headers)))
                reply = state.script.pop(0) if state.script else Reply()
            if reply.delay:
                time.sleep(reply.delay)
            body = reply.body
            if body is None:
                if reply.status != 200:
                    body = {"error": {"message": "scripted failure", "type": "server_error"}}
                elif self.path.endswith("/embeddings"):
                    body = state.embed_body(req)
                else:
                    body = state.chat_body(req)
            data = json.dumps(body).encode()
            try:
                self.send_response(reply.status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)
            except (BrokenPipeError, ConnectionResetError):
                pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True)
    thread.start()
    try:
        yield state, f"http://127.0.0.1:{server.server_address[1]}/v1"
    finally:
        server.shutdown()
        server.server_close()


MSGS = [{"role": "system", "content": "be brief"}, {"role": "user", "content": "hi"}]


def warmed(client: LiteLLMClient, state: FakeOpenAI) -> LiteLLMClient:
    """``client`` after one answered call: the first call of a process imports and sets up LiteLLM,
    seconds on a busy machine, so a test that times a call must not be the first one."""
    with allow_real_calls():
        client.complete(MSGS)  # type: ignore[arg-type]
    state.requests.clear()
    return client


def test_blocked_outside_allow_real_calls(fake: tuple[FakeOpenAI, str]) -> None:
    state, base = fake
    client = LiteLLMClient("tiny", api_base=base)
    with pytest.raises(RealCallBlockedError, match="tiny"):
        client.complete(MSGS)  # type: ignore[arg-type]
    assert state.requests == []


def test_complete_through_api_base(fake: tuple[FakeOpenAI, str]) -> None:
    state, base = fake
    client = LiteLLMClient("tiny", api_base=base, default_temperature=0.2)
    assert isinstance(client, LLM)
    with allow_real_calls():
        resp = client.complete(MSGS, max_tokens=20, seed=7)  # type: ignore[arg-type]
    assert resp.text == "hello from the fake"
    assert (resp.prompt_tokens, resp.completion_tokens) == (11, 7)
    assert resp.cost == 0.0  # unknown price must not crash
    assert resp.seconds > 0
    assert resp.model == "tiny"
    assert resp.usage.calls == 1
    path, req, headers = state.requests[0]
    assert path == "/v1/chat/completions"
    assert req["model"] == "tiny"  # openai/ prefix stripped by LiteLLM
    assert req["messages"] == MSGS
    assert req["temperature"] == 0.2
    assert req["max_tokens"] == 20
    assert req["seed"] == 7
    assert "response_format" not in req
    auth = {k.lower(): v for k, v in headers.items()}.get("authorization", "")
    assert auth.startswith("Bearer "), headers


def test_json_object_with_schema_for_local_server(fake: tuple[FakeOpenAI, str]) -> None:
    state, base = fake
    schema = {"title": "Verdict", "type": "object", "properties": {"ok": {"type": "boolean"}}}
    client = LiteLLMClient("tiny", api_base=base)
    with allow_real_calls():
        client.complete(MSGS, json_schema=schema, temperature=0.0)  # type: ignore[arg-type]
    req = state.requests[0][1]
    assert req["response_format"] == {"type": "json_object", "schema": schema}
    assert req["temperature"] == 0.0


def test_json_modes_build_the_right_format() -> None:
    schema = {"title": "My Schema!", "type": "object"}
    hosted = LiteLLMClient("gpt-4.1")
    assert hosted.response_format(schema) == {
        "type": "json_schema",
        "json_schema": {"name": "My_Schema_", "schema": schema},
    }
    assert (
        LiteLLMClient("x", api_base="http://127.0.0.1:1/v1", json_mode="none").response_format(schema) is None
    )
    forced = LiteLLMClient("x", api_base="http://127.0.0.1:1/v1", json_mode="json_schema")
    fmt = forced.response_format(schema)
    assert fmt is not None and fmt["type"] == "json_schema"
    assert hosted.response_format(None) is None
    with pytest.raises(ValueError, match="json_mode"):
        LiteLLMClient("x", json_mode="xml")  # type: ignore[arg-type]


def test_model_routing() -> None:
    assert resolve_model("gpt-4.1", None) == "gpt-4.1"
    assert resolve_model("qwen", "http://127.0.0.1:1/v1") == "openai/qwen"
    assert resolve_model("openai/qwen", "http://127.0.0.1:1/v1") == "openai/qwen"
    assert resolve_model("Qwen/Qwen2.5-7B", "http://127.0.0.1:1/v1") == "openai/Qwen/Qwen2.5-7B"
    kwargs = LiteLLMClient("anthropic/claude-x", api_key="k", extra={"top_p": 0.5}).request_kwargs(
        MSGS  # type: ignore[arg-type]
    )
    assert kwargs["model"] == "anthropic/claude-x"
    assert kwargs["api_key"] == "k" and kwargs["top_p"] == 0.5
    assert "api_base" not in kwargs and "temperature" not in kwargs and "seed" not in kwargs


def test_retry_on_500_then_success(fake: tuple[FakeOpenAI, str]) -> None:
    state, base = fake
    state.script = [Reply(status=500), Reply(status=503)]
    client = LiteLLMClient("tiny", api_base=base, max_retries=3, backoff=0.01)
    with allow_real_calls():
        resp = client.complete(MSGS)  # type: ignore[arg-type]
    assert resp.text == "hello from the fake"
    assert len(state.requests) == 3


def test_gives_up_after_last_retry_naming_model_and_base(fake: tuple[FakeOpenAI, str]) -> None:
    state, base = fake
    state.script = [Reply(status=500)] * 5
    client = LiteLLMClient("tiny", api_base=base, max_retries=2, backoff=0.01)
    with allow_real_calls(), pytest.raises(LLMCallError) as info:
        client.complete(MSGS)  # type: ignore[arg-type]
    msg = str(info.value)
    assert "'tiny'" in msg and base in msg and "3 attempts" in msg
    assert info.value.retryable
    assert len(state.requests) == 3


def test_no_retry_on_400(fake: tuple[FakeOpenAI, str]) -> None:
    state, base = fake
    state.script = [Reply(status=400)] * 3
    client = LiteLLMClient("tiny", api_base=base, max_retries=3, backoff=0.01)
    with allow_real_calls(), pytest.raises(LLMCallError, match="non-retryable") as info:
        client.complete(MSGS)  # type: ignore[arg-type]
    assert not info.value.retryable
    assert len(state.requests) == 1


def test_timeout_is_retried_then_reported(fake: tuple[FakeOpenAI, str]) -> None:
    state, base = fake
    client = warmed(LiteLLMClient("tiny", api_base=base, timeout=0.3, max_retries=1, backoff=0.01), state)
    state.script = [Reply(delay=10.0), Reply(delay=10.0)]
    start = time.perf_counter()
    with allow_real_calls(), pytest.raises(LLMCallError, match="Timeout"):
        client.complete(MSGS)  # type: ignore[arg-type]
    # Two attempts cut at 0.3 s; the bound is far from the 20 s of two that waited, so a loaded
    # machine (5 s seen at a load of 10 on 2 cores) does not fail it.
    assert time.perf_counter() - start < 8.0
    assert len(state.requests) == 2


# --------------------------------------------------------------------------- embeddings


def test_embedder_blocked(fake: tuple[FakeOpenAI, str]) -> None:
    state, base = fake
    emb = LiteLLMEmbedder("tiny-embed", dim=4, api_base=base)
    with pytest.raises(RealCallBlockedError):
        emb.embed_documents(["x"])
    assert state.requests == []


def test_embedder_batches_normalises_and_orders(fake: tuple[FakeOpenAI, str]) -> None:
    state, base = fake
    state.script = [Reply(status=500)]
    emb = LiteLLMEmbedder("tiny-embed", dim=4, api_base=base, batch_size=2, backoff=0.01)
    assert isinstance(emb, Embedder)
    texts = ["a", "bb aa", "ccc", "aaaa x"]
    with allow_real_calls():
        vecs = emb.embed_documents(texts)
        q = emb.embed_query("ccc")
    assert vecs.shape == (4, 4) and vecs.dtype == np.float32
    np.testing.assert_allclose(np.linalg.norm(vecs, axis=1), 1.0, atol=1e-6)
    raw = np.array([[len(t), 1.0, t.count("a"), 2.0] for t in texts], dtype=np.float32)
    np.testing.assert_allclose(vecs, raw / np.linalg.norm(raw, axis=1, keepdims=True), atol=1e-6)
    np.testing.assert_allclose(q, vecs[2], atol=1e-6)
    embed_reqs = [r for p, r, _ in state.requests if p == "/v1/embeddings"]
    assert [r["input"] for r in embed_reqs[1:]] == [["a", "bb aa"], ["ccc", "aaaa x"], ["ccc"]]
    assert emb.embed_documents([]).shape == (0, 4)


def test_embedder_query_instruction_and_dim_checks(fake: tuple[FakeOpenAI, str]) -> None:
    state, base = fake
    emb = LiteLLMEmbedder("tiny-embed", api_base=base, query_instruction="find similar tasks")
    with allow_real_calls():
        assert emb.dim == 4  # discovered by a probe call
        emb.embed_query("book a flight")
    sent = state.requests[-1][1]["input"]
    assert sent == ["Instruct: find similar tasks\nQuery: book a flight"]
    wrong = LiteLLMEmbedder("tiny-embed", dim=8, api_base=base)
    with allow_real_calls(), pytest.raises(ValueError, match="dim"):
        wrong.embed_documents(["x"])


def test_json_object_mode_drops_grammar_unsafe_string_limits() -> None:
    """llama.cpp's grammar compiler dies on large maxLength values; the client strips them."""
    from reasoningbank.llm.litellm_client import LiteLLMClient

    schema = {
        "type": "object",
        "properties": {
            "items": {
                "type": "array",
                "maxItems": 3,
                "items": {"type": "object", "properties": {"t": {"type": "string", "maxLength": 400}}},
            }
        },
    }
    client = LiteLLMClient("m", api_base="http://127.0.0.1:1/v1", json_mode="json_object")
    fmt = client.response_format(schema)
    assert fmt is not None
    sent = fmt["schema"]
    assert sent["properties"]["items"]["maxItems"] == 3
    assert "maxLength" not in sent["properties"]["items"]["items"]["properties"]["t"]
    assert schema["properties"]["items"]["items"]["properties"]["t"]["maxLength"] == 400  # not mutated


def test_missing_credentials_are_not_retried(fake: tuple[FakeOpenAI, str]) -> None:
    # LiteLLM reports OpenAI's missing key as a 500 "InternalServerError": it must not be retried.
    state, base = fake
    client = warmed(LiteLLMClient("tiny", api_base=base, max_retries=3, backoff=20.0), state)
    state.script = [
        Reply(status=500, body={"error": {"message": "Missing credentials. Please pass an api_key"}})
    ]
    start = time.perf_counter()
    with allow_real_calls(), pytest.raises(LLMCallError, match="non-retryable") as info:
        client.complete(MSGS)  # type: ignore[arg-type]
    assert not info.value.retryable
    assert len(state.requests) == 1 and time.perf_counter() - start < 8.0  # a retry waits 10 s or more


def test_unauthorised_is_not_retried(fake: tuple[FakeOpenAI, str]) -> None:
    state, base = fake
    state.script = [Reply(status=401)] * 3
    client = LiteLLMClient("tiny", api_base=base, max_retries=3, backoff=0.01)
    with allow_real_calls(), pytest.raises(LLMCallError, match="non-retryable"):
        client.complete(MSGS)  # type: ignore[arg-type]
    assert len(state.requests) == 1


def test_hosted_model_without_its_key_fails_before_any_call(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("OPENAI_API_KEY", raising=False)
    client = LiteLLMClient("gpt-4o-mini")
    with allow_real_calls(), pytest.raises(LLMCallError) as info:
        client.complete(MSGS)  # type: ignore[arg-type]
    msg = str(info.value)
    assert "OPENAI_API_KEY" in msg and "no call was made" in msg and "\n" not in msg
    assert info.value.attempts == 0 and not info.value.retryable


def test_health_check_stops_retries_at_once(fake: tuple[FakeOpenAI, str]) -> None:
    state, base = fake
    state.script = [Reply(status=500)] * 5

    class Gone(RuntimeError):
        pass

    def health() -> None:
        raise Gone("the server died")

    client = LiteLLMClient("tiny", api_base=base, max_retries=3, backoff=5.0, health_check=health)
    with allow_real_calls(), pytest.raises(Gone):
        client.complete(MSGS)  # type: ignore[arg-type]
    assert len(state.requests) == 1


def test_top_logprobs_are_requested_and_parsed(fake: tuple[FakeOpenAI, str]) -> None:
    state, base = fake
    body = state.chat_body({"model": "tiny"})
    body["choices"][0]["logprobs"] = {
        "content": [
            {
                "token": "yes",
                "logprob": -0.2,
                "top_logprobs": [{"token": "yes", "logprob": -0.2}, {"token": "no", "logprob": -1.8}],
            }
        ]
    }
    state.script = [Reply(body=body)]
    client = LiteLLMClient("tiny", api_base=base)
    with allow_real_calls():
        resp = client.complete(MSGS, top_logprobs=2)  # type: ignore[arg-type]
    sent = state.requests[0][1]
    assert sent["logprobs"] is True and sent["top_logprobs"] == 2
    assert [(t.token, round(t.logprob, 3)) for t in resp.logprobs] == [("yes", -0.2)]
    assert resp.logprobs[0].top == {"yes": pytest.approx(-0.2), "no": pytest.approx(-1.8)}
    assert "logprobs" not in LiteLLMClient("tiny", api_base=base).request_kwargs(MSGS)  # type: ignore[arg-type]
