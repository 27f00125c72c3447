"""Every model call has a token cap and a timeout that fit the model, and a timeout names the call
and the key to change (issue 25, item 12)."""

from __future__ import annotations

import http.server
import threading
from collections.abc import Iterator

import pytest

from reasoningbank.assemble import make_extractor, make_judge
from reasoningbank.bank import LearnError, ReasoningBank
from reasoningbank.config import PRESETS, get_preset
from reasoningbank.embed import HashEmbedder
from reasoningbank.llm import allow_real_calls
from reasoningbank.llm.litellm_client import LiteLLMClient
from reasoningbank.models import Step, Trajectory
from reasoningbank.stores import InMemoryStore


@pytest.fixture
def silent_server() -> Iterator[str]:
    """An OpenAI-compatible base URL on loopback whose server never answers."""
    release = threading.Event()

    class Silent(http.server.BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            release.wait(10)

        def log_message(self, *args: object) -> None:
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Silent)
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/v1"
    finally:
        release.set()
        server.shutdown()
        server.server_close()


def _bank(api_base: str, section: str) -> ReasoningBank:
    preset = get_preset("paper").with_overrides({section: {"local_timeout": 0.3}})
    llm = LiteLLMClient("qwen-local", api_base=api_base, max_retries=1, backoff=0)
    return ReasoningBank.from_preset(InMemoryStore(), HashEmbedder(), llm, preset)


TRAJ = Trajectory(task_id="t1", query="log in as ada", steps=[Step(action='type("ada")')])


def test_a_judge_timeout_names_the_call_and_the_key(silent_server: str) -> None:
    bank = _bank(silent_server, "judge")
    with allow_real_calls(), pytest.raises(LearnError) as info:
        bank.learn(TRAJ)
    text = str(info.value)
    assert "the judge's call to model 'qwen-local'" in text and "timed out after 0.3 s (2 attempts)" in text
    assert "judge.local_timeout" in text and "judge.max_tokens" in text
    assert bank.store.count("default") == 0


def test_an_extractor_timeout_names_the_call_and_the_key(silent_server: str) -> None:
    bank = _bank(silent_server, "extract")
    with allow_real_calls(), pytest.raises(LearnError) as info:
        bank.learn(TRAJ, outcome="success")
    text = str(info.value)
    assert "the extractor's call to model 'qwen-local'" in text and "timed out after 0.3 s" in text
    assert "extract.local_timeout" in text and "extract.max_tokens" in text


@pytest.mark.parametrize("name", sorted(PRESETS))
@pytest.mark.parametrize(
    ("api_base", "local"),
    [(None, False), ("http://127.0.0.1:8080/v1", True), ("https://llm.example/v1", False)],
)
def test_every_call_a_preset_builds_has_a_token_cap_and_a_timeout(
    name: str, api_base: str | None, local: bool
) -> None:
    preset = get_preset(name).with_overrides({"judge": {"kind": "llm"}})
    llm = LiteLLMClient("some-model", api_base=api_base)
    judge, extractor = make_judge(llm, preset), make_extractor(llm, preset)
    for part, settings in ((judge, preset.judge), (extractor, preset.extract)):
        assert settings.max_tokens is not None and part.max_tokens == settings.max_tokens  # type: ignore[attr-defined]
        client = part.llm  # type: ignore[attr-defined]
        expected = settings.local_timeout if local else settings.timeout
        assert client.endpoint.timeout == expected
        kwargs = client.request_kwargs([{"role": "user", "content": "x"}], max_tokens=part.max_tokens)  # type: ignore[attr-defined]
        assert kwargs["timeout"] == expected and kwargs["max_tokens"] == settings.max_tokens
    assert preset.judge.local_timeout >= preset.judge.timeout  # CPU generation is slower
    assert preset.extract.local_timeout >= preset.extract.timeout


def test_the_paper_preset_keeps_its_temperatures_and_gets_caps() -> None:
    p = get_preset("paper")
    assert (p.judge.temperature, p.extract.temperature) == (0.0, 1.0)
    assert p.judge.max_tokens and p.extract.max_tokens


@pytest.mark.parametrize("name", sorted(PRESETS))
def test_the_scaling_calls_get_the_extract_sections_cap_and_timeout(name: str) -> None:
    from reasoningbank.scaling import MaTTS

    llm = LiteLLMClient("some-model", api_base="http://127.0.0.1:8080/v1")
    bank = ReasoningBank.from_preset(InMemoryStore(), HashEmbedder(), llm, get_preset(name))
    x = bank.preset.extract
    matts = MaTTS(bank, llm, mode="parallel", k=2)
    assert matts.refiner is not None
    for part in (matts.selector, matts.contrast, matts.refiner):
        assert part.max_tokens is not None
        assert part.llm.endpoint.timeout == x.local_timeout  # type: ignore[attr-defined]
