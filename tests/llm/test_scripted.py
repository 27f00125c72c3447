"""ScriptedLLM: the fake model shipped for users' tests."""

from __future__ import annotations

import pytest

from reasoningbank.llm import LLMResponse, ScriptedLLM, TokenLogprob

MSGS = [{"role": "user", "content": "is it done"}]


def test_strings_and_callables_in_order_then_default() -> None:
    llm = ScriptedLLM(["first", lambda msgs: f"saw {len(msgs)}"], default="rest")
    assert [llm.complete(MSGS).text for _ in range(3)] == ["first", "saw 1", "rest"]  # type: ignore[arg-type]
    assert len(llm.calls) == 3


def test_runs_out_without_default() -> None:
    llm = ScriptedLLM(["only"])
    llm.complete(MSGS)  # type: ignore[arg-type]
    with pytest.raises(RuntimeError, match="ran out of responses after 1 calls"):
        llm.complete(MSGS)  # type: ignore[arg-type]


def test_word_counts_as_usage() -> None:
    resp = ScriptedLLM(["two words"]).complete(MSGS)  # type: ignore[arg-type]
    assert (resp.prompt_tokens, resp.completion_tokens) == (3, 2)


def test_scripted_logprobs_only_when_asked() -> None:
    scored = LLMResponse(
        text="yes", model="", logprobs=(TokenLogprob("yes", -0.1, {"yes": -0.1, "no": -2.4}),)
    )
    llm = ScriptedLLM([scored, scored])
    asked = llm.complete(MSGS, top_logprobs=5)  # type: ignore[arg-type]
    plain = llm.complete(MSGS)  # type: ignore[arg-type]
    assert asked.logprobs[0].top["no"] == -2.4 and asked.model == "scripted"
    assert asked.completion_tokens == 1
    assert plain.logprobs == () and plain.text == "yes"
    assert [c.top_logprobs for c in llm.calls] == [5, None]
