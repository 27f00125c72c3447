"""The service core: a tenant's operations on its banks, shared by the REST app and the MCP server.

:class:`MemoryService` holds one store (every bank is a scope of it), the
bank factory (embedder, LLMs, preset), the API keys and the learning jobs with
their worker. Every operation takes the caller's :class:`Principal` and the
bank first and checks the key may use that bank before anything else, so no
front end can forget to: a bank the key may not use is "not found", like one
that does not exist. Operations return the models of :mod:`.schemas` and raise
the errors of :mod:`.errors`; store errors pass through for the front end to
map (not found, conflict).

A learn request is redacted with the target bank's redactor before its job is
written, so the job store never holds a secret the bank would not keep; the
number of secrets taken out travels with the job and is reported in its note.
The state dir's modes are checked when the service is built: each one group
or others may use is a line of :attr:`MemoryService.state_warnings`, logged
as a warning (the CLI also prints them).
"""

from __future__ import annotations

import io
import logging
import threading
from collections import Counter, OrderedDict
from collections.abc import Iterator
from importlib import metadata
from pathlib import Path

from ..bank import ReasoningBank
from ..learning.redaction import import_redacted, redact_texts, redact_trajectory, redactor_for
from ..models import item_hash
from ..records import ItemBook
from ..retrieve import items_of
from ..stores.base import EmbeddingMismatchError, Store, StoreError
from . import views
from .errors import BadRequest, Conflict, NotFound, TooManyJobs, Unavailable, no_bank
from .jobs import Job, JobStore, JobWorker
from .keys import KeyStore, Principal, valid_name
from .learn_job import REDACTED_KEY, BankFactory, run_learn_job
from .private import loose_modes
from .schemas import (
    AddItemRequest,
    Deleted,
    ExperienceDetail,
    ExperienceList,
    ExperienceSummary,
    Health,
    Imported,
    ItemList,
    ItemView,
    JobView,
    LearnRequest,
    RecordView,
    RetrieveRequest,
    RetrieveResponse,
    Stats,
)

log = logging.getLogger(__name__)

MAX_PENDING_JOBS = 1000
"""Accepted or running jobs one tenant may have at once: a flood of learn requests gets 429."""
SHOWN_TASKS = 10_000
"""How many tasks' retrieved items the service remembers until they are learned (oldest dropped)."""


def _version() -> str:
    try:
        return metadata.version("reasoningbank")
    except metadata.PackageNotFoundError:
        return "unknown"


class _ShownItems:
    """Items retrieval returned for a (bank, task id), until that task is learned; bounded."""

    def __init__(self, limit: int = SHOWN_TASKS) -> None:
        self._items: OrderedDict[tuple[str, str], list[str]] = OrderedDict()
        self._lock = threading.Lock()
        self._limit = limit

    def note(self, bank: str, task_id: str, item_ids: list[str]) -> None:
        with self._lock:
            self._items[(bank, task_id)] = item_ids
            self._items.move_to_end((bank, task_id))
            while len(self._items) > self._limit:
                self._items.popitem(last=False)

    def take(self, bank: str, task_id: str) -> list[str]:
        with self._lock:
            return self._items.pop((bank, task_id), [])


class MemoryService:
    """Banks for many tenants on one store, with keys and durable learning jobs in ``state_dir``."""

    def __init__(
        self,
        store: Store,
        make_bank: BankFactory,
        state_dir: str | Path,
        *,
        max_pending_jobs: int = MAX_PENDING_JOBS,
        poll_seconds: float = 1.0,
    ) -> None:
        self.store = store
        self.make_bank = make_bank
        self.state_dir = Path(state_dir)
        self.state_warnings = loose_modes(self.state_dir)  # before SQLite adds sidecars of its own
        for line in self.state_warnings:
            log.warning("%s", line)
        self.keys = KeyStore(self.state_dir)
        self.jobs = JobStore(self.state_dir)
        self.worker = JobWorker(self.jobs, self._run_job, poll_seconds=poll_seconds)
        self.max_pending_jobs = max_pending_jobs
        self._banks: dict[str, ReasoningBank] = {}
        self._banks_lock = threading.Lock()
        self._shown = _ShownItems()
        self.version = _version()

    # ------------------------------------------------------------------ lifecycle

    def start(self) -> int:
        """Start the learning worker; returns how many interrupted jobs it re-queued (0 when it
        already runs)."""
        if self.worker.alive:
            return 0
        requeued = self.worker.start()
        if requeued:
            log.info("re-queued %d learning job(s) interrupted by the last stop", requeued)
        return requeued

    def close(self) -> None:
        """Stop the worker (after its current job), then close the state files and the store."""
        self.worker.stop()
        self.jobs.close()
        self.keys.close()
        self.store.close()

    # ------------------------------------------------------------------ access

    def authenticate(self, token: str | None) -> Principal | None:
        return self.keys.authenticate(token)

    def bank(self, principal: Principal, bank: str) -> ReasoningBank:
        """The bank ``bank`` if the key may use it; :class:`NotFound` otherwise."""
        if not valid_name(bank) or not principal.may_use(bank):
            raise no_bank(bank)
        with self._banks_lock:
            found = self._banks.get(bank)
            if found is None:
                found = self._banks[bank] = self.make_bank(self.store, bank)
            return found

    # ------------------------------------------------------------------ memory

    def retrieve(self, principal: Principal, bank: str, req: RetrieveRequest) -> RetrieveResponse:
        """The memory for a task, and for every item why: the similarity of the task it was learned
        from, that task and its verdict, and the item's usage record."""
        rb = self.bank(principal, bank)
        k = req.k or rb.retrieve_settings.k
        found = rb.retrieval(
            req.query,
            k,
            task_id=req.task_id,
            include_same_task=req.include_same_task,
            min_score=req.min_score,
        )
        hits = found.hits
        items = items_of(hits)
        if req.task_id is not None:
            self._shown.note(bank, req.task_id, [it.id for it in items])
        return RetrieveResponse(
            bank=bank,
            k=k,
            min_score=found.min_score,
            nearest=views.nearest_view(found),
            note=found.empty_note("min_score in the request") or None,
            hits=[views.hit_view(self.store, bank, h, why=req.why) for h in hits],
            items=items,
            rendered=rb.render(items) if req.render else None,
        )

    def submit_learn(self, principal: Principal, bank: str, req: LearnRequest) -> JobView:
        """Accept a trajectory for learning: the job is on disk when this returns."""
        rb = self.bank(principal, bank)
        if rb.extractor is None or (req.outcome is None and rb.judge is None):
            raise Unavailable(
                "this service has no model to learn with"
                + (" (pass an outcome to skip the judge)" if rb.extractor is not None else "")
                + ": start it with --model (and --api-base) or --local-model"
            )
        pending = self.jobs.pending(tenant=principal.tenant)
        if pending >= self.max_pending_jobs:
            raise TooManyJobs(
                f"{pending} learning jobs of this tenant are waiting; submit again when some are done"
            )
        shown = req.shown if req.shown is not None else self._shown.take(bank, req.trajectory.task_id)
        redacted: Counter[str] = Counter()  # before the job's row is written: it is kept until it ends
        trajectory = redact_trajectory(redactor_for(rb.preset), req.trajectory, redacted)
        request = LearnRequest(trajectory=trajectory, outcome=req.outcome, shown=shown)
        row = {**request.model_dump(mode="json"), REDACTED_KEY: dict(redacted)}
        job = self.jobs.submit(principal.tenant, bank, row)
        self.worker.notify()
        return _job_view(job)

    def job(self, principal: Principal, job_id: str) -> JobView:
        job = self.jobs.get(job_id)
        if job is None or job.tenant != principal.tenant or not principal.may_use(job.bank):
            raise NotFound(f"no job {job_id!r} for this API key")
        return _job_view(job)

    def _run_job(self, job: Job) -> dict[str, object]:
        return run_learn_job(self.store, self.make_bank, job)

    # ------------------------------------------------------------------ stored data

    def list_experiences(self, principal: Principal, bank: str, *, limit: int, offset: int) -> ExperienceList:
        self.bank(principal, bank)
        exps = self.store.list(bank, limit=limit, offset=offset)
        return ExperienceList(
            bank=bank,
            total=self.store.count(bank),
            limit=limit,
            offset=offset,
            experiences=[ExperienceSummary.of(e) for e in exps],
        )

    def show_experience(
        self, principal: Principal, bank: str, experience_id: str, *, with_vector: bool = False
    ) -> ExperienceDetail:
        self.bank(principal, bank)
        exp = self.store.get(bank, experience_id, include_superseded=True)
        return views.experience_detail(self.store, bank, exp, with_vector=with_vector)

    def delete_experience(self, principal: Principal, bank: str, experience_id: str) -> Deleted:
        self.bank(principal, bank)
        exp = self.store.get(bank, experience_id, include_superseded=True)
        self.store.delete(bank, experience_id)
        return Deleted(deleted=exp.id, items=len(exp.items))

    def list_items(
        self, principal: Principal, bank: str, *, include_retired: bool, limit: int, offset: int
    ) -> ItemList:
        """The current items of a page of experiences (oldest first), each with its record."""
        self.bank(principal, bank)
        out: list[ItemView] = []
        for exp in self.store.list(bank, limit=limit, offset=offset):
            shown = [it for it in exp.items if include_retired or it.active]
            recs = views.records(self.store, bank, exp.id, shown)
            out += [
                ItemView(
                    item=it, experience_id=exp.id, task_id=exp.task_id, record=RecordView.of(recs[it.id])
                )
                for it in shown
            ]
        return ItemList(bank=bank, items=out)

    def show_item(self, principal: Principal, bank: str, item_id: str) -> ItemView:
        """The current version of an item (by any version's id) with its record."""
        self.bank(principal, bank)
        book = ItemBook(self.store, bank)
        item = book.find(item_id)
        exp = self.store.get(bank, item.experience_id or "", include_superseded=True)
        return ItemView(
            item=item, experience_id=exp.id, task_id=exp.task_id, record=RecordView.of(book.record(item))
        )

    # ------------------------------------------------------------------ items by hand

    def add_item(self, principal: Principal, bank: str, req: AddItemRequest) -> ItemView:
        """Store a hand-written item as its own experience, redacted as ``learn`` redacts; an item
        with the same title and content (case and spacing aside) already current is a :class:`Conflict`."""
        rb = self.bank(principal, bank)
        texts = [req.title, req.content, req.description, (req.query or "").strip()]
        title, content, *_ = redact_texts(rb.learner.redactor, texts, Counter())  # as add_item stores them
        wanted = item_hash(title, content)
        with self.store.write_lock(bank):  # the check and the write are one step
            if self.store.has_item_hash(bank, wanted):
                raise Conflict(
                    f"this lesson is already stored in bank {bank!r} as item {self._same(bank, wanted)}"
                )
            item = rb.add_item(
                req.title, req.content, description=req.description, task_id=req.task_id, query=req.query
            )
        return self.show_item(principal, bank, item.id)

    def _same(self, bank: str, wanted: str) -> str:
        for exp in self.store.list(bank):
            for it in exp.items:
                if item_hash(it.title, it.content) == wanted:
                    return it.id
        return "(unknown)"

    def set_item_status(
        self, principal: Principal, bank: str, item_id: str, *, active: bool, reason: str
    ) -> ItemView:
        """Retire an item (no longer retrieved) or restore it: a new version with ``reason``; an
        item already so is left as it is."""
        self.bank(principal, bank)
        status = "active" if active else "retired"
        item = ItemBook(self.store, bank).set_status(item_id, status, reason)
        return self.show_item(principal, bank, item.id)

    def delete_item(
        self, principal: Principal, bank: str, item_id: str, *, whole_experience: bool = False
    ) -> Deleted:
        """Delete an item, every version of it and its usage record, with its experience (the unit
        stored): refused, unless ``whole_experience``, when that experience holds other current items."""
        self.bank(principal, bank)
        item = ItemBook(self.store, bank).find(item_id)
        exp = self.store.get(bank, item.experience_id or "", include_superseded=True)
        others = sum(1 for it in exp.items if it.superseded_by is None and it.id != item.id)
        if others and not whole_experience:
            raise Conflict(
                f"item {item.id} was learned with {others} other item(s) from task {exp.task_id!r}, "
                f"and they are stored and deleted together: retire the item instead, or delete the "
                f"whole experience ({others + 1} items)"
            )
        self.store.delete(bank, exp.id)
        return Deleted(deleted=exp.id, items=others + 1)

    def export_lines(self, principal: Principal, bank: str) -> Iterator[str]:
        """The bank as JSON Lines (every item version and the vectors): what ``import`` takes back."""
        self.bank(principal, bank)
        experiences = self.store.list(bank, include_superseded=True)  # read before the first line
        return (exp.model_dump_json() + "\n" for exp in experiences)

    def import_jsonl(self, principal: Principal, bank: str, text: str) -> Imported:
        """Add the experiences of a JSON Lines export to ``bank``: all of them or, on any error, none;
        their secrets redacted first with the bank's redactor (counted in the result)."""
        rb = self.bank(principal, bank)
        try:
            result = import_redacted(self.store, io.StringIO(text), rb.learner.redactor, scope=bank)
        except EmbeddingMismatchError:
            raise
        except StoreError as exc:  # an id the bank already holds: the caller's to resolve
            raise Conflict(f"nothing imported: {exc}") from exc
        except ValueError as exc:
            raise BadRequest(str(exc).replace("<stream>", "body")) from exc
        return Imported(imported=result.imported, redactions=result.redactions)

    def stats(self, principal: Principal, bank: str) -> Stats:
        """Counts of this bank only: never another bank's name or size."""
        self.bank(principal, bank)
        labels = {"success": 0, "failure": 0, "abstained": 0, "none": 0}
        exps = self.store.list(bank)
        for e in exps:
            labels[e.verdict.label if e.verdict else "none"] += 1
        binding = self.store.embedding_model(bank)
        return Stats(
            bank=bank,
            experiences=len(exps),
            items=self.store.count_items(bank),
            items_including_superseded=self.store.count_items(bank, include_superseded=True),
            success=labels["success"],
            failure=labels["failure"],
            abstained=labels["abstained"],
            unjudged=labels["none"],
            embedding_model=binding[0] if binding else None,
            embedding_dim=binding[1] if binding else None,
            jobs=self.jobs.counts(bank),
        )

    def health(self) -> Health:
        """Whether the store answers and the worker runs; nothing about tenants or banks."""
        try:
            self.store.count("default")
            self.jobs.pending()
            ok = self.worker.alive
        except Exception:
            log.exception("health check failed")
            ok = False
        return Health(status="ok" if ok else "degraded", version=self.version, worker=self.worker.alive)


def _job_view(job: Job) -> JobView:
    view = JobView.model_validate(job, from_attributes=True)  # the result is validated from its JSON
    return view.model_copy(update={"error": job.error or None})
