"""The service: many agents on many machines sharing banks through one process (layer "server").

* :mod:`.service` -- :class:`MemoryService`, the operations a tenant may run on
  its banks (retrieve with why, learn as a job, list/show/delete, export/import,
  stats, health), shared by the front ends;
* :mod:`.keys` -- API keys per tenant, stored hashed, each allowed its banks;
* :mod:`.jobs` and :mod:`.learn_job` -- durable learning jobs and running one
  exactly once;
* :mod:`.rest` -- the FastAPI app (``reasoningbank serve``); :mod:`.mcp` -- the MCP server;
* :mod:`.client` -- a Python client of the REST service with the library's
  method names.

Nothing here is imported by the library; importing this package loads no web
framework (the REST app and the client import theirs when used).
"""

from __future__ import annotations

from .errors import BadRequest, Conflict, NotFound, ServiceError, TooManyJobs, Unauthorized
from .keys import KeyInfo, KeyManagementError, KeyStore, Principal
from .learn_job import BankFactory
from .service import MemoryService

__all__ = [
    "BadRequest",
    "BankFactory",
    "Conflict",
    "KeyInfo",
    "KeyManagementError",
    "KeyStore",
    "MemoryService",
    "NotFound",
    "Principal",
    "ServiceError",
    "TooManyJobs",
    "Unauthorized",
]
