"""MaTTS with a scripted backbone and scripted rollouts: concurrency and isolation, the contrast
extraction's input, the selector, sequential refinement, and what each aggregation learns."""

from __future__ import annotations

import itertools
import json
import threading
import time
from collections.abc import Sequence

import pytest

from reasoningbank.bank import ReasoningBank
from reasoningbank.embed import HashEmbedder
from reasoningbank.llm import Message, ScriptedLLM
from reasoningbank.models import Step, Trajectory
from reasoningbank.scaling import (
    MaTTS,
    RolloutError,
    RolloutRequest,
    fallback_index,
    mark_refinements,
    parse_index,
    run_parallel,
)
from reasoningbank.stores import InMemoryStore

QUERY = 'Enter "Ada" into the text field and press Submit.'


def traj(attempt: int, *, typed: bool, steps: int = 2, task: str = "enter-text:1") -> Trajectory:
    acts = [Step(thought=f"try {attempt}", action='type(1, "Ada")' if typed else "click(1)", target="input")]
    acts += [Step(thought="submit", action="click(2)", target="button 'Submit'") for _ in range(steps - 1)]
    return Trajectory(task_id=task, query=QUERY, steps=acts, meta={"stop_reason": "done"})


def backbone(select: str = '{"index": 2, "analysis": "typed the name"}') -> ScriptedLLM:
    item = {
        "title": "Type before Submit",
        "description": "d",
        "content": "Type the value, then press Submit.",
    }

    def reply(messages: Sequence[Message]) -> str:
        system = messages[0]["content"]
        if system.startswith("You compare several trajectories"):
            return select
        return json.dumps({"items": [item]})

    return ScriptedLLM(default=reply)


def bank() -> ReasoningBank:
    return ReasoningBank.from_preset(InMemoryStore(), HashEmbedder(dim=256), backbone(), "small-local")


# --------------------------------------------------------------------------- rollouts


def test_parallel_rollouts_run_concurrently_each_in_its_own_environment() -> None:
    lock = threading.Lock()
    running, peak, envs = [0], [0], []

    def rollout(request: RolloutRequest) -> Trajectory:
        env = object()  # each call builds its own environment
        with lock:
            envs.append((request.attempt, id(env)))
            running[0] += 1
            peak[0] = max(peak[0], running[0])
        time.sleep(0.2)
        with lock:
            running[0] -= 1
        return traj(request.attempt, typed=True)

    requests = [RolloutRequest("t", QUERY, "", attempt=i) for i in range(3)]
    started = time.perf_counter()
    out = run_parallel(rollout, requests, max_concurrency=3)
    assert peak[0] == 3 and time.perf_counter() - started < 0.5
    assert [t.steps[0].thought for t in out] == ["try 0", "try 1", "try 2"]  # request order
    assert len({env for _, env in envs}) == 3 and sorted(a for a, _ in envs) == [0, 1, 2]
    peak[0] = 0
    run_parallel(rollout, requests, max_concurrency=1)
    assert peak[0] == 1


def test_a_failing_rollout_names_its_attempt() -> None:
    def rollout(request: RolloutRequest) -> Trajectory:
        if request.attempt == 1:
            raise RuntimeError("browser crashed")
        return traj(request.attempt, typed=True)

    with pytest.raises(RolloutError, match="rollout 2 of task 't' failed: browser crashed"):
        run_parallel(rollout, [RolloutRequest("t", QUERY, "", attempt=i) for i in range(3)], 2)


# --------------------------------------------------------------------------- selector


@pytest.mark.parametrize(
    ("reply", "expected"),
    [
        ('{"index": 2, "analysis": "b"}', (1, "b")),
        ('{"index": [3], "analysis": "c"}', (2, "c")),
        ('```json\n{"index": "1", "analysis": "a"}\n```', (0, "a")),
        ('{"index": 4, "analysis": "out of range"}', None),
        ('{"index": 0, "analysis": "not 1-based"}', None),
        ("the second one", None),
    ],
)
def test_selector_parsing(reply: str, expected: tuple[int, str] | None) -> None:
    assert parse_index(reply, 3) == expected


def test_selector_falls_back_deterministically_and_says_so() -> None:
    from reasoningbank.scaling import BestOfN

    llm = ScriptedLLM(default="I like them all")
    trajectories = [traj(0, typed=False), traj(1, typed=True, steps=3), traj(2, typed=True)]
    b = bank()
    verdicts = [b.learner.verdict(t)[0] for t in trajectories]
    selection = BestOfN(llm).select(QUERY, trajectories, verdicts)
    assert selection.by == "fallback" and "fell back" in selection.note
    assert selection.index == 2  # a judged success, then the fewest steps
    assert fallback_index(trajectories, verdicts) == 2
    assert len(llm.calls) == 2  # one retry before falling back
    assert "Trajectory 3:" in llm.calls[0].messages[1]["content"]


# --------------------------------------------------------------------------- parallel MaTTS


def test_parallel_matts_contrasts_all_rollouts_with_their_verdicts() -> None:
    b = bank()
    llm = backbone()
    matts = MaTTS(b, llm, mode="parallel", k=3, aggregation="matts")
    plays = itertools.count()
    result = matts.run("enter-text:1", QUERY, lambda r: traj(next(plays), typed=r.attempt != 0))
    assert [v.label if v else None for v in result.verdicts] == ["failure", "success", "success"]
    assert result.selection.by == "selector" and result.selection.index == 1
    contrast = [
        c for c in llm.calls if c.messages[0]["content"].startswith("You help an agent learn from several")
    ]
    assert len(contrast) == 1
    prompt = contrast[0].messages[1]["content"]
    assert prompt.count("**Attempt") == 3
    assert "**Attempt 1** (judged: failure)" in prompt and "**Attempt 2** (judged: success)" in prompt
    (report,) = result.learned
    assert [i.origin for i in report.items] == ["contrast"]
    exp = b.store.get("default", report.experience_id)
    assert len(exp.rollouts) == 2 and exp.trajectory == result.answer  # one experience, all rollouts kept


def test_vanilla_learns_each_rollout_and_none_neither_retrieves_nor_learns() -> None:
    b = bank()
    result = MaTTS(b, backbone(), k=3, aggregation="vanilla").run(
        "enter-text:1", QUERY, lambda r: traj(r.attempt, typed=True)
    )
    assert len(result.learned) == 3 and b.store.count("default") == 3
    b2 = bank()
    b2.learn(traj(9, typed=True, task="enter-text:0"))  # something retrievable
    seen: list[str] = []

    def rollout(r: RolloutRequest) -> Trajectory:
        seen.append(r.memory)
        return traj(r.attempt, typed=True)

    bare = MaTTS(b2, backbone(), k=2, aggregation="none").run("enter-text:1", QUERY, rollout)
    assert seen == ["", ""] and bare.learned == [] and b2.store.count("default") == 1
    assert bare.verdicts == [None, None]


def test_all_rollouts_see_the_same_memory() -> None:
    b = bank()
    b.learn(traj(9, typed=True, task="enter-text:0"))
    seen: list[str] = []

    def rollout(r: RolloutRequest) -> Trajectory:
        seen.append(r.memory)
        return traj(r.attempt, typed=True)

    MaTTS(b, backbone(), k=3).run("enter-text:1", QUERY, rollout)
    assert len(set(seen)) == 1 and "Type before Submit" in seen[0]


# --------------------------------------------------------------------------- sequential MaTTS


def test_sequential_refinement_turns_and_notes() -> None:
    b = bank()
    llm = backbone()
    requests: list[RolloutRequest] = []

    def rollout(r: RolloutRequest) -> Trajectory:
        requests.append(r)
        if r.previous is None:
            return traj(0, typed=False)
        step = Step(thought=f"checking pass {r.attempt}", action='type(1, "Ada")', target="input")
        return r.previous.model_copy(update={"steps": [*r.previous.steps, step]})

    result = MaTTS(b, llm, mode="sequential", k=3).run("enter-text:1", QUERY, rollout)
    assert [r.attempt for r in requests] == [0, 1, 2]
    assert requests[0].instruction is None and requests[0].previous is None
    assert requests[1].instruction is not None and requests[1].instruction.startswith("Before you finish")
    assert requests[2].instruction is not None and requests[2].instruction.startswith(
        "Check your work once more"
    )
    assert requests[2].previous == result.trajectories[1]
    assert result.selection.by == "last" and result.answer == result.trajectories[-1]
    (report,) = result.learned
    assert [i.origin for i in report.items] == ["refinement"]
    extraction = [c for c in llm.calls if "learn from its own past" in c.messages[0]["content"]][-1]
    assert "[re-check 1] checking pass 1" in extraction.messages[1]["content"]
    assert "[re-check 2] checking pass 2" in extraction.messages[1]["content"]


def test_mark_refinements() -> None:
    final = traj(0, typed=True, steps=4)
    marked = mark_refinements(final, [2, 3, 4])
    assert [s.thought for s in marked.steps] == [
        "try 0",
        "submit",
        "[re-check 1] submit",
        "[re-check 2] submit",
    ]


def test_k_of_one_is_no_scaling() -> None:
    b = bank()
    result = MaTTS(b, backbone(), k=1).run("enter-text:1", QUERY, lambda r: traj(0, typed=True))
    assert len(result.trajectories) == 1 and len(result.learned) == 1
    assert result.learned[0].items[0].origin == "success"


def test_bad_settings_are_refused() -> None:
    with pytest.raises(ValueError, match="k must be at least 1"):
        MaTTS(bank(), backbone(), k=0)
    with pytest.raises(ValueError, match="needs a bank"):
        MaTTS(None, backbone(), aggregation="matts")
    with pytest.raises(ValueError, match="unknown scaling mode"):
        MaTTS(bank(), backbone(), mode="diagonal")  # type: ignore[arg-type]


# --------------------------------------------------------------------------- secrets


@pytest.mark.parametrize("mode", ["parallel", "sequential"])
def test_no_model_sees_and_the_bank_keeps_no_secret_of_a_rollout(mode: str) -> None:
    secret = "sk-" + "proj-" + "Ab12Cd34Ef56Gh78Ij90Kl12"
    b, llm = bank(), backbone()

    def rollout(r: RolloutRequest) -> Trajectory:
        t = traj(r.attempt, typed=r.attempt != 0)
        step = Step(thought=f"export OPENAI_API_KEY={secret}", action='type(1, "Ada")', target="input")
        return t.model_copy(update={"steps": [*t.steps, step]})

    result = MaTTS(b, llm, mode=mode, k=3).run("enter-text:1", f"{QUERY} key {secret}", rollout)  # type: ignore[arg-type]
    assert llm.calls and not any(secret in m["content"] for c in llm.calls for m in c.messages)
    (report,) = result.learned
    exp = b.store.get("default", report.experience_id)
    assert secret not in exp.model_dump_json()
    assert exp.redactions["openai-key"] == (3 if mode == "parallel" else 1)  # the passes: one trajectory
