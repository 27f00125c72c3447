"""A value redacted once in a trajectory is redacted wherever else it occurs (issue 25, item 4):
typed in a step, seen in an observation, in the final answer and the meta, in a verdict, an item,
another attempt of the same task, and the MaTTS selector's analysis.

The fake secrets are built by concatenation so the source holds nothing a scanner flags.
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Sequence
from pathlib import Path

from reasoningbank.bank import ReasoningBank
from reasoningbank.embed import HashEmbedder
from reasoningbank.learning.redaction import redact_trajectory
from reasoningbank.llm import Message, ScriptedLLM
from reasoningbank.models import Step, Trajectory, Verdict
from reasoningbank.scaling import MaTTS, RolloutRequest
from reasoningbank.stores import InMemoryStore, SQLiteStore
from reasoningbank.text.redact import Redactor

HUNTER = "hunter" + "2"


def _typed() -> Trajectory:
    """The issue's example: the task names the password, the agent types it."""
    return Trajectory(
        task_id="login-1",
        query=f"Log in as admin, password: {HUNTER}",
        steps=[
            Step(
                thought="type the password", action=f'type [3] "{HUNTER}"', observation=f"textbox '{HUNTER}'"
            ),
            Step(thought=f"{HUNTER} typed", action=f"fill('#pass', '{HUNTER}')", target="button 'Log in'"),
        ],
        final_answer=f"logged in with {HUNTER}",
        meta={"typed": [HUNTER], "note": f"used {HUNTER}"},
    )


def _reply(messages: Sequence[Message]) -> str:
    """The judge and the extractor make the value up: it reaches the verdict and the item."""
    text = "\n".join(m["content"] for m in messages)
    if 'Status: "success" or "failure"' in text:
        return f'Thoughts: typed {HUNTER} and it worked.\nStatus: "success"'
    return (
        "# Memory Item 1\n## Title Log in first\n## Description When a login form is shown.\n"
        f'## Content Type the password ("{HUNTER}") into the password box, then press Log in.'
    )


def test_every_copy_of_a_redacted_value_goes_in_one_trajectory() -> None:
    counts: Counter[str] = Counter()
    out = redact_trajectory(Redactor(), _typed(), counts)
    assert HUNTER not in out.model_dump_json()
    assert out.steps[0].action == 'type [3] "[REDACTED:password]"'
    assert out.steps[1].action == "fill('#pass', '[REDACTED:password]')"
    assert out.meta == {"typed": ["[REDACTED:password]"], "note": "used [REDACTED:password]"}
    assert counts == {"password": 8}


def test_short_values_and_values_inside_longer_words_are_left() -> None:
    r = Redactor()
    assert r.redact_known("the pin abc and abcd1 and xabcd", {"abc": "password", "abcd": "password"}) == (
        "the pin abc and abcd1 and xabcd"
    )
    counts: Counter[str] = Counter()
    assert r.redact_known("[REDACTED:password] password.", {"password": "password"}, counts) == (
        "[REDACTED:password] [REDACTED:password]."
    )
    assert counts == {"password": 1}
    found: dict[str, str] = {}
    text = "verify_password=False; later: debug=False"
    assert (
        r.redact_known(r.redact(text, None, found), found)
        == "verify_password=[REDACTED:password]; later: debug=False"
    )


def test_the_judge_extractor_bank_and_later_prompts_never_see_a_typed_password(tmp_path: Path) -> None:
    llm = ScriptedLLM(default=_reply)
    bank = ReasoningBank.from_preset(SQLiteStore(tmp_path / "bank.db"), HashEmbedder(), llm, "paper")
    report = bank.learn(_typed())
    assert len(llm.calls) == 2  # the judge and the extractor
    for call in llm.calls:
        assert HUNTER not in "\n".join(m["content"] for m in call.messages)
    exp = bank.store.get("default", report.experience_id)
    assert HUNTER not in exp.model_dump_json() and HUNTER not in report.model_dump_json()
    assert exp.items and "[REDACTED:password]" in exp.items[0].content
    assert exp.verdict is not None and "[REDACTED:password]" in exp.verdict.thoughts
    given = bank.learn(_typed(), verdict=Verdict(label="success", reason=f"it was {HUNTER}"))
    assert HUNTER not in bank.store.get("default", given.experience_id).model_dump_json()
    block = bank.render(bank.retrieve("Log in as admin"))
    assert block and HUNTER not in block
    bank.close()
    assert HUNTER.encode() not in b"".join(p.read_bytes() for p in tmp_path.iterdir() if p.is_file())


SEEN = "Tr0ub4dor" + "-and-3"


def _attempt(request: RolloutRequest) -> Trajectory:
    """Attempt 0 reads the password from a page; attempt 1 only types it (no label on it there)."""
    if request.attempt == 0:
        steps = [Step(thought="read it", action="click(1)", observation=f"The admin password is {SEEN}.")]
    else:
        steps = [Step(thought="type it", action=f'type [3] "{SEEN}"')]
    return Trajectory(task_id="login-2", query="Log in as admin", steps=steps, final_answer="done")


def _backbone(messages: Sequence[Message]) -> str:
    system = messages[0]["content"]
    if system.startswith("You compare several trajectories"):
        return json.dumps({"index": 2, "analysis": f"attempt 2 typed {SEEN}, so it logged in"})
    text = "\n".join(m["content"] for m in messages)
    if "Status" in text or "status" in text:
        return json.dumps({"thoughts": "fine", "status": "success"})
    content = f"Type {SEEN} into the password box."
    return json.dumps({"items": [{"title": "Log in", "description": "d", "content": content}]})


def test_matts_redacts_a_value_across_attempts_and_in_the_selection() -> None:
    llm = ScriptedLLM(default=_backbone)
    bank = ReasoningBank.from_preset(InMemoryStore(), HashEmbedder(dim=256), llm, "small-local")
    result = MaTTS(bank, llm, k=2).run("login-2", "Log in as admin", _attempt)
    assert result.selection.index == 1 and result.selection.by == "selector"
    assert SEEN not in result.selection.analysis and "[REDACTED:password]" in result.selection.analysis
    assert SEEN not in result.selection.raw
    for call in llm.calls:
        assert SEEN not in "\n".join(m["content"] for m in call.messages)
    for report in result.learned:
        assert SEEN not in bank.store.get("default", report.experience_id).model_dump_json()
    assert result.learned and SEEN not in bank.render(bank.retrieve("Log in as admin"))
