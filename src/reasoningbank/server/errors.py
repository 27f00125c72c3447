"""The service's errors: each says what is wrong and carries the HTTP status and code it maps to.

The REST app turns them into ``{"error": {"status", "code", "message"}}``;
the MCP server into a tool error with the same message. A bank the key may not
use is :class:`NotFound`, exactly like a bank that does not exist: a tenant
cannot learn from the answer whether another tenant's bank exists.
"""

from __future__ import annotations


class ServiceError(Exception):
    """An error a caller can act on."""

    status = 400
    code = "bad_request"

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class BadRequest(ServiceError):
    status = 400
    code = "bad_request"


class Unauthorized(ServiceError):
    status = 401
    code = "unauthorized"


class NotFound(ServiceError):
    status = 404
    code = "not_found"


class Conflict(ServiceError):
    status = 409
    code = "conflict"


class TooManyJobs(ServiceError):
    status = 429
    code = "too_many_jobs"


class Unavailable(ServiceError):
    status = 503
    code = "unavailable"


def no_bank(bank: str) -> NotFound:
    """The one answer for a bank that does not exist and a bank of another tenant."""
    return NotFound(f"no bank {bank!r} for this API key")
