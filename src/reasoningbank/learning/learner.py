"""Learning from one finished task: verdict, gate, extraction, screening, consolidation, storage, records.

:class:`Learner` is the part of :class:`~reasoningbank.bank.ReasoningBank` that
``learn`` runs. :meth:`Learner.learn` gets a verdict (a caller's outcome, a
given verdict or the judge's), gates it, extracts items unless it abstained or
the bank already holds them, and hands them to :meth:`Learner.remember`, which
screens and consolidates them, stores one experience atomically and credits
the items shown to the task, holding the store's write lock for the scope from
the duplicate check to the last write. MaTTS calls :meth:`Learner.remember`
directly with items it extracted from several rollouts at once.
"""

from __future__ import annotations

import dataclasses
import time
from collections import Counter
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field

import numpy as np
import numpy.typing as npt

from ..config import Preset
from ..consolidate import Consolidation, Consolidator
from ..extract import ExtractionResult, Extractor
from ..extract.screen import Screened, screen_items
from ..judge import Judge, Outcome, gate_verdict, outcome_verdict
from ..models import (
    EmbeddingRef,
    Experience,
    LearnedWith,
    LearnReport,
    Retired,
    Skipped,
    Trajectory,
    Usage,
    Verdict,
    new_id,
)
from ..records.tracker import ItemTracker
from ..retrieve import header_version
from ..stores.base import Store
from ..text.redact import Found, Redactor
from .redaction import (
    collect_values,
    redact_items,
    redact_trajectory,
    redact_verdict,
    redaction_note,
    redactor_for,
)


class LearnError(RuntimeError):
    """``learn`` could not complete (a model call failed); nothing was stored."""


class NoLLMError(RuntimeError):
    """``learn`` needs an LLM for judging or extraction and none was configured."""


@dataclass
class Learner:
    store: Store
    scope: str
    embedder_name: str
    embed_query: Callable[[str], EmbeddingRef]
    judge: Judge | None
    extractor: Extractor | None
    consolidator: Consolidator
    tracker: ItemTracker
    preset: Preset
    # What each stored experience records of the preset (None: nothing, as before the record).
    learned_with: Callable[[], LearnedWith] | None = None
    redactor: Redactor = field(init=False)

    def __post_init__(self) -> None:
        self.redactor = redactor_for(self.preset)

    def redact(self, trajectory: Trajectory, found: Found | None = None) -> Trajectory:
        """``trajectory`` with its secrets redacted: what a model may be shown of it. ``found``
        holds values redacted elsewhere (value -> kind), taken out here too; it gets this one's."""
        return redact_trajectory(self.redactor, trajectory, Counter(), found)

    def verdict(
        self,
        trajectory: Trajectory,
        verdict: Verdict | None = None,
        outcome: Outcome | None = None,
        found: Found | None = None,
    ) -> tuple[Verdict, Usage]:
        """The gated verdict to learn from (an outcome, a given verdict or the judge's) and the
        judge's usage. The judge sees the trajectory with its secrets (and ``found``) redacted."""
        return self._verdict(self.redact(trajectory, found), verdict, outcome)

    def _verdict(
        self, trajectory: Trajectory, verdict: Verdict | None, outcome: Outcome | None
    ) -> tuple[Verdict, Usage]:
        if verdict is not None and outcome is not None:
            raise ValueError("pass either verdict= or outcome=, not both")
        judged = verdict is None and outcome is None
        if self.extractor is None or (judged and self.judge is None):
            missing = "extractor" if self.extractor is None else "judge"
            raise NoLLMError(
                f"learn needs a {missing}: build the bank with ReasoningBank.from_preset(store, embedder, "
                f"llm, preset), pass {missing}= to ReasoningBank, or set model / REASONINGBANK_MODEL "
                "in the config"
            )
        usage = Usage()
        if outcome is not None:
            verdict = outcome_verdict(outcome)
        elif verdict is None:
            assert self.judge is not None
            try:
                verdict, usage = self.judge.judge(trajectory)
            except Exception as exc:  # re-raised with context; nothing stored
                raise LearnError(f"learn({trajectory.task_id!r}): the judge call failed: {exc}") from exc
        return gate_verdict(verdict, self.preset.judge.min_confidence), usage

    def learn(
        self,
        trajectory: Trajectory,
        *,
        verdict: Verdict | None = None,
        outcome: Outcome | None = None,
        shown: Sequence[str] | None = None,
        experience_id: str | None = None,
        found: Found | None = None,
    ) -> LearnReport:
        """Judge (unless ``verdict`` or ``outcome`` is given), extract, and :meth:`remember`.
        ``found`` holds secret values redacted elsewhere (another attempt of the task), taken out
        of this trajectory too."""
        started = time.perf_counter()
        judged = verdict is None and outcome is None
        # Secrets go before anything else sees the trajectory: the judge, the embedder, the extractor.
        redactions: Counter[str] = Counter()
        found = dict(found or {})  # the values redacted, taken out of the verdict and the items too
        trajectory = redact_trajectory(self.redactor, trajectory, redactions, found)
        verdict, judge_usage = self._verdict(trajectory, verdict, outcome)
        ref = self.embed_query(trajectory.query)
        vector = np.asarray(ref.vector, dtype=np.float32)
        extraction = self._extract(trajectory, verdict, vector)
        versions = {"judge": self.judge.prompt_version} if judged and self.judge is not None else {}
        return self.remember(
            trajectory,
            verdict,
            extraction,
            shown=shown,
            judge_usage=judge_usage,
            prompt_versions=versions,
            query_embedding=ref,
            started=started,
            redactions=redactions,
            experience_id=experience_id,
            found=found,
        )

    def _extract(
        self, trajectory: Trajectory, verdict: Verdict, vector: npt.NDArray[np.float32]
    ) -> ExtractionResult:
        """Extract items unless the verdict abstained or (``extract.when = "when_new"``) the bank
        already holds what the extraction would repeat."""
        if verdict.abstained:
            return _nothing(Skipped(reason="abstained", detail=verdict.reason))
        if self.preset.extract.when == "when_new":
            covered = self.tracker.covering(vector, verdict)
            if covered is not None:
                held = f"the bank holds active {verdict.label} items of this kind from task "
                held += repr(covered.task_id)
                rule = f" (same rule: {verdict.rule})" if verdict.rule else ""
                return _nothing(Skipped(reason="held_already", detail=held + rule))
        assert self.extractor is not None
        try:
            return self.extractor.extract(trajectory, verdict)
        except Exception as exc:  # re-raised with context; nothing stored
            raise LearnError(f"learn({trajectory.task_id!r}): the extractor call failed: {exc}") from exc

    def remember(
        self,
        trajectory: Trajectory,
        verdict: Verdict,
        extraction: ExtractionResult,
        *,
        shown: Sequence[str] | None = None,
        judge_usage: Usage | None = None,
        prompt_versions: dict[str, str] | None = None,
        rollouts: Sequence[Trajectory] = (),
        query_embedding: EmbeddingRef | None = None,
        started: float | None = None,
        redactions: Mapping[str, int] | None = None,
        experience_id: str | None = None,
        found: Found | None = None,
    ) -> LearnReport:
        """Screen and consolidate ``extraction``'s items, store one experience atomically, and
        credit the items shown to the task (``shown``, or what retrieval returned for it).

        Everything stored is redacted first (again, for what ``learn`` redacted already: that
        finds nothing new); ``redactions`` are the secrets the caller removed before and ``found``
        their values (value -> kind), taken out wherever they occur; the experience gets
        ``experience_id`` when given (a job's own), else a fresh id."""
        started = time.perf_counter() if started is None else started
        counts = Counter(redactions or {})
        trajectory, rollouts, verdict, extraction = self._redacted(
            trajectory, rollouts, verdict, extraction, counts, dict(found or {})
        )
        ref = query_embedding or self.embed_query(trajectory.query)
        vector = np.asarray(ref.vector, dtype=np.float32)
        exp = Experience(
            scope=self.scope,
            task_id=trajectory.task_id,
            query=trajectory.query,
            query_embedding=ref,
            trajectory=trajectory,
            rollouts=list(rollouts),
            verdict=verdict,
            raw_extraction=extraction.raw,
            redactions=dict(sorted(counts.items())),
            id=experience_id or new_id(),
            learned_with=self.learned_with() if self.learned_with is not None else None,
        )
        self._provenance(exp, prompt_versions or {}, verdict, extraction)
        shown_ids = list(shown) if shown is not None else self.tracker.take_shown(trajectory.task_id)
        # One step for every writer of the scope, in any process: deciding which items are new
        # (consolidation) and which are harmful (retiring) reads the bank; without the lock, two
        # learners deciding at once would both store the same lesson, or both retire one item.
        with self.store.write_lock(self.scope):
            screened, consolidation = self._keep(exp, extraction, vector)
            self.store.add(exp)
            retired = self.tracker.after_learn(exp, shown_ids, vector)
        report = _report(exp, extraction, screened, consolidation, retired)
        return report.model_copy(
            update={"judge_usage": judge_usage or Usage(), "seconds": time.perf_counter() - started}
        )

    def _provenance(
        self, exp: Experience, prompt_versions: dict[str, str], verdict: Verdict, extraction: ExtractionResult
    ) -> None:
        """Record on ``exp`` the prompt versions and the models that made it."""
        exp.prompt_versions = {"memory_header": header_version(), **prompt_versions}
        exp.models = {"embedder": self.embedder_name}
        if "judge" in exp.prompt_versions:
            exp.models["judge"] = verdict.judge_model
        if extraction.prompt_version != "none":
            exp.prompt_versions["extract"] = extraction.prompt_version
            exp.models["extractor"] = extraction.model

    def _redacted(
        self,
        trajectory: Trajectory,
        rollouts: Sequence[Trajectory],
        verdict: Verdict,
        extraction: ExtractionResult,
        counts: Counter[str],
        found: Found,
    ) -> tuple[Trajectory, list[Trajectory], Verdict, ExtractionResult]:
        """Everything :meth:`remember` stores, with its secrets redacted and counted in ``counts``:
        the shapes, then every copy of a value they find in any of the task's trajectories, or
        that the caller redacted before (``found``)."""
        seen = {**collect_values(self.redactor, [trajectory, *rollouts]), **found}
        trajectory = redact_trajectory(self.redactor, trajectory, counts, seen)
        rollouts = [redact_trajectory(self.redactor, r, counts, seen) for r in rollouts]
        verdict = redact_verdict(self.redactor, verdict, counts, seen)

        def text(value: str, tally: Counter[str]) -> str:
            return self.redactor.redact_known(self.redactor.redact(value, tally, seen), seen, tally)

        quiet = Counter[str]()  # already counted in the note: no secret counts twice
        extraction = dataclasses.replace(
            extraction,
            items=redact_items(self.redactor, extraction.items, counts, seen),
            raw=text(extraction.raw, counts),
            note=text(extraction.note, counts),
            dropped=[
                d.model_copy(update={"title": text(d.title, quiet), "detail": text(d.detail, quiet)})
                for d in extraction.dropped
            ],
            skipped=extraction.skipped
            and extraction.skipped.model_copy(update={"detail": text(extraction.skipped.detail, quiet)}),
        )
        return trajectory, rollouts, verdict, extraction

    def _keep(
        self, exp: Experience, extraction: ExtractionResult, vector: npt.NDArray[np.float32]
    ) -> tuple[Screened, Consolidation]:
        """Screen and consolidate the items into ``exp``; what screening and consolidation did."""
        screened = screen_items(
            extraction.items,
            drop_page_specific=self.preset.screen.enabled,
            actions=self.preset.screen.agent_actions if self.preset.screen.enabled else (),
        )
        neighbours = [it for e in self.tracker.kind(vector) for it in e.items] if screened.kept else []
        consolidation = self.consolidator.consolidate(
            screened.kept, self.store, self.scope, neighbours=neighbours
        )
        exp.extraction_note = "; ".join(n for n in (extraction.note, *screened.notes) if n)
        exp.items = [item.model_copy(update={"experience_id": exp.id}) for item in consolidation.kept]
        return screened, consolidation


def _report(
    exp: Experience,
    extraction: ExtractionResult,
    screened: Screened,
    consolidation: Consolidation,
    retired: list[Retired],
) -> LearnReport:
    """The facts of one learn (usage of the judge and time apart), and the note rendering them."""
    assert exp.verdict is not None
    notes = (
        redaction_note(exp.redactions),
        extraction.note,
        *screened.notes,
        consolidation.note,
        *(r.note() for r in retired),
    )
    return LearnReport(
        experience_id=exp.id,
        verdict=exp.verdict,
        items=exp.items,
        stored=True,
        note="; ".join(n for n in notes if n),
        extraction_usage=extraction.usage,
        redactions=exp.redactions,
        dropped=[*extraction.dropped, *screened.dropped, *consolidation.dropped],
        merged=len(consolidation.near_duplicates),
        retired=retired,
        skipped=extraction.skipped,
        literals_replaced=extraction.literals_replaced,
    )


def _nothing(skipped: Skipped) -> ExtractionResult:
    """No extraction was made (the verdict abstained, or the bank holds the lesson already)."""
    return ExtractionResult(
        items=[], raw="", note=skipped.note(), usage=Usage(), prompt_version="none", skipped=skipped
    )
