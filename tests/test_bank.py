from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import pytest

from reasoningbank.bank import LearnError, NoLLMError, ReasoningBank
from reasoningbank.config import BankConfig, get_preset
from reasoningbank.embed import HashEmbedder
from reasoningbank.llm import Message, ScriptedLLM
from reasoningbank.models import Step, Trajectory, Verdict
from reasoningbank.stores.memory import InMemoryStore


def _md(*titles: str) -> str:
    return "\n\n".join(
        f"# Memory Item {i}\n## Title {t}\n## Description about {t}\n## Content How to {t}."
        for i, t in enumerate(titles, start=1)
    )


def _traj(task_id: str = "t1", query: str = "buy a red coffee mug") -> Trajectory:
    return Trajectory(
        task_id=task_id,
        query=query,
        steps=[Step(thought="search", action="fill('q', 'mug')"), Step(thought="buy", action="click('buy')")],
        final_answer="done",
    )


def _bank(llm: ScriptedLLM, **kw: object) -> ReasoningBank:
    preset = kw.pop("preset", "paper")
    return ReasoningBank.from_preset(InMemoryStore(), HashEmbedder(), llm, preset, **kw)  # type: ignore[arg-type]


def test_learn_end_to_end_paper_preset() -> None:
    llm = ScriptedLLM(['Thoughts: bought.\nStatus: "success"', _md("search first", "confirm purchase")])
    bank = _bank(llm)
    report = bank.learn(_traj())
    assert report.stored and report.verdict.label == "success"
    assert [i.title for i in report.items] == ["search first", "confirm purchase"]
    assert report.judge_usage.calls == 1 and report.extraction_usage.calls == 1
    assert report.usage.calls == 2 and report.seconds >= 0
    # temperatures and prompts
    assert llm.calls[0].temperature == 0.0 and llm.calls[1].temperature == 1.0
    assert "successfully" in llm.calls[1].messages[0]["content"]
    # what was stored
    exp = bank.store.get("default", report.experience_id)
    assert exp.task_id == "t1" and exp.verdict is not None and exp.verdict.label == "success"
    assert exp.query_embedding is not None
    assert exp.query_embedding.model == bank.embedder.name and exp.query_embedding.dim == 64
    assert exp.prompt_versions["judge"] == "judge_paper@1"
    assert exp.prompt_versions["extract"] == "extract_success@1"
    assert exp.models == {"judge": "scripted", "extractor": "scripted", "embedder": "hash-embedder-64"}
    assert "# Memory Item 1" in exp.raw_extraction
    assert all(i.experience_id == exp.id for i in exp.items)


def test_failure_verdict_picks_failure_prompt() -> None:
    llm = ScriptedLLM(["Thoughts: wrong.\nStatus: failure", _md("check the cart")])
    report = _bank(llm).learn(_traj())
    assert report.verdict.label == "failure"
    assert "failed" in llm.calls[1].messages[0]["content"]
    assert report.items[0].origin == "failure"


def test_given_verdict_skips_judge() -> None:
    llm = ScriptedLLM([_md("x")])
    bank = _bank(llm)
    report = bank.learn(_traj(), verdict=Verdict(label="success"))
    assert len(llm.calls) == 1 and report.judge_usage.calls == 0
    assert "judge" not in bank.store.get("default", report.experience_id).prompt_versions


def test_retrieve_leave_one_out_and_render() -> None:
    llm = ScriptedLLM([_md("mug tip")])
    bank = _bank(llm)
    bank.learn(_traj("t1", "buy a red coffee mug"), verdict=Verdict(label="success"))
    bank.add_item("forum rule", "Read the thread before replying.", task_id="t2", query="reply on forum")
    items = bank.retrieve("buy a red coffee mug")
    assert [i.title for i in items] == ["mug tip"]
    other = bank.retrieve("buy a red coffee mug", task_id="t1")
    assert [i.title for i in other] == ["forum rule"] and other[0].origin == "manual"
    same = bank.retrieve("buy a red coffee mug", task_id="t1", include_same_task=True)
    assert [i.title for i in same] == ["mug tip"]
    assert len(bank.retrieve("buy a red coffee mug", k=2)) == 2
    prompt = bank.memory_prompt("buy a red coffee mug")
    assert "## Title mug tip" in prompt and prompt.startswith("The memory items below")
    assert bank.render([]) == ""


def test_no_items_still_stored_with_note_and_not_retrieved() -> None:
    llm = ScriptedLLM(["Status: success", "nothing", "still nothing"])
    bank = _bank(llm)
    report = bank.learn(_traj())
    assert report.stored and report.items == [] and "no valid memory item" in report.note
    assert bank.store.count("default") == 1
    assert bank.retrieve("buy a red coffee mug") == []


def test_dedup_preset_drops_exact_duplicates() -> None:
    llm = ScriptedLLM(default=_md("search first"))
    bank = _bank(llm, preset=get_preset("paper").with_overrides({"consolidate": {"mode": "dedup"}}))
    first = bank.learn(_traj("t1"), verdict=Verdict(label="success"))
    second = bank.learn(_traj("t2"), verdict=Verdict(label="success"))
    assert len(first.items) == 1 and second.items == []
    assert "duplicate" in second.note
    assert bank.store.count_items("default") == 1


def test_small_local_preset_settings_reach_llm() -> None:
    llm = ScriptedLLM(
        ['{"items": [{"title": "Type first", "description": "d", "content": "Type then submit."}]}']
    )
    finished = _traj().model_copy(update={"meta": {"stop_reason": "done"}})
    report = _bank(llm, preset="small-local").learn(finished)
    assert report.items[0].title == "Type first" and report.verdict.label == "success"
    # the evidence judge decided without a model; JSON items under a schema, at 0.3, with the evidence
    assert report.verdict.source == "rules" and len(llm.calls) == 1
    assert llm.calls[0].json_schema is not None and llm.calls[0].temperature == 0.3
    assert "The agent ended the episode itself." in llm.calls[0].messages[1]["content"]


def test_small_local_preset_abstains_when_the_ending_is_unknown() -> None:
    llm = ScriptedLLM()
    report = _bank(llm, preset="small-local").learn(_traj())  # no stop reason recorded
    assert report.verdict.label == "abstained" and report.items == [] and llm.calls == []


def test_llm_failure_propagates_and_stores_nothing() -> None:
    def boom(_: Sequence[Message]) -> str:
        raise RuntimeError("backend down")

    bank = _bank(ScriptedLLM(["Status: success", boom]))
    with pytest.raises(LearnError, match="extractor call failed: backend down"):
        bank.learn(_traj())
    assert bank.store.count("default") == 0
    bank2 = _bank(ScriptedLLM([boom]))
    with pytest.raises(LearnError, match="judge call failed"):
        bank2.learn(_traj())
    assert bank2.store.count("default") == 0


def test_learn_without_llm_is_a_clear_error() -> None:
    bank = ReasoningBank(InMemoryStore(), HashEmbedder())
    with pytest.raises(NoLLMError, match="REASONINGBANK_MODEL"):
        bank.learn(_traj())


def test_separate_judge_and_extractor_llms_and_scope() -> None:
    judge_llm = ScriptedLLM(["Status: success"], model="judge-m")
    ext_llm = ScriptedLLM([_md("a")], model="ext-m")
    bank = ReasoningBank.from_preset(
        InMemoryStore(), HashEmbedder(), None, judge_llm=judge_llm, extractor_llm=ext_llm, scope="shop"
    )
    report = bank.learn(_traj())
    exp = bank.store.get("shop", report.experience_id)
    assert exp.models["judge"] == "judge-m" and exp.models["extractor"] == "ext-m"
    assert bank.store.count("default") == 0


def test_context_manager_closes_store() -> None:
    closed: list[bool] = []

    class Store(InMemoryStore):
        def close(self) -> None:
            closed.append(True)
            super().close()

    with ReasoningBank(Store(), HashEmbedder()) as bank:
        bank.add_item("t", "c")
    assert closed == [True]


def test_from_config_with_hash_embedder(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("REASONINGBANK_MODEL", raising=False)
    cfg = BankConfig(store=f"sqlite:///{tmp_path / 'bank.db'}", embedder="hash", model=None, scope="s")
    with ReasoningBank.from_config(cfg) as bank:
        assert bank.judge is None and bank.scope == "s"
        bank.add_item("Sort first", "Sort by date.", query="newest orders")
        assert [i.title for i in bank.retrieve("newest orders")] == ["Sort first"]
    path = tmp_path / "rb.json"
    path.write_text('{"store": "memory://", "embedder": "hash", "preset": "small-local"}')
    with ReasoningBank.from_config(path) as bank2:
        assert bank2.preset.name == "small-local"


# --------------------------------------------------------------------------- outcomes, abstention, screening


def test_outcome_skips_the_judge_and_is_recorded_as_such() -> None:
    llm = ScriptedLLM([_md("check the cart")])  # the extractor's reply only: no judge call
    bank = _bank(llm)
    report = bank.learn(_traj(), outcome="success")
    assert report.verdict.source == "outcome" and report.verdict.label == "success"
    assert [i.origin for i in report.items] == ["success"] and len(llm.calls) == 1
    stored = bank.store.get("default", report.experience_id)
    assert stored.verdict is not None and stored.verdict.source == "outcome"
    assert "judge" not in stored.prompt_versions
    with pytest.raises(ValueError, match="either verdict= or outcome="):
        bank.learn(_traj(), outcome="failure", verdict=Verdict(label="failure"))


def test_an_unsure_verdict_is_stored_as_abstained_with_no_items_and_no_extraction() -> None:
    llm = ScriptedLLM()  # any model call would fail: none may happen
    preset = get_preset("paper").with_overrides({"judge": {"min_confidence": 0.8}})
    bank = _bank(llm, preset=preset)
    report = bank.learn(_traj(), verdict=Verdict(label="success", p_success=0.6, reason="looked done"))
    assert report.verdict.label == "abstained" and report.items == [] and llm.calls == []
    assert "below the learning threshold 0.80" in report.note and "looked done" in report.note
    stored = bank.store.get("default", report.experience_id)
    assert stored.verdict is not None and stored.verdict.label == "abstained" and stored.items == []
    assert stored.trajectory is not None  # the experience is kept for audit
    assert bank.retrieve("buy a red coffee mug") == []  # and teaches nothing


def test_items_naming_page_elements_or_unknown_actions_are_dropped_with_a_note() -> None:
    out = _md("click the element with id 4", "use scroll(down) first", "confirm the purchase")
    preset = get_preset("paper").with_overrides(
        {"screen": {"enabled": True, "agent_actions": ["click", "type"]}}
    )
    bank = _bank(ScriptedLLM(["Status: success", out]), preset=preset)
    report = bank.learn(_traj())
    assert [i.title for i in report.items] == ["confirm the purchase"]
    assert "page-specific element" in report.note and "no action scroll" in report.note
    exp = bank.store.get("default", report.experience_id)
    assert "page-specific element" in exp.extraction_note
