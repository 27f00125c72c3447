"""A Python client of the REST service, with the library's method names.

``ReasoningBankClient(url, api_key, bank)`` talks to one bank, as a
:class:`~reasoningbank.bank.ReasoningBank` works on one scope: ``retrieve``
returns the items, ``retrieve_experiences`` the hits with why (score, source
task, verdict, each item's record), ``memory_prompt`` the rendered block,
``learn`` submits a job (``wait=True`` waits for it, and raises
:class:`~reasoningbank.bank.LearnError` if it failed, as the library would),
and ``list``/``show``/``delete``/``items``/``item_record``/``export``/
``import_``/``stats`` mirror the CLI commands. ``for_bank`` gives a client of
another bank on the same connections.

An error answer raises the service's own error class (:class:`NotFound`,
:class:`Unauthorized`, ...) with the server's message; ``status`` and
``code`` are on the exception.
"""

from __future__ import annotations

import builtins
import os
import tempfile
import time
from pathlib import Path
from typing import IO, Any, Literal

import httpx

from ..bank import LearnError
from ..models import MemoryItem, Trajectory
from .errors import BadRequest, Conflict, NotFound, ServiceError, TooManyJobs, Unauthorized, Unavailable
from .schemas import (
    Deleted,
    ExperienceDetail,
    ExperienceList,
    Health,
    Imported,
    ItemList,
    ItemView,
    JobView,
    LearnRequest,
    RetrieveRequest,
    RetrieveResponse,
    Stats,
)

_BY_STATUS: dict[int, type[ServiceError]] = {
    400: BadRequest,
    401: Unauthorized,
    404: NotFound,
    409: Conflict,
    429: TooManyJobs,
    503: Unavailable,
}


def _raise_for(response: httpx.Response) -> None:
    if response.is_success:
        return
    code, message = "error", response.text[:500] or response.reason_phrase
    try:
        error = response.json()["error"]
        code, message = str(error["code"]), str(error["message"])
    except (ValueError, KeyError, TypeError):
        pass
    exc = _BY_STATUS.get(response.status_code, ServiceError)(message)
    exc.status, exc.code = response.status_code, code
    raise exc


class ReasoningBankClient:
    """One bank of a ReasoningBank service (see the module's docstring)."""

    def __init__(
        self,
        base_url: str,
        api_key: str,
        bank: str = "default",
        *,
        timeout: float = 30.0,
        transport: httpx.BaseTransport | None = None,
        http: httpx.Client | None = None,
    ) -> None:
        self.bank = bank
        self._owns = http is None
        self._http = http or httpx.Client(
            base_url=base_url.rstrip("/"),
            headers={"Authorization": f"Bearer {api_key}"},
            timeout=timeout,
            transport=transport or httpx.HTTPTransport(retries=2),
        )

    def for_bank(self, bank: str) -> ReasoningBankClient:
        """A client of ``bank`` sharing this one's connections and key (closing it closes nothing)."""
        return ReasoningBankClient("", "", bank, http=self._http)

    # ------------------------------------------------------------------ plumbing

    def _call(self, method: str, path: str, **kw: Any) -> httpx.Response:
        response = self._http.request(method, path, **kw)
        _raise_for(response)
        return response

    def _bank(self, rest: str) -> str:
        return f"/v1/banks/{self.bank}/{rest}"

    # ------------------------------------------------------------------ memory

    def retrieve_experiences(
        self,
        query: str,
        k: int | None = None,
        *,
        task_id: str | None = None,
        include_same_task: bool = False,
        render: bool = False,
        why: bool = True,
        min_score: float | None = None,
    ) -> RetrieveResponse:
        """The hits for ``query`` with why: score, source task, verdict, and each item's record;
        with none passing the floor (``min_score``, else the bank's), the nearest and a note."""
        req = RetrieveRequest(
            query=query, k=k, task_id=task_id, include_same_task=include_same_task, render=render, why=why
        ).model_copy(update={"min_score": min_score})
        body = req.model_dump(mode="json", exclude_none=True)
        return RetrieveResponse.model_validate_json(
            self._call("POST", self._bank("retrieve"), json=body).content
        )

    def retrieve(
        self, query: str, k: int | None = None, *, task_id: str | None = None, include_same_task: bool = False
    ) -> list[MemoryItem]:
        """The items of the top-k experiences (remembered as shown to ``task_id``, to credit them
        when it is learned)."""
        got = self.retrieve_experiences(
            query, k, task_id=task_id, include_same_task=include_same_task, why=False
        )
        return got.items

    def memory_prompt(self, query: str, k: int | None = None, *, task_id: str | None = None) -> str:
        """The system-prompt memory block for ``query`` (empty when nothing is retrieved)."""
        return self.retrieve_experiences(query, k, task_id=task_id, render=True, why=False).rendered or ""

    def learn(
        self,
        trajectory: Trajectory,
        *,
        outcome: Literal["success", "failure"] | None = None,
        shown: builtins.list[str] | None = None,
        wait: bool = False,
        timeout: float = 300.0,
    ) -> JobView:
        """Submit ``trajectory`` for learning; the job (finished, with ``wait``: a failed job then
        raises :class:`LearnError`)."""
        body = LearnRequest(trajectory=trajectory, outcome=outcome, shown=shown).model_dump(mode="json")
        job = JobView.model_validate_json(self._call("POST", self._bank("learn"), json=body).content)
        if not wait:
            return job
        job = self.wait(job.id, timeout=timeout)
        if job.status == "failed":
            raise LearnError(f"learning job {job.id} failed: {job.error}")
        return job

    def job(self, job_id: str) -> JobView:
        return JobView.model_validate_json(self._call("GET", f"/v1/jobs/{job_id}").content)

    def wait(self, job_id: str, *, timeout: float = 300.0, poll: float = 0.2) -> JobView:
        """The job once it is done or failed; :class:`TimeoutError` if it is not within ``timeout``."""
        deadline = time.monotonic() + timeout
        while True:
            job = self.job(job_id)
            if job.status in ("done", "failed"):
                return job
            if time.monotonic() >= deadline:
                raise TimeoutError(f"learning job {job_id} is still {job.status} after {timeout:.0f}s")
            time.sleep(poll)

    # ------------------------------------------------------------------ stored data

    def list(self, limit: int = 100, offset: int = 0) -> ExperienceList:
        response = self._call("GET", self._bank("experiences"), params={"limit": limit, "offset": offset})
        return ExperienceList.model_validate_json(response.content)

    def show(self, experience_id: str, *, with_vector: bool = False) -> ExperienceDetail:
        params = {"with_vector": "true"} if with_vector else {}
        response = self._call("GET", self._bank(f"experiences/{experience_id}"), params=params)
        return ExperienceDetail.model_validate_json(response.content)

    def delete(self, experience_id: str) -> Deleted:
        return Deleted.model_validate_json(
            self._call("DELETE", self._bank(f"experiences/{experience_id}")).content
        )

    def items(
        self, *, include_retired: bool = False, limit: int = 100, offset: int = 0
    ) -> builtins.list[ItemView]:
        params = {"include_retired": str(include_retired).lower(), "limit": limit, "offset": offset}
        return ItemList.model_validate_json(
            self._call("GET", self._bank("items"), params=params).content
        ).items

    def item_record(self, item_id: str) -> ItemView:
        """The current version of an item (any version's id) and its record."""
        return ItemView.model_validate_json(self._call("GET", self._bank(f"items/{item_id}")).content)

    def stats(self) -> Stats:
        return Stats.model_validate_json(self._call("GET", self._bank("stats")).content)

    def health(self) -> Health:
        response = self._http.get("/v1/health")
        if response.status_code not in (200, 503):
            _raise_for(response)
        return Health.model_validate_json(response.content)

    # ------------------------------------------------------------------ export / import

    def export(self, destination: str | os.PathLike[str] | IO[str] | None = None) -> str | int:
        """The bank as JSON Lines: returned as text (no ``destination``), or written to a stream, or to
        a file atomically (a temporary file, then renamed); with a destination, the line count."""
        text = self._call("GET", self._bank("export")).text
        if destination is None:
            return text
        count = text.count("\n")
        if not isinstance(destination, str | os.PathLike):
            destination.write(text)
            return count
        path = Path(destination)
        fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
        try:
            with os.fdopen(fd, "w", encoding="utf-8") as out:
                out.write(text)
            os.replace(tmp, path)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise
        return count

    def import_(self, source: str | os.PathLike[str] | IO[str] | bytes) -> int:
        """Add an export's experiences to the bank (all or none); ``source`` is a file path, a text
        stream or the bytes themselves. Returns how many."""
        if isinstance(source, bytes):
            data = source
        elif isinstance(source, str | os.PathLike):
            data = Path(source).read_bytes()
        else:
            data = source.read().encode("utf-8")
        headers = {"Content-Type": "application/x-ndjson"}
        response = self._call("POST", self._bank("import"), content=data, headers=headers)
        return Imported.model_validate_json(response.content).imported

    # ------------------------------------------------------------------ lifecycle

    def close(self) -> None:
        if self._owns:
            self._http.close()

    def __enter__(self) -> ReasoningBankClient:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
