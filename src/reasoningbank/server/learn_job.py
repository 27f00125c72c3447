"""Running one learning job so that running it twice stores it once.

A job's experience gets an id derived from the job id
(:func:`job_experience_id`). Before learning, the runner looks that id up: if
a crash came after the experience was stored but before the job was marked
done, the restarted service finds it and reports it instead of judging,
extracting and storing the trajectory a second time (the same idea as the
bench's "a played task is saved before learning").

The runner passes that id to ``learn(..., experience_id=)``, which stores the
experience under it.

The service redacts a request before the job is stored and records how many
secrets it took out, by kind, under :data:`REDACTED_KEY` of the job's request;
the runner adds them to the result's note (``learn`` finds nothing left to
redact).
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Callable
from typing import Any

from ..bank import LearnError, NoLLMError, ReasoningBank
from ..learning.redaction import redaction_note
from ..models import Experience
from ..stores.base import NotFoundError, Store, StoreError
from .jobs import Job, JobFailed
from .schemas import LearnRequest, LearnResult, VerdictView

log = logging.getLogger(__name__)

BankFactory = Callable[[Store, str], ReasoningBank]
"""Builds the bank for one scope on a store: the service's embedder, LLMs and preset."""
REDACTED_KEY = "redacted"
"""Where a job's request records the secrets taken out before it was stored: ``{kind: count}``."""


def job_experience_id(job_id: str) -> str:
    """The id the experience of job ``job_id`` is stored under (uuid-hex shaped)."""
    return hashlib.sha256(f"reasoningbank-job:{job_id}".encode()).hexdigest()[:32]


def _stored_result(exp: Experience) -> LearnResult:
    return LearnResult(
        experience_id=exp.id,
        verdict=VerdictView.of(exp.verdict) if exp.verdict else None,
        items=[it for it in exp.items if it.active],
        note="stored before the service restarted; not learned again",
        resumed=True,
    )


def run_learn_job(store: Store, make_bank: BankFactory, job: Job) -> dict[str, Any]:
    """Learn the job's trajectory into its bank (once); the :class:`LearnResult` as JSON."""
    exp_id = job_experience_id(job.id)
    try:
        return _stored_result(store.get(job.bank, exp_id)).model_dump(mode="json")
    except NotFoundError:
        pass
    if job.request is None:
        raise JobFailed("the job has ended: its request is no longer kept")
    fields = {k: v for k, v in job.request.items() if k != REDACTED_KEY}
    redacted = redaction_note(job.request.get(REDACTED_KEY) or {})
    request = LearnRequest.model_validate(fields)
    bank = make_bank(store, job.bank)
    try:
        report = bank.learn(
            request.trajectory, outcome=request.outcome, shown=request.shown or [], experience_id=exp_id
        )
    except (LearnError, NoLLMError, ValueError, StoreError) as exc:
        raise JobFailed(str(exc) or type(exc).__name__) from exc
    if report.experience_id != exp_id:  # the learner stored it some other way: say so loudly
        log.error(
            "job %s stored experience %s, not %s: a restart could learn it twice",
            job.id,
            report.experience_id,
            exp_id,
        )
    result = LearnResult(
        experience_id=report.experience_id,
        verdict=VerdictView.of(report.verdict),
        items=report.items,
        note="; ".join(n for n in (redacted, report.note) if n),
    )
    return result.model_dump(mode="json")
