"""Endpoint: one connection config for the LiteLLM chat client and the LiteLLM embedder."""

from __future__ import annotations

import dataclasses

import pytest

from reasoningbank.bank import ReasoningBank
from reasoningbank.config import BankConfig
from reasoningbank.embed import make_embedder
from reasoningbank.embed.litellm_embedder import LiteLLMEmbedder
from reasoningbank.llm import Endpoint, ScriptedLLM, allow_real_calls
from reasoningbank.llm.litellm_base import DUMMY_API_KEY
from reasoningbank.llm.litellm_client import LiteLLMClient, LLMCallError

BASE = "http://127.0.0.1:1/v1"
MSGS = [{"role": "user", "content": "hi"}]


def test_endpoint_checks_its_fields_and_normalises_them() -> None:
    ep = Endpoint("qwen", api_base=BASE + "/", api_key="sk-secret", extra={"top_p": 0.5})
    assert ep.api_base == BASE and ep.routed_model == "openai/qwen"
    assert "sk-secret" not in repr(ep)
    with pytest.raises(TypeError):
        ep.extra["top_p"] = 1.0  # type: ignore[index]  # a read-only copy
    for bad, match in (
        ({"model": ""}, "model name"),
        ({"timeout": 0}, "timeout"),
        ({"max_retries": -1}, "retries"),
    ):
        with pytest.raises(ValueError, match=match):
            Endpoint(**{"model": "m", **bad})  # type: ignore[arg-type]


def test_request_routes_adds_the_placeholder_key_and_puts_extra_last() -> None:
    local = Endpoint("qwen", api_base=BASE, timeout=5, extra={"timeout": 9, "top_p": 0.5})
    kwargs = local.request(input=["x"])
    assert kwargs == {
        "model": "openai/qwen",
        "input": ["x"],
        "timeout": 9,  # extra wins over everything
        "top_p": 0.5,
        "num_retries": 0,
        "max_retries": 0,
        "api_base": BASE,
        "api_key": DUMMY_API_KEY,
    }
    hosted = Endpoint("anthropic/claude-x").request()
    assert "api_key" not in hosted and "api_base" not in hosted


def test_old_constructor_keywords_still_build_the_endpoint() -> None:
    client = LiteLLMClient(
        "m",
        api_base=BASE,
        api_key="k",
        timeout=7,
        max_retries=1,
        backoff=0.5,
        extra={"a": 1},
        json_mode="none",
    )
    embedder = LiteLLMEmbedder(
        "e", api_base=BASE, api_key="k", timeout=7, max_retries=1, backoff=0.5, extra={"a": 1}
    )
    expected = Endpoint(
        "m", api_base=BASE, api_key="k", timeout=7, max_retries=1, backoff=0.5, extra={"a": 1}
    )
    assert client.endpoint == expected
    assert embedder.endpoint == dataclasses.replace(expected, model="e")
    assert (client.model, client.api_base, embedder.model, embedder.api_base) == ("m", BASE, "e", BASE)
    assert client.json_mode == "none" and embedder.name == "e"
    # the defaults are as before: 120 s for a chat call, 60 s for an embedding call
    assert (LiteLLMClient("m").endpoint.timeout, LiteLLMEmbedder("e").endpoint.timeout) == (120, 60)
    with pytest.raises(ValueError, match="model name"):
        LiteLLMEmbedder("")
    with pytest.raises(TypeError, match="api_bse"):
        LiteLLMClient("m", api_bse=BASE)  # type: ignore[call-arg]


def test_one_endpoint_serves_client_and_embedder_and_keywords_replace_its_fields() -> None:
    shared = Endpoint("chat-model", api_base=BASE, timeout=30, extra={"user": "me"})
    client = LiteLLMClient(shared)
    embedder = LiteLLMEmbedder(dataclasses.replace(shared, model="embed-model"), dim=4)
    assert client.endpoint is shared
    assert embedder.endpoint.timeout == 30 and embedder.endpoint.api_base == BASE  # not the 60 s default
    sent = client.request_kwargs(MSGS)  # type: ignore[arg-type]
    assert (sent["api_base"], sent["timeout"], sent["user"]) == (BASE, 30, "me")
    assert embedder.endpoint.request(input=["x"])["user"] == "me"
    assert LiteLLMClient(shared, timeout=5).endpoint == dataclasses.replace(shared, timeout=5)


def test_a_bank_config_gives_its_api_base_to_the_models_and_the_embedder() -> None:
    cfg = BankConfig(store="memory://", model="chat-m", api_base=BASE, embedder="litellm:embed-m")
    bank = ReasoningBank.from_config(cfg)
    judge_llm = bank.learner.judge.llm  # type: ignore[union-attr]
    extractor_llm = bank.learner.extractor.llm  # type: ignore[union-attr]
    preset = cfg.resolved_preset()
    # a loopback server gets each call kind's timeout sized for CPU generation (issue 25, item 12)
    for llm, timeout in (
        (judge_llm, preset.judge.local_timeout),
        (extractor_llm, preset.extract.local_timeout),
    ):
        assert llm.endpoint == Endpoint("chat-m", api_base=BASE, timeout=timeout)
    assert bank.embedder.endpoint == Endpoint("embed-m", api_base=BASE, timeout=60)  # type: ignore[attr-defined]
    assert make_embedder("litellm:embed-m", api_base=BASE).endpoint == bank.embedder.endpoint  # type: ignore[attr-defined]


def test_unknown_completion_options_are_refused() -> None:
    with pytest.raises(TypeError, match="temprature"):
        ScriptedLLM(default="x").complete(MSGS, temprature=0.0)  # type: ignore[arg-type,call-arg]
    with pytest.raises(TypeError, match="temprature"):
        LiteLLMClient("m", api_base=BASE).request_kwargs(MSGS, temprature=0.0)  # type: ignore[arg-type,call-arg]


def test_hosted_embedding_model_without_its_key_fails_before_any_call(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.delenv("OPENAI_API_KEY", raising=False)
    embedder = LiteLLMEmbedder("text-embedding-3-small", dim=4)
    with allow_real_calls(), pytest.raises(LLMCallError) as info:
        embedder.embed_documents(["x"])
    msg = str(info.value)
    assert "embedding model 'text-embedding-3-small'" in msg and "OPENAI_API_KEY" in msg
    assert "no call was made" in msg and info.value.attempts == 0


def test_the_old_connection_attributes_read_through_to_the_endpoint_with_a_warning() -> None:
    client = LiteLLMClient("m", api_base=BASE, timeout=7, extra={"a": 1})
    embedder = LiteLLMEmbedder("e", max_retries=1)
    with pytest.warns(DeprecationWarning, match=r"\.endpoint\.timeout"):
        assert client.timeout == 7  # type: ignore[attr-defined]
    with pytest.warns(DeprecationWarning, match="max_retries"):
        assert embedder.max_retries == 1  # type: ignore[attr-defined]
    with pytest.raises(AttributeError, match="frozen"):
        client.timeout = 3  # type: ignore[attr-defined]
    with pytest.raises(AttributeError, match="no attribute 'tiemout'"):
        _ = client.tiemout  # type: ignore[attr-defined]
    client.json_mode = "none"  # the client's own settings stay plain attributes
    assert client.request_kwargs(MSGS, json_schema={"type": "object"}).get("response_format") is None  # type: ignore[arg-type]
