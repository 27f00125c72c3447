"""End to end on the real local model (Qwen2.5-Coder-0.5B on llama.cpp), no fakes.

One llama.cpp server is started for the whole module. Test A runs the core loop
(judge -> extract -> consolidate -> store -> retrieve) with the real local
embedder and a real SQLite file; test B runs the ReAct agent on one real
MiniWoB++ page in Chromium. The 0.5B model is unreliable, so the assertions are
on structure (verdicts, usage, stored vectors, leave-one-out), never on what
the model said.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from reasoningbank import trajio
from reasoningbank.assemble import make_judge
from reasoningbank.bank import ReasoningBank
from reasoningbank.config import get_preset
from reasoningbank.llm import allow_real_calls
from reasoningbank.llm.litellm_client import LiteLLMClient
from reasoningbank.llm.local import local_llm
from reasoningbank.models import LearnReport
from reasoningbank.stores import SQLiteStore

pytest.importorskip("llama_cpp")

pytestmark = [pytest.mark.model, pytest.mark.slow]

MODEL = "qwen2.5-coder-0.5b"
SCOPE = "e2e"
# The bundled examples: one submitted before typing (the value never used), one typed and submitted.
EXAMPLE_VERDICTS = {"enter-text:7": "failure", "enter-text:8": "success"}


@pytest.fixture(scope="module")
def real_llm() -> Iterator[LiteLLMClient]:
    """One real llama.cpp server for the module (loopback only)."""
    with local_llm(MODEL, n_ctx=4096, timeout=300, max_retries=0) as llm:
        assert llm.api_base is not None and llm.api_base.startswith("http://127.0.0.1:")
        yield llm


def test_core_loop_on_real_model(real_llm: LiteLLMClient, tmp_path: Path) -> None:
    from reasoningbank.embed.local import SentenceTransformerEmbedder

    trajectories = trajio.load_trajectories(trajio.example_path())
    assert len(trajectories) == 2
    assert len({t.task_id for t in trajectories}) == 2

    store = SQLiteStore(tmp_path / "bank.db")
    embedder = SentenceTransformerEmbedder()
    with ReasoningBank.from_preset(store, embedder, real_llm, "small-local", scope=SCOPE) as bank:
        reports: list[LearnReport] = []
        with allow_real_calls():
            for traj in trajectories:
                reports.append(bank.learn(traj))

        for traj, report in zip(trajectories, reports, strict=True):
            note = f"{traj.task_id}: {report.model_dump_json(exclude={'items'})}"
            print(
                f"\n[e2e] {traj.task_id}: verdict={report.verdict.label} parsed={report.verdict.parsed} "
                f"items={len(report.items)} judge_calls={report.judge_usage.calls} "
                f"extract_calls={report.extraction_usage.calls} tokens={report.usage.total_tokens} "
                f"seconds={report.seconds:.1f} note={report.note!r}"
            )
            assert report.stored, note
            # small-local judges from the episode's evidence and asks no model (its rules are
            # code, so the bundled examples' verdicts are known); the model judges are below.
            assert report.verdict.source == "rules" and report.verdict.judge_model == "rules", note
            assert report.judge_usage.calls == 0, note
            assert report.verdict.label == EXAMPLE_VERDICTS[traj.task_id], note
            assert report.extraction_usage.calls >= 1, note
            assert report.usage.total_tokens > 0, note
            assert report.verdict.judge_model, note
            for item in report.items:
                assert item.title.strip() and item.content.strip(), note
                assert item.origin == report.verdict.label
                assert item.experience_id == report.experience_id

            exp = store.get(SCOPE, report.experience_id)
            assert exp.task_id == traj.task_id and exp.query == traj.query
            assert exp.verdict is not None and exp.verdict.label == report.verdict.label
            assert exp.query_embedding is not None
            assert exp.query_embedding.model == "all-MiniLM-L6-v2"
            assert exp.query_embedding.dim == 384 and len(exp.query_embedding.vector) == 384
            assert [i.id for i in exp.items] == [i.id for i in report.items]
            assert exp.raw_extraction.strip(), note  # the model's raw output is kept
            assert exp.models["embedder"] == "all-MiniLM-L6-v2"

        assert store.count(SCOPE) == 2
        assert store.embedding_model(SCOPE) == ("all-MiniLM-L6-v2", 384)

        # Retrieval (no model call: only the local embedder). A query close to the first task.
        first = trajectories[0]
        query = first.query.replace("Submit", "the Submit button")
        by_id = {r.experience_id: r for r in reports}
        with_items = {r.experience_id for r in reports if r.items}

        hits = bank.retrieve_experiences(query, k=2)
        # retrieval skips experiences that hold no item
        assert {h.experience.id for h in hits} == with_items
        assert all(h.experience.id in by_id for h in hits)
        assert [h.score for h in hits] == sorted((h.score for h in hits), reverse=True)
        items = bank.retrieve(query, k=2)
        assert [i.id for i in items] == [i.id for h in hits for i in h.experience.items]
        assert all(i.experience_id in by_id for i in items)

        # Raw store search sees every stored experience, with or without items.
        raw = store.search(SCOPE, embedder.embed_query(query), 5, model=embedder.name)
        assert {h.experience.id for h in raw} == set(by_id)
        assert raw[0].score > 0.5  # near-identical wording under MiniLM

        # Leave-one-out: the task's own experience never comes back for its task id.
        for traj, report in zip(trajectories, reports, strict=True):
            for k in (1, 2, 5):
                loo = bank.retrieve_experiences(traj.query, k=k, task_id=traj.task_id)
                assert all(h.experience.task_id != traj.task_id for h in loo)
                assert report.experience_id not in {h.experience.id for h in loo}
                loo_items = bank.retrieve(traj.query, k=k, task_id=traj.task_id)
                assert all(i.experience_id != report.experience_id for i in loo_items)
            raw_loo = store.search(
                SCOPE, embedder.embed_query(traj.query), 5, model=embedder.name, exclude_task_id=traj.task_id
            )
            assert [h.experience.task_id for h in raw_loo] == [
                t.task_id for t in trajectories if t.task_id != traj.task_id
            ]
            # ... unless asked for explicitly
            if report.items:
                same = bank.retrieve_experiences(
                    traj.query, k=2, task_id=traj.task_id, include_same_task=True
                )
                assert report.experience_id in {h.experience.id for h in same}


def test_model_judges_on_real_model(real_llm: LiteLLMClient) -> None:
    """The judges that ask a model: the paper's open verdict, and the evidence judge's one
    yes/no question (asked only of an episode no rule decides) read from the token logprobs."""
    trajectories = {t.task_id: t for t in trajio.load_trajectories(trajio.example_path())}
    paper = make_judge(real_llm, get_preset("paper").with_overrides({"judge": {"max_tokens": 256}}))
    asking = make_judge(
        real_llm, get_preset("small-local").with_overrides({"judge": {"confidence": "logprobs"}})
    )
    with allow_real_calls():
        for traj in trajectories.values():
            verdict, usage = paper.judge(traj)
            print(f"\n[e2e] paper judge {traj.task_id}: {verdict.label} parsed={verdict.parsed}")
            assert usage.calls >= 1 and usage.prompt_tokens > 0 and usage.completion_tokens > 0
            assert verdict.source == "judge" and verdict.judge_model and verdict.raw.strip()
            # unreadable output (after one retry) is a failure marked parsed=False
            assert verdict.label in ("success", "failure")
            assert verdict.parsed or verdict.label == "failure"

        # The failing example is decided by a rule: no model call.
        verdict, usage = asking.judge(trajectories["enter-text:7"])
        assert (verdict.source, verdict.rule, usage.calls) == ("rules", "value_missing", 0)
        # The other passes every rule, so the model is asked and its P(yes) read.
        verdict, usage = asking.judge(trajectories["enter-text:8"])
        print(f"[e2e] evidence judge enter-text:8: {verdict.label} p_success={verdict.p_success}")
        assert usage.calls >= 1 and usage.prompt_tokens > 0
        assert verdict.source == "judge"
        if verdict.label == "abstained":
            assert not verdict.parsed and verdict.p_success is None
        else:
            assert verdict.p_success is not None and 0.0 <= verdict.p_success <= 1.0
            assert verdict.label == ("success" if verdict.p_success >= 0.5 else "failure")


@pytest.mark.browser
def test_react_agent_on_real_miniwob(real_llm: LiteLLMClient) -> None:
    from reasoningbank.bench.agent import ReActAgent
    from reasoningbank.bench.envs.base import TaskSpec
    from reasoningbank.bench.envs.browser import find_chrome_binary, find_chromedriver

    if find_chrome_binary() is None or find_chromedriver() is None:
        pytest.skip("Chromium and chromedriver are not installed")
    from reasoningbank.bench.envs.miniwob.env import MiniWoBEnv

    task = TaskSpec("click-button", 1)
    agent = ReActAgent(real_llm, max_steps=4, max_reasks=2, json_actions=True, max_tokens=128)
    with MiniWoBEnv() as env, allow_real_calls():
        result = agent.run(env, task)
        score = env.evaluate()

    traj = result.trajectory
    print(
        f"\n[e2e] click-button:1 score={score} steps={result.steps} calls={result.usage.calls} "
        f"parse_failures={result.parse_failures} action_errors={result.action_errors} "
        f"stop={result.stop_reason} actions={[s.action for s in traj.steps]}"
    )
    assert traj.task_id == "click-button:1"
    assert traj.query.startswith("Click on")
    assert 1 <= len(traj.steps) <= 4
    assert result.steps == len(traj.steps)
    for step in traj.steps:
        failed = (step.observation or "").startswith("ERROR: ")
        assert step.action.strip() or failed, step
    assert result.usage.calls >= len(traj.steps)
    assert result.usage.prompt_tokens > 0 and result.usage.completion_tokens > 0
    assert result.stop_reason in ("done", "max_steps")
    assert score in (0.0, 1.0)
    assert traj.meta["model"] == MODEL
    assert "reward" not in traj.model_dump_json()
