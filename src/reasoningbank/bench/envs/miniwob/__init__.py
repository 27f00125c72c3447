"""MiniWoB++ in a real headless Chromium: the environment and its parts.

* :mod:`.env` -- :class:`MiniWoBEnv`, the ``Environment`` over one task page;
* :mod:`.tasks` -- the families the bench runs and where the ``miniwob`` package
  keeps their pages;
* :mod:`.page` -- reading the page's elements into the observation;
* :mod:`.apply` -- carrying out a parsed action on an element.

Importing this package starts no browser; ``MiniWoBEnv`` is reached here lazily.
"""

from __future__ import annotations

from typing import Any


def __getattr__(name: str) -> Any:
    if name == "MiniWoBEnv":
        from .env import MiniWoBEnv

        return MiniWoBEnv
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
