"""MaTTS's two options of the preset's ``scale`` section, on fakes: best-of-N among the judged
successes only (``select_among``), and sequential refinement that stops at the first pass judged a
success (``stop_on_success``). A fake judge reads the label each scripted rollout wrote in its last
step, so the tests say which attempt the judge calls what."""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

import pytest

from reasoningbank.assemble import make_extractor
from reasoningbank.bank import ReasoningBank
from reasoningbank.config import get_preset
from reasoningbank.embed import HashEmbedder
from reasoningbank.llm import Message, ScriptedLLM
from reasoningbank.models import Step, Trajectory, Usage, Verdict
from reasoningbank.scaling import BestOfN, MaTTS, RolloutRequest, ScalingResult, candidates
from reasoningbank.stores import InMemoryStore

QUERY = 'Enter "Ada" into the text field and press Submit.'
SELECTOR = "You compare several trajectories"
REFINER = "learn from its own past"


class LabelJudge:
    """Judges a trajectory by the label its last step names (``... judged <label>``); logs each call."""

    def __init__(self, log: list[str]) -> None:
        self.log = log

    @property
    def prompt_version(self) -> str:
        return "label-judge/1"

    def judge(self, trajectory: Trajectory) -> tuple[Verdict, Usage]:
        label = trajectory.steps[-1].thought.rsplit(" ", 1)[-1]
        self.log.append(f"judge {len(trajectory.steps)}")
        p = {"success": 1.0, "failure": 0.0}.get(label, 0.5)
        return Verdict(label=label, p_success=p), Usage(calls=1, prompt_tokens=10)  # type: ignore[arg-type]


def step(attempt: int, label: str) -> Step:
    """A step of ``attempt``: the selector sees its action (``try <attempt>``), the judge its thought."""
    return Step(
        thought=f"attempt {attempt} judged {label}", action=f'type(1, "try {attempt}")', target="input"
    )


def backbone(select: str) -> ScriptedLLM:
    item = {"title": "Type before Submit", "description": "d", "content": "Type the value, then Submit."}

    def reply(messages: Sequence[Message]) -> str:
        return select if messages[0]["content"].startswith(SELECTOR) else json.dumps({"items": [item]})

    return ScriptedLLM(default=reply)


def setup(
    select: str = '{"index": 1, "analysis": "a"}', **scale: Any
) -> tuple[ReasoningBank, ScriptedLLM, list[str]]:
    """A bank with the small-local preset, the ``scale`` settings given, the label judge and a
    scripted extractor; the backbone (selector, contrast) replies ``select`` to the selector."""
    llm, log = backbone(select), []
    preset = get_preset("small-local").with_overrides({"scale": scale})
    extractor = make_extractor(llm, preset)
    bank = ReasoningBank(
        InMemoryStore(), HashEmbedder(dim=256), judge=LabelJudge(log), extractor=extractor, preset=preset
    )
    return bank, llm, log


def parallel(labels: Sequence[str], log: list[str] | None = None) -> Any:
    """A rollout whose attempt i is judged ``labels[i]``."""

    def rollout(r: RolloutRequest) -> Trajectory:
        if log is not None:
            log.append(f"rollout {r.attempt}")
        return Trajectory(task_id="t:1", query=QUERY, steps=[step(r.attempt, labels[r.attempt])])

    return rollout


def sequential(labels: Sequence[str], log: list[str]) -> Any:
    """A sequential rollout: pass j adds one step, judged ``labels[j]``, to the episode so far."""

    def rollout(r: RolloutRequest) -> Trajectory:
        log.append(f"rollout {r.attempt}")
        before = r.previous.steps if r.previous is not None else []
        return Trajectory(task_id="t:1", query=QUERY, steps=[*before, step(r.attempt, labels[r.attempt])])

    return rollout


def selector_prompts(llm: ScriptedLLM) -> list[str]:
    return [c.messages[1]["content"] for c in llm.calls if c.messages[0]["content"].startswith(SELECTOR)]


# --------------------------------------------------------------------------- select_among


def test_the_selector_is_shown_only_the_judged_successes_and_its_pick_maps_back() -> None:
    b, llm, _ = setup('{"index": 2, "analysis": "the second success"}', select_among="successes")
    result = MaTTS(b, llm, k=4).run("t:1", QUERY, parallel(["failure", "success", "abstained", "success"]))
    (prompt,) = selector_prompts(llm)
    assert '"try 1"' in prompt and '"try 3"' in prompt and "Trajectory 3:" not in prompt
    assert '"try 0"' not in prompt and '"try 2"' not in prompt
    s = result.selection
    assert (s.index, s.by, s.candidates) == (3, "selector", (1, 3))  # the shown 2nd is rollout 4
    assert result.answer.steps[0].thought == "attempt 3 judged success"
    (contrast,) = [c for c in llm.calls if c.messages[0]["content"].startswith("You help an agent learn")]
    assert contrast.messages[1]["content"].count("**Attempt") == 4  # the contrast still reads all four
    (report,) = result.learned
    exp = b.store.get("default", report.experience_id)
    assert exp.trajectory == result.answer and len(exp.rollouts) == 3


def test_one_judged_success_is_the_answer_without_a_selector_call() -> None:
    b, llm, _ = setup(select_among="successes")
    result = MaTTS(b, llm, k=3).run("t:1", QUERY, parallel(["failure", "abstained", "success"]))
    assert selector_prompts(llm) == []
    s = result.selection
    assert (s.index, s.by, s.candidates, s.usage.calls) == (2, "success", (2,), 0)
    assert result.verdicts[s.index] is not None and result.verdicts[s.index].success  # type: ignore[union-attr]


def test_without_a_judged_success_every_rollout_goes_to_the_selector() -> None:
    b, llm, _ = setup('{"index": 3, "analysis": "the last"}', select_among="successes")
    result = MaTTS(b, llm, k=3).run("t:1", QUERY, parallel(["failure", "abstained", "failure"]))
    (prompt,) = selector_prompts(llm)
    assert all(f'"try {i}"' in prompt for i in range(3)) and "Trajectory 3:" in prompt
    assert (result.selection.index, result.selection.candidates) == (2, (0, 1, 2))


def test_by_default_the_selector_sees_every_rollout_and_may_pick_a_judged_failure() -> None:
    b, llm, _ = setup('{"index": 1, "analysis": "the first"}')
    assert b.preset.scale.select_among == "all"
    result = MaTTS(b, llm, k=3).run("t:1", QUERY, parallel(["failure", "success", "success"]))
    (prompt,) = selector_prompts(llm)
    assert "Trajectory 3:" in prompt and '"try 0"' in prompt
    assert (result.selection.index, result.selection.by, result.selection.candidates) == (
        0,
        "selector",
        (0, 1, 2),
    )


def test_a_fallback_among_the_successes_indexes_into_all_rollouts() -> None:
    llm = ScriptedLLM(default="no index here")
    trajectories = [
        Trajectory(task_id="t", query=QUERY, steps=[step(i, "x")] * n) for i, n in enumerate((1, 3, 2))
    ]
    verdicts = [Verdict(label="failure"), Verdict(label="success"), Verdict(label="success")]
    s = BestOfN(llm).select(QUERY, trajectories, verdicts, among="successes")
    assert (s.by, s.index, s.candidates) == ("fallback", 2, (1, 2))  # the fewer steps of the two
    assert "Trajectory 2:" in llm.calls[0].messages[1]["content"]
    assert "Trajectory 3:" not in llm.calls[0].messages[1]["content"]


@pytest.mark.parametrize(
    ("labels", "among", "expected"),
    [
        (["failure", "success", "success"], "all", [0, 1, 2]),
        (["failure", "success", "success"], "successes", [1, 2]),
        (["abstained", "failure", None], "successes", [0, 1, 2]),  # none is a success: all
        (["success"], "successes", [0]),  # verdicts shorter than the rollouts: a missing one is none
    ],
)
def test_candidates(labels: list[str | None], among: str, expected: list[int]) -> None:
    verdicts = [Verdict(label=x) if x else None for x in labels]  # type: ignore[arg-type]
    assert candidates(3, verdicts, among) == expected  # type: ignore[arg-type]


def test_the_settings_come_from_the_preset_unless_given_and_are_checked() -> None:
    b, llm, _ = setup(select_among="successes", stop_on_success=True)
    assert (MaTTS(b, llm).select_among, MaTTS(b, llm).stop_on_success) == ("successes", True)
    given = MaTTS(b, llm, select_among="all", stop_on_success=False)
    assert (given.select_among, given.stop_on_success) == ("all", False)
    assert MaTTS(None, llm, aggregation="none").select_among == "all"  # no bank: the defaults
    with pytest.raises(ValueError, match="unknown select_among 'best'"):
        MaTTS(b, llm, select_among="best")  # type: ignore[arg-type]


# --------------------------------------------------------------------------- stop_on_success


def test_sequential_stops_after_the_pass_judged_a_success_and_never_plays_the_next() -> None:
    b, llm, log = setup(stop_on_success=True)
    result = MaTTS(b, llm, mode="sequential", k=3).run(
        "t:1", QUERY, sequential(["failure", "success", "failure"], log)
    )
    assert log == ["rollout 0", "judge 1", "rollout 1", "judge 2"]  # each pass judged as it ends
    assert (result.attempts, result.stopped) == (2, "success")
    assert [v.label for v in result.verdicts if v] == ["failure", "success"]
    assert result.judge_usage.calls == 2 and result.judge_usage.prompt_tokens == 20
    s = result.selection
    assert (s.index, s.by, s.analysis) == (1, "last", "the pass judged a success")
    (report,) = result.learned  # memory learns the two passes that ran
    extraction = [c for c in llm.calls if REFINER in c.messages[0]["content"]][-1].messages[1]["content"]
    assert "[re-check 1] attempt 1 judged success" in extraction and "attempt 2" not in extraction
    assert b.store.get("default", report.experience_id).trajectory == result.trajectories[1]


@pytest.mark.parametrize(
    ("labels", "stop"),
    [(["failure", "failure", "failure"], True), (["failure", "failure", "success"], True),
     (["success", "failure", "failure"], False)],
)  # fmt: skip
def test_every_pass_runs_when_none_succeeds_early_or_the_option_is_off(labels: list[str], stop: bool) -> None:
    b, llm, log = setup(stop_on_success=stop)
    result = MaTTS(b, llm, mode="sequential", k=3).run("t:1", QUERY, sequential(labels, log))
    assert (result.attempts, result.stopped) == (3, "k")
    assert [v.label for v in result.verdicts if v] == labels and result.judge_usage.calls == 3
    assert result.selection.index == 2 and result.answer == result.trajectories[-1]
    if not stop:  # today's order: every pass, then the judge on each, the last pass the answer
        assert log == ["rollout 0", "rollout 1", "rollout 2", "judge 1", "judge 2", "judge 3"]


def test_vanilla_learns_each_pass_that_ran_and_no_memory_never_stops() -> None:
    b, llm, log = setup(stop_on_success=True)
    vanilla = MaTTS(b, llm, mode="sequential", k=3, aggregation="vanilla")
    result: ScalingResult = vanilla.run("t:1", QUERY, sequential(["success", "failure", "failure"], log))
    assert (result.attempts, len(result.learned), b.store.count("default")) == (1, 1, 1)
    log.clear()
    bare = MaTTS(None, llm, mode="sequential", k=3, aggregation="none", stop_on_success=True)
    result = bare.run("t:1", QUERY, sequential(["success", "success", "success"], log))
    assert (result.attempts, result.stopped, log) == (3, "k", ["rollout 0", "rollout 1", "rollout 2"])
