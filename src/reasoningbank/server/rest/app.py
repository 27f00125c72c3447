"""The REST app: FastAPI over :class:`~reasoningbank.server.service.MemoryService`.

Banks are a path element (``/v1/banks/{bank}/...``); the key in
``Authorization: Bearer`` says which banks the caller may use
(:mod:`.guard` checks it before anything else). A bank of another tenant
answers 404 exactly like a bank that does not exist. Learning answers 202 with
a job; ``GET /v1/jobs/{id}`` follows it. The schema is at ``/openapi.json``.

Handlers are plain functions (FastAPI runs them in its thread pool): the store,
the embedder and the key and job files are blocking code.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Annotated, Any

from fastapi import APIRouter, Depends, FastAPI, Path, Query, Request, Response, Security
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import StreamingResponse
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from ..errors import BadRequest, Unauthorized
from ..keys import NAME_PATTERN, Principal
from ..schemas import (
    MAX_BODY_BYTES,
    MAX_IMPORT_BYTES,
    Deleted,
    ErrorBody,
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
from ..service import MemoryService
from . import errors as rest_errors
from .blas import PROCESS_BLAS
from .errors import JSONOut
from .guard import PRINCIPAL_KEY, Guard

NDJSON = "application/x-ndjson"

_bearer = HTTPBearer(auto_error=False, description="an API key made with `reasoningbank keys create`")
_ERRORS: dict[int | str, dict[str, Any]] = {
    status: {"model": ErrorBody, "description": what}
    for status, what in (
        (400, "malformed body or parameter"),
        (401, "no API key, or not a valid one"),
        (404, "no such bank for this key (also: a bank of another tenant), or no such id"),
        (409, "conflicts with stored data (an id already stored, another embedding model)"),
        (413, "body over the size limit"),
        (422, "the request does not match the schema"),
    )
}

Bank = Annotated[str, Path(pattern=NAME_PATTERN, description="the bank (a scope of the store)")]
Ident = Annotated[str, Path(min_length=1, max_length=200)]
Limit = Annotated[int, Query(ge=0, le=1000)]
Offset = Annotated[int, Query(ge=0, le=1_000_000_000)]


def _service(request: Request) -> MemoryService:
    svc: MemoryService = request.app.state.service
    return svc


def _principal(
    request: Request, _: Annotated[HTTPAuthorizationCredentials | None, Security(_bearer)]
) -> Principal:
    found = request.scope.get(PRINCIPAL_KEY)
    if not isinstance(found, Principal):  # the guard lets no such request through; belt and braces
        raise Unauthorized("a valid API key is needed: send 'Authorization: Bearer <key>'")
    return found


Svc = Annotated[MemoryService, Depends(_service)]
Who = Annotated[Principal, Depends(_principal)]


def _memory_routes(router: APIRouter) -> None:
    @router.post(
        "/banks/{bank}/retrieve", response_model=RetrieveResponse, summary="memory for a task, with why"
    )
    def retrieve(bank: Bank, req: RetrieveRequest, svc: Svc, who: Who) -> RetrieveResponse:
        return svc.retrieve(who, bank, req)

    @router.post(
        "/banks/{bank}/learn",
        response_model=JobView,
        status_code=202,
        summary="submit a finished trajectory for learning (a job)",
        responses={429: {"model": ErrorBody, "description": "too many jobs of this tenant waiting"}},
    )
    def learn(bank: Bank, req: LearnRequest, svc: Svc, who: Who, response: Response) -> JobView:
        job = svc.submit_learn(who, bank, req)
        response.headers["Location"] = f"/v1/jobs/{job.id}"
        return job

    @router.get("/jobs/{job_id}", response_model=JobView, summary="a learning job's status and result")
    def job(job_id: Annotated[str, Path(pattern=r"^[0-9a-f]{32}$")], svc: Svc, who: Who) -> JobView:
        return svc.job(who, job_id)


def _data_routes(router: APIRouter) -> None:
    @router.get("/banks/{bank}/experiences", response_model=ExperienceList, summary="list experiences")
    def list_experiences(
        bank: Bank, svc: Svc, who: Who, limit: Limit = 100, offset: Offset = 0
    ) -> ExperienceList:
        return svc.list_experiences(who, bank, limit=limit, offset=offset)

    @router.get(
        "/banks/{bank}/experiences/{experience_id}",
        response_model=ExperienceDetail,
        summary="one experience with its items and their records",
    )
    def show(
        bank: Bank, experience_id: Ident, svc: Svc, who: Who, with_vector: bool = False
    ) -> ExperienceDetail:
        return svc.show_experience(who, bank, experience_id, with_vector=with_vector)

    @router.delete(
        "/banks/{bank}/experiences/{experience_id}",
        response_model=Deleted,
        summary="delete an experience and its items",
    )
    def delete(bank: Bank, experience_id: Ident, svc: Svc, who: Who) -> Deleted:
        return svc.delete_experience(who, bank, experience_id)

    @router.get("/banks/{bank}/items", response_model=ItemList, summary="items with their records")
    def items(
        bank: Bank, svc: Svc, who: Who, include_retired: bool = False, limit: Limit = 100, offset: Offset = 0
    ) -> ItemList:
        return svc.list_items(who, bank, include_retired=include_retired, limit=limit, offset=offset)

    @router.get("/banks/{bank}/items/{item_id}", response_model=ItemView, summary="one item and its record")
    def item(bank: Bank, item_id: Ident, svc: Svc, who: Who) -> ItemView:
        return svc.show_item(who, bank, item_id)

    @router.get("/banks/{bank}/stats", response_model=Stats, summary="counts of this bank")
    def stats(bank: Bank, svc: Svc, who: Who) -> Stats:
        return svc.stats(who, bank)


def _exchange_routes(router: APIRouter) -> None:
    @router.get(
        "/banks/{bank}/export",
        response_class=StreamingResponse,
        summary="the bank as JSON Lines (what import takes)",
        responses={200: {"content": {NDJSON: {"schema": {"type": "string"}}}}},
    )
    def export(bank: Bank, svc: Svc, who: Who) -> StreamingResponse:
        lines = svc.export_lines(who, bank)
        disposition = {"Content-Disposition": f'attachment; filename="{bank}.jsonl"'}
        return StreamingResponse(lines, media_type=NDJSON, headers=disposition)

    @router.post(
        "/banks/{bank}/import",
        response_model=Imported,
        summary="add the experiences of an export: all or, on any error, none",
        openapi_extra={
            "requestBody": {"required": True, "content": {NDJSON: {"schema": {"type": "string"}}}}
        },
    )
    async def import_(bank: Bank, request: Request, svc: Svc, who: Who) -> Imported:
        try:
            text = (await request.body()).decode("utf-8")
        except UnicodeDecodeError as exc:
            raise BadRequest(f"the body is not UTF-8 text: {exc}") from exc
        result: Imported = await run_in_threadpool(svc.import_jsonl, who, bank, text)
        return result


def _router() -> APIRouter:
    router = APIRouter(prefix="/v1", responses=_ERRORS, default_response_class=JSONOut)
    _memory_routes(router)
    _data_routes(router)
    _exchange_routes(router)

    @router.get("/health", response_model=Health, summary="is the service up (no key needed)")
    def health(svc: Svc, response: Response) -> Health:
        found = svc.health()
        if found.status != "ok":
            response.status_code = 503
        return found

    return router


def create_app(
    service: MemoryService,
    *,
    max_body_bytes: int = MAX_BODY_BYTES,
    max_import_bytes: int = MAX_IMPORT_BYTES,
    close_service: bool = True,
) -> FastAPI:
    """The app on ``service``: its worker starts with the app, and (with ``close_service``) the
    service closes when the app shuts down."""

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        # Requests run side by side in the thread pool; a BLAS that also starts its own threads
        # for every search oversubscribes the cores (16 clients: 39 requests/s with it, 219 without;
        # docs/benchmarks.md), so the serving process computes each search on one thread. The
        # limit is process-wide and shared by every app in the process (see .blas).
        PROCESS_BLAS.acquire()
        try:
            await run_in_threadpool(service.start)
            try:
                yield
            finally:
                if close_service:
                    await run_in_threadpool(service.close)
        finally:
            PROCESS_BLAS.release()

    app = FastAPI(
        title="ReasoningBank",
        version=service.version,
        summary="Shared memory for LLM agents: retrieve before a task, learn after it.",
        lifespan=lifespan,
        default_response_class=JSONOut,
        # FastAPI's /docs and /redoc pages load their scripts from a CDN: none here; /openapi.json stays
        docs_url=None,
        redoc_url=None,
    )
    app.state.service = service
    app.include_router(_router())
    rest_errors.install(app)
    app.add_middleware(
        Guard,
        authenticate=service.authenticate,
        max_body_bytes=max_body_bytes,
        max_import_bytes=max_import_bytes,
    )
    return app
