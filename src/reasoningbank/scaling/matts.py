"""MaTTS, memory-aware test-time scaling (paper section 3.3): spend more attempts on one task, and
let the comparison between them feed memory.

* ``parallel``: k rollouts of the task, each in its own environment, all guided
  by the same retrieved memory, run concurrently (at most ``max_concurrency`` at
  a time). Each is judged; best-of-N picks the answer. ``matts`` learns with one
  self-contrast extraction over all k with their verdicts (origin ``contrast``,
  at most 5 items, one experience); ``vanilla`` learns from each rollout on its
  own (k experiences); ``none`` neither retrieves nor learns (scaling without
  memory).
* ``sequential``: one rollout, then k - 1 re-check passes in the same episode
  (the paper's careful first re-check instruction, then short "check again"
  ones). The last pass is the answer. ``matts`` extracts from the whole episode
  with the re-check notes marked (origin ``refinement``); ``vanilla`` learns
  from every pass on its own; ``none`` as above. The passes are judged once the
  last has run; with ``stop_on_success`` each is judged as soon as it is played,
  the episode stops at the first pass judged a success (it is the answer), the
  later passes are never run, and memory learns from the passes that ran
  (``ScalingResult.stopped`` says why the episode ended).

k = 1 is no scaling: one rollout, learned as ``ReasoningBank.learn`` would.
Nothing here knows a benchmark: the rollout function owns the agent and its
environment, and the benchmark's score, if any, stays with the caller.
"""

from __future__ import annotations

import asyncio
import dataclasses
import functools
import random
import time
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Literal

from ..assemble import for_call, make_extractor
from ..bank import ReasoningBank
from ..config import ExtractSettings, ScaleSettings, SelectAmong
from ..extract.items import ExtractionResult
from ..learning.redaction import collect_values
from ..llm import LLM
from ..models import LearnReport, MemoryItem, Step, Trajectory, Usage, Verdict
from ..prompts import get_prompt
from ..text.redact import Found
from .contrast import CONTRAST_SETTINGS, ContrastExtractor
from .rollout import Rollout, RolloutRequest, run_parallel
from .select import BestOfN, Selection

Mode = Literal["parallel", "sequential"]
Aggregation = Literal["matts", "vanilla", "none"]
# Why the attempts ended: "k", all k of them ran; "success", sequential scaling stopped after a pass
# the judge called a success (stop_on_success), before the k-th.
StopReason = Literal["k", "success"]


@dataclass
class ScalingResult:
    task_id: str
    mode: Mode
    aggregation: Aggregation
    trajectories: list[Trajectory]
    verdicts: list[Verdict | None]
    selection: Selection
    memory: list[MemoryItem]
    learned: list[LearnReport] = field(default_factory=list)
    judge_usage: Usage = field(default_factory=Usage)
    extraction_usage: Usage = field(default_factory=Usage)
    seconds: float = 0.0
    stopped: StopReason = "k"

    @property
    def attempts(self) -> int:
        """How many attempts ran: k, or fewer when sequential scaling stopped on a success."""
        return len(self.trajectories)

    @property
    def answer(self) -> Trajectory:
        """The trajectory the task is answered with (best-of-N, or the last pass)."""
        return self.trajectories[self.selection.index]

    def pass_at_1(self, rng: random.Random) -> int:
        """A seeded random pick among the k trajectories (for the Pass@1 metric)."""
        return rng.randrange(len(self.trajectories))


class MaTTS:
    """Scale one task over ``k`` attempts with ``bank``'s memory; ``llm`` is the backbone that
    selects (best-of-N) and contrasts. ``select_among`` (see :mod:`.select`) and
    ``stop_on_success`` (above) default to the bank preset's ``scale`` section; both act on
    verdicts, so without memory (``aggregation="none"``: nothing is judged) neither changes anything."""

    def __init__(
        self,
        bank: ReasoningBank | None,
        llm: LLM,
        *,
        mode: Mode = "parallel",
        k: int = 3,
        aggregation: Aggregation = "matts",
        max_concurrency: int | None = None,
        select_among: SelectAmong | None = None,
        stop_on_success: bool | None = None,
    ) -> None:
        if mode not in ("parallel", "sequential"):
            raise ValueError(f"unknown scaling mode {mode!r}; expected 'parallel' or 'sequential'")
        if aggregation not in ("matts", "vanilla", "none"):
            raise ValueError(f"unknown aggregation {aggregation!r}; expected 'matts', 'vanilla' or 'none'")
        if k < 1:
            raise ValueError(f"the scaling factor k must be at least 1, got {k}")
        if bank is None and aggregation != "none":
            raise ValueError(f"aggregation {aggregation!r} needs a bank; use 'none' to scale without memory")
        self.bank = bank
        self.llm = llm
        self.mode: Mode = mode
        self.k = k
        self.aggregation: Aggregation = aggregation
        self.max_concurrency = max_concurrency or k
        p = bank.preset if bank is not None else None
        # The bank's extract section (without a bank, its defaults); contrast keeps its own max_items.
        # The selector and the self-contrast extractor take its timeouts too (issue 25, item 12).
        x = p.extract if p is not None else ExtractSettings()
        # What best-of-N chooses among and whether refinement stops at a success: the bank's scale
        # section (without a bank, its defaults), unless given here.
        scale = p.scale if p is not None else ScaleSettings()
        self.select_among: SelectAmong = select_among if select_among is not None else scale.select_among
        self.stop_on_success = stop_on_success if stop_on_success is not None else scale.stop_on_success
        if self.select_among not in ("all", "successes"):
            raise ValueError(f"unknown select_among {self.select_among!r}; expected 'all' or 'successes'")
        self.selector = BestOfN(for_call(llm, "selector", "extract", x))
        contrast_llm = for_call(llm, "self-contrast extractor", "extract", x)
        self.contrast = ContrastExtractor(contrast_llm, **x.model_dump(include=set(CONTRAST_SETTINGS)))
        self.refiner = make_extractor(llm, p, origin="refinement") if p is not None else None

    # ------------------------------------------------------------------ running

    def run(self, task_id: str, query: str, rollout: Rollout) -> ScalingResult:
        """Scale one task: retrieve, roll out, judge (:meth:`play`), then pick the answer while the
        self-contrast extraction runs (both need only the trajectories and verdicts), then learn."""
        started = time.perf_counter()
        result = self.play(task_id, query, rollout, select=False)
        with ThreadPoolExecutor(max_workers=2) as pool:
            selection = pool.submit(self._select, query, result)
            contrast = pool.submit(self._contrast, query, result) if self._contrasts(result) else None
            result.selection = selection.result()
            extraction = contrast.result() if contrast is not None else None
        self.learn(result, query, extraction=extraction)
        result.seconds = time.perf_counter() - started
        return result

    def _found(self, trajectories: Sequence[Trajectory]) -> Found:
        """The secret values any of the task's attempts holds (value -> kind): each is redacted in
        every attempt, wherever it occurs (one attempt's typed password is another's too)."""
        return {} if self.bank is None else collect_values(self.bank.learner.redactor, trajectories)

    def _redacted(self, trajectories: Sequence[Trajectory]) -> list[Trajectory]:
        """The trajectories as a model may see them: secrets redacted (the bank's redactor), and
        every copy of a value redacted in any of them. The result keeps them as played (the
        caller's answer); the bank redacts, and records, what it stores."""
        if self.bank is None:
            return list(trajectories)
        found = self._found(trajectories)
        return [self.bank.learner.redact(t, found) for t in trajectories]

    def _redacted_text(self, text: str, found: Found) -> str:
        """``text`` as a model or a reader may see it: secrets and the ``found`` values redacted."""
        if self.bank is None:
            return text
        redactor = self.bank.learner.redactor
        return redactor.redact_known(redactor.redact(text, None, found), found)

    def _select(self, query: str, result: ScalingResult) -> Selection:
        """The answer's pick. The selector sees the redacted attempts; its analysis, note and raw
        reply are redacted as well before they are returned (a selector may quote a secret)."""
        if self.mode != "parallel":
            why = "the pass judged a success" if result.stopped == "success" else "the last pass"
            return Selection(len(result.trajectories) - 1, "last", why, "", "", Usage())
        found = self._found(result.trajectories)
        redacted = self._redacted(result.trajectories)
        picked = self.selector.select(
            self._redacted_text(query, found), redacted, result.verdicts, among=self.select_among
        )
        r = functools.partial(self._redacted_text, found=found)
        return dataclasses.replace(
            picked, analysis=r(picked.analysis), note=r(picked.note), raw=r(picked.raw)
        )

    def _contrasts(self, result: ScalingResult) -> bool:
        """True when this task's learning is one self-contrast extraction over its rollouts."""
        return (
            self.bank is not None
            and self.mode == "parallel"
            and self.aggregation == "matts"
            and self.k > 1
            and not all(v is None or v.abstained for v in result.verdicts)
        )

    def _contrast(self, query: str, result: ScalingResult) -> ExtractionResult:
        redacted = self._redacted(result.trajectories)
        query = self._redacted_text(query, self._found(result.trajectories))
        return self.contrast.extract(query, redacted, result.verdicts)

    def play(self, task_id: str, query: str, rollout: Rollout, *, select: bool = True) -> ScalingResult:
        """Everything but learning: retrieve, roll out, judge every trajectory, pick the answer
        (unless ``select`` is False: then :meth:`run` picks it)."""
        started = time.perf_counter()
        memory: list[MemoryItem] = []
        if self.bank is not None and self.aggregation != "none":
            memory = self.bank.retrieve(query, task_id=task_id)
        block = self.bank.render(memory) if self.bank is not None and memory else ""
        stopped: StopReason = "k"
        if self.mode == "parallel":
            requests = [RolloutRequest(task_id, query, block, attempt=i) for i in range(self.k)]
            trajectories = run_parallel(rollout, requests, self.max_concurrency)
            verdicts, judge_usage = self._judge(trajectories)
        elif self._stops():
            trajectories, verdicts, judge_usage, stopped = self._until_success(task_id, query, block, rollout)
        else:
            trajectories = self._sequential(task_id, query, block, rollout)
            verdicts, judge_usage = self._judge(trajectories)
        pending = Selection(0, "fallback", "", "not selected yet", "", Usage())
        result = ScalingResult(
            task_id, self.mode, self.aggregation, trajectories, verdicts, pending, memory,
            judge_usage=judge_usage, stopped=stopped,
        )  # fmt: skip
        if select:
            result.selection = self._select(query, result)
        result.seconds = time.perf_counter() - started
        return result

    async def arun(self, task_id: str, query: str, rollout: Rollout) -> ScalingResult:
        """``run`` in a worker thread."""
        return await asyncio.to_thread(self.run, task_id, query, rollout)

    def _pass(self, task_id: str, query: str, block: str, rollout: Rollout, out: list[Trajectory]) -> None:
        """Play the next sequential pass (the first, or a re-check of the episode so far ``out``)."""
        j = len(out)
        if j == 0:
            out.append(rollout(RolloutRequest(task_id, query, block, attempt=0)))
            return
        name = "matts_sequential_first" if j == 1 else "matts_sequential_followup"
        instruction = get_prompt(name).render()
        request = RolloutRequest(task_id, query, block, attempt=j, instruction=instruction, previous=out[-1])
        out.append(rollout(request))

    def _sequential(self, task_id: str, query: str, block: str, rollout: Rollout) -> list[Trajectory]:
        out: list[Trajectory] = []
        for _ in range(self.k):
            self._pass(task_id, query, block, rollout, out)
        return out

    def _stops(self) -> bool:
        """True when sequential passes stop at a judged success (there is a judge to say so)."""
        return self.stop_on_success and self.bank is not None and self.aggregation != "none"

    def _until_success(
        self, task_id: str, query: str, block: str, rollout: Rollout
    ) -> tuple[list[Trajectory], list[Verdict | None], Usage, StopReason]:
        """Sequential passes, each judged as soon as it is played (by the same judge, its usage
        counted), until one is judged a success or k have run; the later passes never run."""
        assert self.bank is not None
        out: list[Trajectory] = []
        verdicts: list[Verdict | None] = []
        usage = Usage()
        while len(out) < self.k:
            self._pass(task_id, query, block, rollout, out)
            verdict, used = self.bank.learner.verdict(out[-1], found=self._found(out))
            verdicts.append(verdict)
            usage = usage + used
            if verdict.success and len(out) < self.k:
                return out, verdicts, usage, "success"
        return out, verdicts, usage, "k"

    def _judge(self, trajectories: Sequence[Trajectory]) -> tuple[list[Verdict | None], Usage]:
        if self.bank is None or self.aggregation == "none":
            return [None] * len(trajectories), Usage()
        verdicts: list[Verdict | None] = []
        usage = Usage()
        found = self._found(trajectories)
        for traj in trajectories:
            verdict, used = self.bank.learner.verdict(traj, found=found)
            verdicts.append(verdict)
            usage = usage + used
        return verdicts, usage

    # ------------------------------------------------------------------ learning

    def learn(
        self,
        result: ScalingResult,
        query: str,
        *,
        shown: Sequence[str] | None = None,
        extraction: ExtractionResult | None = None,
    ) -> None:
        """Learn from a played task as the aggregation says; fills ``result.learned``. ``shown``
        (item ids) defaults to the memory the play retrieved; ``extraction`` is a self-contrast
        extraction already made (by :meth:`run`)."""
        if self.bank is None or self.aggregation == "none":
            return
        shown = list(shown) if shown is not None else [it.id for it in result.memory]
        learner = self.bank.learner
        found = self._found(result.trajectories)  # what one attempt holds is taken out of all
        if self.aggregation == "vanilla" or self.k == 1:
            for traj, verdict in zip(result.trajectories, result.verdicts, strict=True):
                report = learner.learn(traj, verdict=verdict, shown=shown, found=found)
                result.learned.append(report)
                result.extraction_usage = result.extraction_usage + report.extraction_usage
            return
        answer, verdict = result.answer, result.verdicts[result.selection.index]
        assert verdict is not None
        if self.mode == "parallel":
            if not self._contrasts(result):  # every verdict abstained: nothing to contrast
                report = learner.learn(answer, verdict=verdict, shown=shown, found=found)
            else:
                extraction = extraction or self._contrast(query, result)
                others = [t for i, t in enumerate(result.trajectories) if i != result.selection.index]
                report = learner.remember(
                    answer, verdict, extraction, shown=shown, rollouts=others, found=found
                )
        else:
            report = self._refined(answer, verdict, result.trajectories, shown, found)
        result.learned.append(report)
        result.extraction_usage = result.extraction_usage + report.extraction_usage

    def _refined(
        self,
        final: Trajectory,
        verdict: Verdict,
        passes: Sequence[Trajectory],
        shown: list[str],
        found: Found,
    ) -> LearnReport:
        """Sequential MaTTS: extract from the whole episode with each pass's re-check steps marked
        (the secret values ``found`` in any pass redacted)."""
        assert self.bank is not None and self.refiner is not None
        if verdict.abstained:
            return self.bank.learner.learn(final, verdict=verdict, shown=shown, found=found)
        marked = mark_refinements(self.bank.learner.redact(final, found), [len(p.steps) for p in passes])
        extraction = self.refiner.extract(marked, verdict)
        return self.bank.learner.remember(final, verdict, extraction, shown=shown, found=found)


def mark_refinements(final: Trajectory, lengths: Sequence[int]) -> Trajectory:
    """``final`` with the thoughts of every re-check pass's steps prefixed ``[re-check j]``:
    pass j's steps are those after the first ``lengths[j - 1]``."""
    steps: list[Step] = []
    for n, step in enumerate(final.steps):
        j = next((j for j in range(1, len(lengths)) if lengths[j - 1] <= n < lengths[j]), None)
        marked = step if j is None else step.model_copy(update={"thought": f"[re-check {j}] {step.thought}"})
        steps.append(marked)
    return final.model_copy(update={"steps": steps})
