"""Memory construction of the benchmark methods (none / synapse / awm / reasoningbank)."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import pytest

from reasoningbank.bench.awm import parse_workflows
from reasoningbank.bench.methods import (
    METHOD_SPECS,
    BankMethod,
    Method,
    MethodSpec,
    NoMemory,
    build_method,
    parse_method,
    uses_feedback,
    with_failures,
)
from reasoningbank.embed import HashEmbedder
from reasoningbank.llm import Message, ScriptedLLM
from reasoningbank.models import Step, Trajectory
from reasoningbank.stores import InMemoryStore, SQLiteStore

WORKFLOW_OUTPUT = """\
## Workflow 1: Fill a named text field
Use when a form asks for a value in a text box.
<think>Find the box for the field.</think>
<action>type({field-id}, "{value}")</action>
<think>Send the form.</think>
<action>click({submit-button})</action>
"""

ITEM_OUTPUT = """\
# Memory Item 1
## Title Type before submitting
## Description Fill every field first.
## Content Type each requested value into its field, then press Submit once.
"""


def role(messages: Sequence[Message]) -> str:
    system = messages[0]["content"]
    if system.startswith("You evaluate the work") or system.startswith("You check whether an agent"):
        return "judge"
    if system.startswith("You turn a record of a web agent"):
        return "awm"
    return "extract"


def make_llm(outcomes: dict[str, str]) -> ScriptedLLM:
    """Judge says outcomes[task query]; extractors answer with fixed text."""

    def respond(messages: Sequence[Message]) -> str:
        r = role(messages)
        if r == "judge":
            user = messages[1]["content"]
            label = next(lbl for q, lbl in outcomes.items() if q in user)
            return f"Thoughts: checked the actions.\nStatus: {label}"
        if r == "awm":
            return WORKFLOW_OUTPUT
        return ITEM_OUTPUT

    return ScriptedLLM(default=respond)


def traj(task_id: str, query: str) -> Trajectory:
    return Trajectory(
        task_id=task_id,
        query=query,
        steps=[
            Step(thought="The name box is 2.", action='type(2, "Ada")', observation="[2] value=Ada"),
            Step(thought="Submit now.", action="click(1)", observation="done"),
        ],
        meta={"reward": 1.0},
    )


GOOD = "Enter name Ada into the form and press Submit."
BAD = "Enter city Paris into the form and press Submit."


def calls_by_role(llm: ScriptedLLM) -> list[str]:
    return [role(c.messages) for c in llm.calls]


def build(name: str, llm: ScriptedLLM, store: InMemoryStore | SQLiteStore | None = None) -> Method:
    return build_method(
        name,
        store=store if store is not None else InMemoryStore(),
        embedder=HashEmbedder(),
        llm=llm,
        preset="paper",
    )


def test_method_names_and_failure_variants() -> None:
    assert parse_method("synapse") == ("synapse", False)
    assert parse_method("awm") == ("awm", False)
    assert parse_method("reasoningbank") == ("reasoningbank", True)
    assert parse_method("reasoningbank-success-only") == ("reasoningbank", False)
    assert with_failures("synapse") == "synapse+failures"
    assert with_failures("awm") == "awm+failures"
    assert with_failures("none") == "none"
    assert METHOD_SPECS[with_failures("awm")] == MethodSpec("awm", True)
    assert parse_method("reasoningbank+feedback") == ("reasoningbank", True)
    assert uses_feedback("reasoningbank+feedback@paper") and not uses_feedback("reasoningbank")
    assert with_failures("awm@paper") == "awm+failures@paper"
    assert with_failures("reasoningbank@paper") == "reasoningbank@paper"
    with pytest.raises(ValueError, match="unknown method 'memgpt'"):
        parse_method("memgpt")


def test_none_stores_nothing_and_never_calls_a_model() -> None:
    llm = make_llm({GOOD: "success"})
    m = build("none", llm)
    assert isinstance(m, NoMemory)
    assert m.memory_prompt("t1", GOOD) == ""
    upd = m.update(traj("t1", GOOD))
    assert upd.verdict is None and upd.items == []
    assert upd.judge_usage.calls == 0 and upd.extraction_usage.calls == 0
    assert m.memory_size() == 0
    assert llm.calls == []


def test_synapse_stores_only_judged_successes_as_trajectory_text() -> None:
    llm = make_llm({GOOD: "success", BAD: "failure"})
    m = build("synapse", llm)
    ok = m.update(traj("a:1", GOOD))
    bad = m.update(traj("b:1", BAD))
    assert ok.verdict is not None and ok.verdict.label == "success"
    assert bad.verdict is not None and bad.verdict.label == "failure"
    assert len(ok.items) == 1 and bad.items == []
    item = ok.items[0]
    assert item.origin == "trajectory"
    assert item.content.startswith(f"**Query:** {GOOD}")
    assert "**Trajectory:**" in item.content
    assert '<action>\ntype(2, "Ada")\n</action>' in item.content
    assert m.memory_size() == 1
    # Only the judge was called: no extraction LLM call for synapse.
    assert calls_by_role(llm) == ["judge", "judge"]
    assert ok.judge_usage.calls == 1 and ok.extraction_usage.calls == 0
    # Shared retrieval + injection: the stored trajectory comes back under the header.
    prompt = m.memory_prompt("a:2", "Enter name Bob into the form and press Submit.")
    assert "**Query:**" in prompt and "past" in prompt.lower()


def test_synapse_with_failures_stores_failed_trajectories_too() -> None:
    llm = make_llm({GOOD: "success", BAD: "failure"})
    m = build("synapse+failures", llm)
    m.update(traj("a:1", GOOD))
    bad = m.update(traj("b:1", BAD))
    assert len(bad.items) == 1 and bad.items[0].title.startswith("Past failed attempt")
    assert m.memory_size() == 2


def test_awm_induces_workflows_from_successes_only() -> None:
    llm = make_llm({GOOD: "success", BAD: "failure"})
    m = build("awm", llm)
    ok = m.update(traj("a:1", GOOD))
    bad = m.update(traj("b:1", BAD))
    assert [i.title for i in ok.items] == ["Fill a named text field"]
    assert ok.items[0].origin == "workflow"
    assert "{field-id}" in ok.items[0].content
    assert ok.extraction_usage.calls == 1
    assert bad.items == [] and bad.extraction_usage.calls == 0
    assert calls_by_role(llm) == ["judge", "awm", "judge"]
    awm_call = llm.calls[1]
    assert "descriptive variable names" in awm_call.messages[0]["content"]
    assert GOOD in awm_call.messages[1]["content"]
    assert m.memory_size() == 1


def test_awm_with_failures_induces_from_failures() -> None:
    llm = make_llm({BAD: "failure"})
    m = build("awm+failures", llm)
    bad = m.update(traj("b:1", BAD))
    assert len(bad.items) == 1
    assert "judged unsuccessful" in llm.calls[1].messages[1]["content"]


def test_reasoningbank_learns_from_successes_and_failures(tmp_path: Path) -> None:
    llm = make_llm({GOOD: "success", BAD: "failure"})
    m = build("reasoningbank", llm, SQLiteStore(tmp_path / "bank.db"))
    ok = m.update(traj("a:1", GOOD))
    bad = m.update(traj("b:1", BAD))
    assert [i.origin for i in ok.items] == ["success"]
    assert [i.origin for i in bad.items] == ["failure"]
    assert ok.items[0].title == "Type before submitting"
    assert calls_by_role(llm) == ["judge", "extract", "judge", "extract"]
    # success and failure prompts differ
    assert llm.calls[1].messages[0]["content"] != llm.calls[3].messages[0]["content"]
    assert m.memory_size() == 2
    # The judge runs once per task: the bank does not judge again.
    assert ok.judge_usage.calls == 1


def test_reasoningbank_success_only_ablation() -> None:
    llm = make_llm({GOOD: "success", BAD: "failure"})
    m = build("reasoningbank-success-only", llm)
    m.update(traj("a:1", GOOD))
    bad = m.update(traj("b:1", BAD))
    assert bad.items == [] and bad.extraction_usage.calls == 0
    assert m.memory_size() == 1


def test_retrieval_excludes_the_current_task_and_recover_finds_stored_task() -> None:
    llm = make_llm({GOOD: "success"})
    m = build("reasoningbank", llm)
    assert isinstance(m, BankMethod)
    m.update(traj("a:1", GOOD))
    assert m.retrieve("a:1", GOOD) == []  # leave-one-out
    assert [i.title for i in m.retrieve("a:2", GOOD)] == ["Type before submitting"]
    rec = m.recover("a:1")
    assert rec is not None and rec.recovered and rec.verdict is not None
    assert rec.verdict.label == "success" and len(rec.items) == 1
    assert m.recover("zzz:9") is None


def test_benchmark_score_in_meta_never_reaches_prompts() -> None:
    llm = make_llm({GOOD: "success"})
    m = build("reasoningbank", llm)
    t = traj("a:1", GOOD)
    t.meta["reward"] = 0.123456
    m.update(t)
    for call in llm.calls:
        assert all("0.123456" not in msg["content"] for msg in call.messages)


def test_parse_workflows_layouts() -> None:
    text = (
        "Workflow 1: Log in\n<think>a</think>\n<action>type({u}, 'x')</action>\n"
        "<think>b</think>\n<action>click({b})</action>\n"
        "**Workflow 2: Nothing**\njust prose, no action\n"
        "### Workflow 3 - One step\nUse when short.\n<think>c</think><action>click({x})</action>\n"
    )
    wfs = parse_workflows(text)
    assert [(w.name, w.n_actions) for w in wfs] == [("Log in", 2), ("One step", 1)]
    assert wfs[1].description == "Use when short."
    assert parse_workflows("no workflows here") == []


def test_awm_retries_once_then_notes_nothing_readable() -> None:
    llm = ScriptedLLM(
        responses=["Thoughts: fine\nStatus: success", "I cannot", "still nothing"],
    )
    m = build("awm", llm)
    upd = m.update(traj("a:1", GOOD))
    assert upd.items == [] and upd.extraction_usage.calls == 2
    assert len(llm.calls) == 3


def test_baselines_share_the_judge_but_keep_their_own_storage() -> None:
    llm = ScriptedLLM(default="x")
    for name in ("synapse", "awm"):
        m = build_method(name, store=InMemoryStore(), embedder=HashEmbedder(), llm=llm, preset="small-local")
        assert isinstance(m, BankMethod)
        p = m.bank.preset
        assert p.judge.kind == "evidence" and p.judge.min_confidence == 0.8  # the same labels
        assert p.consolidate.mode == "dedup" and p.extract.when == "always"  # their own storage
        assert not p.screen.enabled and not p.track.retire
    rb = build_method(
        "reasoningbank", store=InMemoryStore(), embedder=HashEmbedder(), llm=llm, preset="small-local"
    )
    assert isinstance(rb, BankMethod)
    assert rb.bank.preset.consolidate.mode == "merge" and rb.bank.preset.track.retire


def test_compact_experience_keeps_each_judged_success_as_goal_actions_result(tmp_path: Path) -> None:
    from reasoningbank.bench.methods import with_failures
    from tests.bench.fakes import respond as fake_respond
    from tests.bench.fakes import run as run_fake

    res = run_fake(tmp_path, ScriptedLLM(default=fake_respond), methods=["none", "experience"])
    recs = res.records["experience"]
    learned = {r.family: r.items_learned for r in recs}
    assert learned["city"] == [] and learned["zip"] == []  # judged failures: nothing stored
    store = SQLiteStore(tmp_path / "run" / "experience" / "bank.db")
    contents = [it.content for exp in store.list("default") for it in exp.items]
    assert contents and all(c.startswith('**Task:** Enter name "Ada') for c in contents)
    assert all(
        '1: type(2, "Ada' in c and "**Result:** the episode ended (done) after 2 steps." in c
        for c in contents
    )
    assert with_failures("experience") == "experience"  # successes only, by design
