"""The llama.cpp build check: one completion in a child process, a crash reported in one line."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

from reasoningbank.llm.selfcheck import check_completion

FAKE_LLAMA = textwrap.dedent(
    """
    import os, signal

    MODE = os.environ["FAKE_LLAMA_MODE"]

    def llama_print_system_info():
        return b"CPU : AVX2 = 1 | AVX512 = 1 | AMX_INT8 = 1 |"

    class Llama:
        def __init__(self, path, **kw):
            self.path = path

        def create_chat_completion(self, messages, **kw):
            if MODE == "crash":
                os.kill(os.getpid(), signal.SIGSEGV)  # what the AMX path did on an Intel Xeon
            return {"choices": [{"message": {"content": "ready"}}],
                    "usage": {"prompt_tokens": 12, "completion_tokens": 2}}
    """
)


@pytest.fixture
def fake_llama(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    pkg = tmp_path / "fake" / "llama_cpp"
    pkg.mkdir(parents=True)
    (pkg / "__init__.py").write_text(FAKE_LLAMA)
    monkeypatch.setenv("PYTHONPATH", str(tmp_path / "fake"))
    model = tmp_path / "m.gguf"
    model.write_bytes(b"GGUF")
    return model


def test_a_working_build_reports_its_speed(fake_llama: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("FAKE_LLAMA_MODE", "ok")
    result = check_completion(fake_llama)
    assert result.ok and "AMX_INT8 = 1" in result.build
    assert "one completion in" in result.message and "'ready'" in result.message


def test_a_crashing_build_is_reported_in_one_line(fake_llama: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("FAKE_LLAMA_MODE", "crash")
    result = check_completion(fake_llama)
    assert not result.ok and "\n" not in result.message
    assert result.message.startswith(
        "the llama.cpp build was killed by signal SIGSEGV (11) at the first completion"
    )
    assert "AVX512 = 1" in result.build
