"""The facade: retrieve memory for a task, learn from a finished trajectory.

``learn`` (:mod:`.learning`) runs judge -> gate -> extract -> screen ->
consolidate and stores one :class:`~reasoningbank.models.Experience`
atomically. If a model call fails, :class:`LearnError` is raised and nothing is
stored.
"""

from __future__ import annotations

import asyncio
import os
from collections import Counter
from collections.abc import Mapping, Sequence
from pathlib import Path
from types import TracebackType
from typing import Any, TextIO

from .assemble import make_extractor, make_judge, make_llm
from .config import BankConfig, Preset, RetrieveSettings, get_preset
from .consolidate import Consolidator
from .embed import Embedder, make_embedder
from .extract import Extractor
from .judge import Judge, Outcome
from .learning.learner import Learner, LearnError, NoLLMError
from .learning.redaction import ImportResult, import_redacted, redact_texts
from .lessons import Lesson
from .llm import LLM
from .models import (
    EmbeddingRef,
    Experience,
    LearnReport,
    MemoryItem,
    RetrievedExperience,
    Trajectory,
    Verdict,
)
from .records.record import ItemRecord, RetirePolicy
from .records.tracker import ItemTracker
from .retrieve import RecordedSettings, Retrieval, Retriever, items_of, render
from .stores.base import Store
from .text.literals import mask_literals


class ReasoningBank:
    """Memory for an agent: ``retrieve`` before a task, ``learn`` after it.

    The bank is assembled from ready parts: a store, an embedder, a judge and an
    extractor (both optional: without them the bank retrieves but cannot learn
    unless a verdict is passed in), a consolidator, and the preset it learns with.
    :meth:`from_preset` builds the judge and the extractor from one LLM and a preset.

    Every stored experience records the preset's name and the retrieve section
    its query was embedded for; retrieval and rendering use the record of the
    scope's oldest experience (the preset the bank learned with), else, in a new
    scope or one whose oldest experience predates the record, this bank's preset.
    ``retrieve_overrides`` (retrieve keys: ``min_score``, ``k``...) apply on top
    of either.
    """

    def __init__(
        self,
        store: Store,
        embedder: Embedder,
        *,
        judge: Judge | None = None,
        extractor: Extractor | None = None,
        consolidator: Consolidator | None = None,
        preset: str | Preset = "paper",
        scope: str = "default",
        retrieve_overrides: Mapping[str, Any] | None = None,
    ) -> None:
        if not scope.strip():
            raise ValueError("scope must not be empty")
        self.store = store
        self.embedder = embedder
        self.scope = scope
        self.preset = get_preset(preset)
        self.judge = judge
        self.extractor = extractor
        self._recorded = RecordedSettings(store, scope, self.preset, retrieve_overrides or {})
        c, r, t = self.preset.consolidate, self._recorded.current, self.preset.track
        self.consolidator = consolidator or Consolidator(
            c.mode, embedder=embedder, similarity=c.merge_similarity
        )
        self.retriever = self._retriever(r)
        policy = RetirePolicy(t.retire_min_shown, margin=t.retire_margin) if t.retire else None
        self.tracker = ItemTracker(
            store, scope, policy=policy, kind_similarity=t.kind_similarity, model=embedder.name
        )
        self.learner = Learner(
            store=store,
            scope=scope,
            embedder_name=embedder.name,
            embed_query=self._embed_query,
            judge=judge,
            extractor=extractor,
            consolidator=self.consolidator,
            tracker=self.tracker,
            preset=self.preset,
            learned_with=self._recorded.learned_with,
        )

    # ------------------------------------------------------------------ construction

    @classmethod
    def from_preset(
        cls,
        store: Store,
        embedder: Embedder,
        llm: LLM | None,
        preset: str | Preset = "paper",
        *,
        scope: str = "default",
        judge_llm: LLM | None = None,
        extractor_llm: LLM | None = None,
        retrieve_overrides: Mapping[str, Any] | None = None,
    ) -> ReasoningBank:
        """A bank whose judge and extractor are the preset's, on ``llm`` (or on
        ``judge_llm`` / ``extractor_llm`` where given). With no LLM at all the bank
        can retrieve but not learn."""
        p = get_preset(preset)
        j_llm, x_llm = judge_llm or llm, extractor_llm or llm
        return cls(
            store,
            embedder,
            judge=make_judge(j_llm, p) if j_llm is not None else None,
            extractor=make_extractor(x_llm, p) if x_llm is not None else None,
            preset=p,
            scope=scope,
            retrieve_overrides=retrieve_overrides,
        )

    @classmethod
    def from_config(cls, config: BankConfig | str | os.PathLike[str]) -> ReasoningBank:
        """Build a bank from a :class:`BankConfig` or a TOML/JSON config file path."""
        cfg = config if isinstance(config, BankConfig) else BankConfig.from_file(config)
        from .stores import open_store

        return cls.from_preset(
            open_store(cfg.store),
            make_embedder(cfg.embedder, api_base=cfg.api_base),
            None,
            cfg.resolved_preset(),
            scope=cfg.scope,
            judge_llm=make_llm(cfg.effective_judge_model, cfg.api_base),
            extractor_llm=make_llm(cfg.effective_extractor_model, cfg.api_base),
            retrieve_overrides=cfg.retrieve_overrides(),
        )

    # ------------------------------------------------------------------ retrieval settings

    @property
    def retrieve_settings(self) -> RetrieveSettings:
        """The retrieve section retrieval and rendering use: the scope's record (the preset the
        bank learned with), else this bank's preset's; ``retrieve_overrides`` on top."""
        if self._recorded.refresh():
            self.retriever = self._retriever(self._recorded.current)
        return self._recorded.current

    def _retriever(self, r: RetrieveSettings) -> Retriever:
        return Retriever(
            self.store,
            self.embedder,
            self.scope,
            k=r.k,
            query_instruction=r.query_instruction,
            mask_literals=r.mask_literals,
            min_score=r.min_score,
        )

    # ------------------------------------------------------------------ retrieval

    def retrieval(
        self,
        query: str,
        k: int | None = None,
        *,
        task_id: str | None = None,
        include_same_task: bool = False,
        min_score: float | None = None,
    ) -> Retrieval:
        """The top-k experiences passing the similarity floor (``min_score``, else the
        settings'), and, when none does, the nearest below it (``empty_note()`` says so)."""
        exclude = None if include_same_task else task_id
        _ = self.retrieve_settings  # the scope's record, once it has one
        return self.retriever.search(query, k, exclude_task_id=exclude, min_score=min_score)

    def retrieve_experiences(
        self,
        query: str,
        k: int | None = None,
        *,
        task_id: str | None = None,
        include_same_task: bool = False,
        min_score: float | None = None,
    ) -> list[RetrievedExperience]:
        """Top-k past experiences for ``query`` (leave-one-out on ``task_id``)."""
        return self.retrieval(
            query, k, task_id=task_id, include_same_task=include_same_task, min_score=min_score
        ).hits

    def retrieve(
        self,
        query: str,
        k: int | None = None,
        *,
        task_id: str | None = None,
        include_same_task: bool = False,
        min_score: float | None = None,
    ) -> list[MemoryItem]:
        """All current items of the top-k experiences, best experience first.

        With ``task_id`` set, an experience recorded for the same task id is never
        returned unless ``include_same_task`` is True, and the items are remembered as
        shown to that task: when it is learned, they are credited with its outcome.
        """
        items = items_of(
            self.retrieve_experiences(
                query, k, task_id=task_id, include_same_task=include_same_task, min_score=min_score
            )
        )
        if task_id is not None:
            self.tracker.note_shown(task_id, items)
        return items

    def render(self, items: list[MemoryItem], *, header: bool = True) -> str:
        """The system-prompt block for ``items`` (empty string for no items)."""
        return render(items, template=self.retrieve_settings.template, header=header)

    def memory_prompt(
        self,
        query: str,
        k: int | None = None,
        *,
        task_id: str | None = None,
        include_same_task: bool = False,
    ) -> str:
        """``render(retrieve(query, ...))``."""
        return self.render(self.retrieve(query, k, task_id=task_id, include_same_task=include_same_task))

    # ------------------------------------------------------------------ learning

    def learn(
        self,
        trajectory: Trajectory,
        *,
        verdict: Verdict | None = None,
        outcome: Outcome | None = None,
        shown: Sequence[str] | None = None,
        experience_id: str | None = None,
    ) -> LearnReport:
        """Judge, extract, screen, consolidate and store one experience.

        The verdict comes from ``outcome`` (a result the caller knows: tests passed,
        a form was accepted; recorded with source ``outcome``), else from ``verdict``,
        else from the judge. A verdict less sure than the preset's
        ``judge.min_confidence`` is recorded as ``abstained``: the experience is
        stored, with the reason, and yields no items.

        The items shown to the task (``shown``: item ids; by default the ones
        :meth:`retrieve` returned for this task id in this process) are credited
        with the verdict, and so are, as "not shown", the items of its kind; an
        item whose record turns net harmful is retired (the preset's ``track.retire``).

        ``experience_id`` stores the experience under a caller's id (the service derives one
        from the job, so a job run twice is stored once); by default a fresh id is drawn.
        """
        return self.learner.learn(
            trajectory, verdict=verdict, outcome=outcome, shown=shown, experience_id=experience_id
        )

    # ------------------------------------------------------------------ item records

    def item_record(self, item_id: str) -> tuple[MemoryItem, ItemRecord]:
        """The current version of an item (any version's id, or a unique prefix) and its record."""
        item = self.tracker.book.find(item_id)
        return item, self.tracker.book.record(item)

    def retire_item(self, item_id: str, reason: str) -> MemoryItem:
        """Retire an item by hand: a new version, with ``reason``; it is no longer retrieved."""
        return self.tracker.book.set_status(item_id, "retired", reason or "retired by hand")

    def restore_item(self, item_id: str, reason: str = "restored by hand") -> MemoryItem:
        """Undo a retirement: a new, active version of the item, with ``reason``."""
        return self.tracker.book.set_status(item_id, "active", reason)

    def add_item(
        self,
        title: str,
        content: str,
        description: str = "",
        task_id: str | None = None,
        query: str | None = None,
    ) -> MemoryItem:
        """Store a hand-written item as its own experience (origin ``manual``): :meth:`add_lessons`
        with one :class:`~reasoningbank.lessons.Lesson`.

        The experience's query (what retrieval matches against) is ``query`` or,
        if omitted, the title. Secrets in the texts are redacted like ``learn``'s.
        """
        lesson = Lesson(title=title, content=content, description=description, query=query, task_id=task_id)
        return self.add_lessons([lesson])[0]

    def add_lessons(self, lessons: Sequence[Lesson]) -> list[MemoryItem]:
        """Store hand-written lessons (:func:`~reasoningbank.lessons.read_lessons` reads a file of
        them), each as its own experience holding one item of origin ``manual``, all in one atomic
        write: if anything fails, nothing is stored. Returns the stored items, in order.

        Each experience's query is its lesson's ``query`` or, if none, the title; its task id
        the lesson's ``task_id`` or ``manual-<item id>``. Secrets in a lesson's texts are redacted
        like ``learn``'s (the experience counts them); the queries are embedded in one call.
        """
        built = [self._manual_item(lesson) for lesson in lessons]
        vectors = self._embed_queries([query for _, query, _ in built])
        learned_with = self._recorded.learned_with()
        experiences = []
        for (item, query, counts), lesson, vector in zip(built, lessons, vectors, strict=True):
            exp = Experience(
                scope=self.scope,
                task_id=lesson.task_id or f"manual-{item.id}",
                query=query,
                query_embedding=vector,
                redactions=dict(sorted(counts.items())),
                learned_with=learned_with,
            )
            exp.items = [item.model_copy(update={"experience_id": exp.id})]
            experiences.append(exp)
        self.store.add_many(experiences)
        return [exp.items[0] for exp in experiences]

    def _manual_item(self, lesson: Lesson) -> tuple[MemoryItem, str, Counter[str]]:
        """A lesson's item (origin ``manual``) and query, redacted, with the secrets counted by kind."""
        counts: Counter[str] = Counter()
        texts = [lesson.title, lesson.content, lesson.description, lesson.query or ""]
        title, content, description, query = redact_texts(self.learner.redactor, texts, counts)
        item = MemoryItem(title=title, content=content, description=description, origin="manual")
        return item, query or item.title, counts

    def import_jsonl(self, source: str | Path | TextIO) -> ImportResult:
        """Add the experiences of a JSON Lines export to this bank's scope, all or none, with their
        secrets redacted like ``learn``'s first (the result counts them)."""
        return import_redacted(self.store, source, self.learner.redactor, scope=self.scope)

    def _embed_query(self, text: str) -> EmbeddingRef:
        return self._embed_queries([text])[0]

    def _embed_queries(self, texts: Sequence[str]) -> list[EmbeddingRef]:
        """The stored vectors of experience queries (literals masked if the settings say so), in
        one embedder call."""
        if not texts:
            return []
        if self.retrieve_settings.mask_literals:
            texts = [mask_literals(t) for t in texts]
        vecs = self.embedder.embed_documents(list(texts))
        name = self.embedder.name
        return [EmbeddingRef(model=name, dim=int(v.shape[0]), vector=[float(x) for x in v]) for v in vecs]

    # ------------------------------------------------------------------ async: the sync path in a thread

    async def alearn(
        self, trajectory: Trajectory, *, verdict: Verdict | None = None, outcome: Outcome | None = None
    ) -> LearnReport:
        """``learn`` in a worker thread (``asyncio.to_thread``): the event loop stays free while
        the models are called, and concurrent calls overlap."""
        return await asyncio.to_thread(self.learn, trajectory, verdict=verdict, outcome=outcome)

    async def aretrieve(
        self,
        query: str,
        k: int | None = None,
        *,
        task_id: str | None = None,
        include_same_task: bool = False,
    ) -> list[MemoryItem]:
        """``retrieve`` in a worker thread."""
        return await asyncio.to_thread(
            self.retrieve, query, k, task_id=task_id, include_same_task=include_same_task
        )

    # ------------------------------------------------------------------ lifecycle

    def close(self) -> None:
        self.store.close()

    def __enter__(self) -> ReasoningBank:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()


__all__ = ["LearnError", "NoLLMError", "ReasoningBank"]
