"""A trajectory full of secrets: nothing secret is stored, exported, retrieved, rendered or sent
to the judge or the extractor, and the redactions are recorded.

The fake secrets are built by concatenation so the source holds nothing a scanner flags.
"""

from __future__ import annotations

import io
from collections.abc import Sequence
from pathlib import Path

import pytest

from reasoningbank.bank import ReasoningBank
from reasoningbank.config import BankConfig, ConfigError, get_preset
from reasoningbank.embed import HashEmbedder
from reasoningbank.llm import Message, ScriptedLLM
from reasoningbank.models import Step, Trajectory, Verdict
from reasoningbank.stores import SQLiteStore, export_jsonl

OPENAI = "sk-" + "proj-" + "Ab12Cd34Ef56Gh78Ij90Kl12"
GITHUB = "ghp_" + "a1B2" * 9
AWS_ID = "AKIA" + "ABCDEFGH12345678"
JWT = "eyJ" + "hbGciOiJIUzI1NiJ9" + "." + "eyJ" + "zdWIiOiIxMjM0NTY3ODkwIn0" + ".Sfl_KxwRJ-SMeK"
DB_PASS = "Tr0ub4dor" + "-and-3"
BEARER = "tok" + "9f8e7d6c5b4a"
PEM_BODY = "MIIEow" + "IBAAKCAQEA" + "zq9Xq"
PEM = "-----BEGIN RSA " + f"PRIVATE KEY-----\n{PEM_BODY}\n-----END RSA " + "PRIVATE KEY-----"
CUSTOM = "ACME-" + "778899"
SECRETS = (OPENAI, GITHUB, AWS_ID, JWT, DB_PASS, BEARER, PEM_BODY, CUSTOM, "hunter" + "2")


def _trajectory() -> Trajectory:
    return Trajectory(
        task_id="deploy-1",
        query=f"deploy the service with key {OPENAI}",
        steps=[
            Step(
                thought=f"export GITHUB_TOKEN={GITHUB}",
                action=f"curl -H 'Authorization: Bearer {BEARER}' https://127.0.0.1/api",
                observation=f"connected to postgres://app:{DB_PASS}@127.0.0.1/db\n{PEM}",
                target=f"aws id {AWS_ID}",
            ),
            Step(thought=f"the session jwt is {JWT}", action=f"login({CUSTOM})"),
        ],
        final_answer=f"done; password={'hunter' + '2'}",
        meta={"env": {"password": "hunter" + "2", "notes": [f"key {OPENAI}"]}, "attempt": 1},
    )


def _reply(messages: Sequence[Message]) -> str:
    """The judge quotes a secret it saw; the extractor copies one into an item."""
    text = "\n".join(m["content"] for m in messages)
    if 'Status: "success" or "failure"' in text:
        return f'Thoughts: it used {OPENAI} and it worked.\nStatus: "success"'
    return (
        "# Memory Item 1\n## Title Authenticate first\n## Description When deploying.\n"
        f"## Content Send Authorization: Bearer {BEARER} and set GITHUB_TOKEN={GITHUB} before deploying."
    )


@pytest.fixture
def llm() -> ScriptedLLM:
    return ScriptedLLM(default=_reply)


@pytest.fixture
def bank(tmp_path: Path, llm: ScriptedLLM) -> ReasoningBank:
    preset = get_preset("paper").with_overrides({"redact": {"patterns": [r"ACME-\d{6}"]}})
    return ReasoningBank.from_preset(SQLiteStore(tmp_path / "bank.db"), HashEmbedder(), llm, preset)


def _leaks(text: str) -> list[str]:
    return [s for s in SECRETS if s in text]


def test_nothing_secret_is_stored_sent_exported_or_rendered(
    bank: ReasoningBank, llm: ScriptedLLM, tmp_path: Path
) -> None:
    report = bank.learn(_trajectory())
    assert len(llm.calls) == 2  # the judge and the extractor
    for call in llm.calls:
        assert _leaks("\n".join(m["content"] for m in call.messages)) == []
    exp = bank.store.get("default", report.experience_id)
    assert _leaks(exp.model_dump_json()) == []
    assert exp.items and "[REDACTED:bearer-token]" in exp.items[0].content
    assert "[REDACTED:openai-key]" in exp.query and exp.verdict is not None
    assert "[REDACTED:openai-key]" in exp.verdict.thoughts
    assert _leaks(report.model_dump_json()) == []
    out = io.StringIO()
    export_jsonl(bank.store, "default", out)
    assert _leaks(out.getvalue()) == [] and "REDACTED" in out.getvalue()
    items = bank.retrieve("deploy the service")
    assert items and _leaks(bank.render(items)) == []
    bank.close()
    on_disk = b"".join(p.read_bytes() for p in tmp_path.iterdir() if p.is_file())
    assert [s for s in SECRETS if s.encode() in on_disk] == []


def test_the_redactions_are_counted_noted_and_kept(bank: ReasoningBank, tmp_path: Path) -> None:
    report = bank.learn(_trajectory())
    assert report.redactions["openai-key"] >= 2
    assert {"github-token", "bearer-token", "url-password", "private-key", "aws-access-key", "jwt"} <= set(
        report.redactions
    )
    assert report.redactions["custom"] == 1 and report.redactions["password"] == 2
    assert report.note.startswith(f"redacted {sum(report.redactions.values())} secret(s): ")
    bank.close()
    with SQLiteStore(tmp_path / "bank.db") as store:
        assert store.get("default", report.experience_id).redactions == report.redactions


def test_a_given_verdict_and_a_hand_written_item_are_redacted_too(bank: ReasoningBank) -> None:
    verdict = Verdict(label="success", thoughts=f"saw {GITHUB}", reason=f"token={'hunter' + '2'}")
    report = bank.learn(_trajectory(), verdict=verdict)
    stored = bank.store.get("default", report.experience_id)
    assert stored.verdict is not None and _leaks(stored.verdict.model_dump_json()) == []
    item = bank.add_item(f"Use {OPENAI}", f"password: {DB_PASS}", query=f"deploy with {GITHUB}")
    exp = bank.store.get("default", item.experience_id or "")
    assert _leaks(exp.model_dump_json()) == []
    assert exp.redactions == {"openai-key": 1, "password": 1, "github-token": 1}


def test_redaction_can_be_switched_off(tmp_path: Path) -> None:
    preset = get_preset("paper").with_overrides({"redact": {"secrets": False}})
    bank = ReasoningBank.from_preset(
        SQLiteStore(tmp_path / "b.db"), HashEmbedder(), ScriptedLLM(default=_reply), preset
    )
    report = bank.learn(_trajectory())
    assert OPENAI in bank.store.get("default", report.experience_id).query
    assert report.redactions == {}
    bank.close()


def test_the_config_adds_patterns_and_refuses_bad_ones(tmp_path: Path) -> None:
    cfg = BankConfig(redact_patterns=[r"ACME-\d{6}"], preset_overrides={"redact_patterns": [r"X-\d+"]})
    assert cfg.resolved_preset().redact.patterns == (r"X-\d+", r"ACME-\d{6}")
    path = tmp_path / "bank.toml"
    path.write_text('redact_patterns = ["ACME-("]\n')
    with pytest.raises(ConfigError, match=r"redact_patterns.*not a valid regular expression"):
        BankConfig.from_file(path)
