"""The REST front end of the service (``reasoningbank serve``), on FastAPI.

* :mod:`.app` -- the app and its routes (``create_app``);
* :mod:`.guard` -- request limits and API-key checks before a route runs;
* :mod:`.errors` -- service errors as HTTP answers.

Importing this package loads no web framework; ``create_app`` is reached here
lazily, as before the package was split.
"""

from __future__ import annotations

from typing import Any


def __getattr__(name: str) -> Any:
    if name in ("create_app", "NDJSON"):
        from . import app

        return getattr(app, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
