"""Every error of the REST app as ``{"error": {"status", "code", "message", "details"}}``.

A caller's mistake gets a 4xx that names it (the field, the limit, the id);
the store's own errors are mapped by meaning (no such experience: 404; an
embedding of another model: 409). Anything else is a bug: it is logged with an
incident id and answered with a JSON 500 giving that id, never a traceback.
The responses are rendered with ASCII escapes when the text is not encodable,
so even an error about malformed text can be sent.
"""

from __future__ import annotations

import json
import logging
import math
import secrets
from collections.abc import Mapping
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.responses import Response

from ...stores.base import EmbeddingMismatchError, NotFoundError, StoreError
from ..errors import ServiceError

log = logging.getLogger(__name__)

_CODES = {
    400: "bad_request",
    401: "unauthorized",
    403: "forbidden",
    404: "not_found",
    405: "method_not_allowed",
    406: "not_acceptable",
    409: "conflict",
    413: "too_large",
    415: "unsupported_media_type",
    422: "invalid_request",
    429: "too_many_requests",
}


def _finite(value: Any) -> Any:
    """``value`` with NaN and infinities replaced by None (JSON has no spelling for them)."""
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if isinstance(value, dict):
        return {k: _finite(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_finite(v) for v in value]
    return value


class JSONOut(JSONResponse):
    """JSON that can always be sent: UTF-8, or ASCII escapes for text UTF-8 cannot carry."""

    def render(self, content: Any) -> bytes:
        try:
            return json.dumps(content, ensure_ascii=False, allow_nan=False, separators=(",", ":")).encode()
        except UnicodeEncodeError:
            return json.dumps(content, ensure_ascii=True, allow_nan=False, separators=(",", ":")).encode()
        except ValueError:
            return json.dumps(_finite(content), ensure_ascii=True, separators=(",", ":")).encode()


def error_response(
    status: int,
    code: str,
    message: str,
    *,
    details: list[dict[str, str]] | None = None,
    headers: Mapping[str, str] | None = None,
) -> Response:
    body = {"error": {"status": status, "code": code, "message": message, "details": details or []}}
    return JSONOut(body, status_code=status, headers=headers)


def _where(loc: Any) -> str:
    return ".".join(str(p) for p in loc) if isinstance(loc, list | tuple) else str(loc)


async def _validation(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, RequestValidationError)
    errors = list(exc.errors())
    details = [
        {"where": _where(e.get("loc", ())), "message": str(e.get("msg", "invalid"))} for e in errors[:20]
    ]
    if any(e.get("type") == "json_invalid" for e in errors):
        ctx = errors[0].get("ctx") or {}
        reason = ctx.get("error", "JSON decode error") if isinstance(ctx, dict) else "JSON decode error"
        return error_response(400, "invalid_json", f"the body is not valid JSON: {reason}", details=details)
    content_type = request.headers.get("content-type", "")
    if errors and tuple(errors[0].get("loc", ())) == ("body",) and "json" not in content_type.lower():
        message = f"the body must be JSON sent with Content-Type: application/json (got {content_type!r})"
        return error_response(422, "invalid_request", message, details=details)
    first = details[0] if details else {"where": "request", "message": "invalid"}
    more = f" (and {len(errors) - 1} more)" if len(errors) > 1 else ""
    message = f"the request is not valid: {first['where']}: {first['message']}{more}"
    return error_response(422, "invalid_request", message, details=details)


async def _http(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, StarletteHTTPException)
    status = exc.status_code
    message = str(exc.detail) if exc.detail else "error"
    if status == 404 and message == "Not Found":
        message = f"no such endpoint: {request.method} {request.url.path} (see /openapi.json)"
    elif status == 405:
        message = f"{request.method} is not allowed on {request.url.path} (see /openapi.json)"
    return error_response(status, _CODES.get(status, "error"), message, headers=exc.headers)


async def _service(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, ServiceError)
    return error_response(exc.status, exc.code, exc.message)


async def _store(request: Request, exc: Exception) -> Response:
    if isinstance(exc, NotFoundError):
        text = str(exc.args[0]) if exc.args else "not found"
        return error_response(404, "not_found", text)
    if isinstance(exc, EmbeddingMismatchError):
        return error_response(409, "embedding_mismatch", str(exc))
    log.error("store error on %s %s: %s", request.method, request.url.path, exc, exc_info=exc)
    return error_response(503, "store_unavailable", f"the store could not serve the request: {exc}")


async def _value(request: Request, exc: Exception) -> Response:
    return error_response(400, "bad_request", str(exc) or type(exc).__name__)


async def _unexpected(request: Request, exc: Exception) -> Response:
    incident = secrets.token_hex(4)
    log.error("incident %s on %s %s", incident, request.method, request.url.path, exc_info=exc)
    message = f"an unexpected error; it was logged as incident {incident}"
    return error_response(500, "internal", message)


def install(app: FastAPI) -> None:
    """Register the handlers on ``app``."""
    app.add_exception_handler(RequestValidationError, _validation)
    app.add_exception_handler(StarletteHTTPException, _http)
    app.add_exception_handler(ServiceError, _service)
    app.add_exception_handler(StoreError, _store)
    app.add_exception_handler(ValueError, _value)
    app.add_exception_handler(Exception, _unexpected)
