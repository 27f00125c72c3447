"""The async facade runs the synchronous path in worker threads: same answers, calls that overlap."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Sequence

from reasoningbank.bank import ReasoningBank
from reasoningbank.embed import HashEmbedder, Vectors
from reasoningbank.llm import LLM, LLMResponse, Message, ScriptedLLM
from reasoningbank.models import Step, Trajectory
from reasoningbank.scaling import MaTTS, RolloutRequest
from reasoningbank.stores.memory import InMemoryStore

QUERY = "buy a red coffee mug"
SCRIPT = [
    'Thoughts: bought it.\nStatus: "success"',
    "# Memory Item 1\n## Title tip\n## Description d\n## Content c.",
]


def _traj(task_id: str = "t1") -> Trajectory:
    return Trajectory(
        task_id=task_id,
        query=QUERY,
        steps=[Step(thought="search", action="fill('q', 'mug')"), Step(thought="buy", action="click('buy')")],
        final_answer="done",
    )


def _bank(llm: LLM, embedder: HashEmbedder | None = None) -> ReasoningBank:
    return ReasoningBank.from_preset(InMemoryStore(), embedder or HashEmbedder(), llm, "paper")


def test_alearn_and_aretrieve_answer_as_learn_and_retrieve() -> None:
    sync_llm, async_llm = ScriptedLLM(list(SCRIPT)), ScriptedLLM(list(SCRIPT))
    sync_bank, async_bank = _bank(sync_llm), _bank(async_llm)
    sync_report = sync_bank.learn(_traj())
    sync_items = sync_bank.retrieve(QUERY, task_id="t2")

    async def run() -> tuple[object, list[object]]:
        report = await async_bank.alearn(_traj())
        return report, await async_bank.aretrieve(QUERY, task_id="t2")

    async_report, async_items = asyncio.run(run())
    assert async_llm.calls == sync_llm.calls  # the same prompts, in the same order
    assert async_report.verdict.label == sync_report.verdict.label == "success"  # type: ignore[attr-defined]
    assert async_report.usage == sync_report.usage  # type: ignore[attr-defined]
    assert [(i.title, i.content) for i in async_items] == [(i.title, i.content) for i in sync_items]  # type: ignore[attr-defined]
    assert [i.title for i in sync_items] == ["tip"]


class MeetingEmbedder(HashEmbedder):
    """Every query embedding waits until ``parties`` of them are running at once (or times out)."""

    def __init__(self, parties: int) -> None:
        super().__init__()
        self.barrier = threading.Barrier(parties, timeout=10)
        self.threads: set[int] = set()

    def embed_query(self, text: str) -> Vectors:
        self.threads.add(threading.get_ident())
        self.barrier.wait()  # raises BrokenBarrierError unless the calls overlap
        return super().embed_query(text)


def test_concurrent_aretrieve_calls_overlap_in_worker_threads() -> None:
    embedder = MeetingEmbedder(parties=3)
    bank = _bank(ScriptedLLM(), embedder)
    bank.add_item("Search first", "Use the search box.", query=QUERY)

    async def run() -> tuple[int, list[list[str]]]:
        loop_thread = threading.get_ident()
        found = await asyncio.gather(*(bank.aretrieve(QUERY) for _ in range(3)))
        return loop_thread, [[i.title for i in items] for items in found]

    loop_thread, titles = asyncio.run(run())
    assert titles == [["Search first"]] * 3
    assert len(embedder.threads) == 3 and loop_thread not in embedder.threads


class OldStyleLLM:
    """A user's LLM from before the seam was synchronous only: its ``acomplete`` is never called."""

    model = "old-style"

    def __init__(self) -> None:
        self.inner = ScriptedLLM(list(SCRIPT))

    def complete(
        self,
        messages: Sequence[Message],
        *,
        temperature: float | None = None,
        max_tokens: int | None = None,
        json_schema: dict[str, object] | None = None,
        seed: int | None = None,
        top_logprobs: int | None = None,
    ) -> LLMResponse:
        return self.inner.complete(messages, temperature=temperature, max_tokens=max_tokens)

    async def acomplete(self, messages: Sequence[Message], **kwargs: object) -> LLMResponse:
        raise AssertionError("acomplete is no longer part of the LLM seam")


def test_an_llm_that_still_defines_acomplete_keeps_working() -> None:
    llm = OldStyleLLM()
    assert isinstance(llm, LLM)
    report = asyncio.run(_bank(llm).alearn(_traj()))
    assert [i.title for i in report.items] == ["tip"] and len(llm.inner.calls) == 2


def test_matts_arun_answers_as_run() -> None:
    def rollout(request: RolloutRequest) -> Trajectory:
        return _traj(request.task_id).model_copy(update={"meta": {"stop_reason": "done"}})

    def matts() -> MaTTS:
        llm = ScriptedLLM(default='{"index": 1, "analysis": "first"}')
        return MaTTS(None, llm, mode="parallel", k=2, aggregation="none")

    sync = matts().run("t1", QUERY, rollout)
    done = asyncio.run(matts().arun("t1", QUERY, rollout))
    assert done.selection.index == sync.selection.index == 0
    assert [t.steps for t in done.trajectories] == [t.steps for t in sync.trajectories]
