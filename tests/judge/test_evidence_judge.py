"""The evidence judge (rules, then one narrow question), the learning gate and outcome verdicts."""

from __future__ import annotations

import math

import pytest

from reasoningbank.judge import EvidenceJudge, gate_verdict, outcome_verdict
from reasoningbank.judge.rules import P_STEP_LIMIT, PASSED_P_SUCCESS
from reasoningbank.llm import LLMResponse, ScriptedLLM, TokenLogprob
from reasoningbank.models import Step, Trajectory, Verdict

QUERY = 'Enter "Agustina" into the text field and press Submit.'
DONE = [
    Step(
        action='type(1, "Agustina")', target="input_text name='tt'", observation="[1] input value='Agustina'"
    ),
    Step(action="click(2)", target="button 'Submit'", observation="[2] button 'Submit' focused"),
]


def _traj(stop: str = "done", steps: list[Step] | None = None) -> Trajectory:
    return Trajectory(
        task_id="enter-text:0",
        query=QUERY,
        steps=DONE if steps is None else steps,
        meta={"stop_reason": stop},
    )


def _yes(p: float) -> LLMResponse:
    top = {"Yes": math.log(p), "No": math.log(1 - p)}
    return LLMResponse(
        text="Yes" if p >= 0.5 else "No", model="m", logprobs=(TokenLogprob("Yes", top["Yes"], top),)
    )


def test_rules_decide_without_calling_the_model() -> None:
    llm = ScriptedLLM()
    verdict, usage = EvidenceJudge(llm).judge(_traj(stop="max_steps"))
    assert verdict.label == "failure" and verdict.source == "rules"
    assert verdict.p_success == P_STEP_LIMIT and "ran out of steps" in verdict.reason
    assert llm.calls == [] and usage.calls == 0


def test_passing_episode_asks_one_narrow_question_with_logprobs() -> None:
    llm = ScriptedLLM([_yes(0.9)])
    verdict, usage = EvidenceJudge(llm).judge(_traj())
    assert verdict.label == "success" and verdict.source == "judge"
    assert verdict.p_success == pytest.approx(0.9) and verdict.confidence == pytest.approx(0.9)
    call = llm.calls[0]
    assert call.top_logprobs == 10 and call.max_tokens == 1 and call.temperature == 0.0
    prompt = call.messages[1]["content"]
    assert QUERY in prompt and "The agent ended the episode itself." in prompt
    assert "'Agustina' (used)" in prompt and "yes or no" in prompt
    assert "stop_reason" not in prompt  # facts in words, never the raw meta
    assert usage.calls == 1


def test_low_yes_probability_leans_failure() -> None:
    verdict, _ = EvidenceJudge(ScriptedLLM([_yes(0.2)])).judge(_traj())
    assert verdict.label == "failure" and verdict.p_success == pytest.approx(0.2)


def test_votes_when_the_backend_returns_no_logprobs() -> None:
    llm = ScriptedLLM(["Yes", "yes.", "No", "Yes"])  # first: the logprob call, answered without logprobs
    verdict, usage = EvidenceJudge(llm, votes=3).judge(_traj())
    assert verdict.p_success == pytest.approx((2 + 1) / (3 + 2))
    assert [c.temperature for c in llm.calls] == [0.0, 0.7, 0.7, 0.7] and usage.calls == 4
    assert "votes (3 of 3 readable)" in verdict.thoughts


def test_unreadable_answer_abstains() -> None:
    verdict, _ = EvidenceJudge(ScriptedLLM(default="perhaps"), confidence="votes", votes=2).judge(_traj())
    assert verdict.label == "abstained" and not verdict.parsed and "could not be read" in verdict.reason


def test_without_a_model_a_passing_episode_gets_the_base_rate() -> None:
    verdict, _ = EvidenceJudge(None).judge(_traj())
    assert verdict.source == "rules" and verdict.p_success == PASSED_P_SUCCESS


def test_gate_turns_unsure_verdicts_into_abstentions_and_keeps_the_lean() -> None:
    unsure = Verdict(label="success", p_success=0.7, reason="checks passed")
    gated = gate_verdict(unsure, 0.8)
    assert gated.label == "abstained" and gated.p_success == 0.7
    assert "leaned success with confidence 0.70, below the learning threshold 0.80" in gated.reason
    sure = Verdict(label="failure", p_success=0.1)
    assert gate_verdict(sure, 0.8) is sure
    assert gate_verdict(unsure, 0.0) is unsure
    no_p = gate_verdict(Verdict(label="success"), 0.5)
    assert no_p.label == "abstained" and "no confidence" in no_p.reason


def test_outcomes_are_labelled_inputs_and_pass_any_gate() -> None:
    v = outcome_verdict("success")
    assert (v.label, v.source, v.p_success) == ("success", "outcome", 1.0)
    assert gate_verdict(v, 0.99) is v
    with pytest.raises(ValueError, match="outcome must be"):
        outcome_verdict("maybe")  # type: ignore[arg-type]


def test_extra_checks_run_after_the_built_in_rules() -> None:
    from reasoningbank.judge.rules import RuleHit

    seen: list[str] = []

    def nothing_typed_twice(traj: Trajectory, ev: object) -> RuleHit | None:
        seen.append(traj.task_id)
        return RuleHit("custom", "the custom check fired", 0.05)

    llm = ScriptedLLM()
    judge = EvidenceJudge(llm, checks=[nothing_typed_twice])
    verdict, _ = judge.judge(_traj())
    assert verdict.source == "rules" and verdict.reason == "the custom check fired" and llm.calls == []
    verdict, _ = judge.judge(_traj(stop="max_steps"))  # a built-in rule decides first
    assert "ran out of steps" in verdict.reason and seen == ["enter-text:0"]


def test_passed_base_rate_is_configurable() -> None:
    verdict, _ = EvidenceJudge(None, passed_p_success=0.93).judge(_traj())
    assert verdict.p_success == 0.93 and verdict.label == "success"


def test_without_a_model_an_unknown_ending_abstains() -> None:
    traj = Trajectory(task_id="t", query=QUERY, steps=DONE)  # no stop reason recorded
    verdict, _ = EvidenceJudge(None).judge(traj)
    assert verdict.label == "abstained" and verdict.p_success == 0.5 and "not known" in verdict.reason
