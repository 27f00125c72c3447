"""Prompt templates shipped as package data, each carrying a version.

Every template file is ``<name>.j2`` and starts with a Jinja comment
``{# version: N #}``. :func:`get_prompt` returns a :class:`PromptTemplate`
whose ``version`` is ``"<name>@<N>"``; experiences record these versions so a
bank can tell which prompt produced which item.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cache
from importlib import resources
from typing import Any

import jinja2

_VERSION_LINE = re.compile(r"\A\{#\s*version:\s*(\d+)\s*#\}[ \t]*\r?\n")
_NAME = re.compile(r"\A[a-z0-9_]+\Z")

_env = jinja2.Environment(
    undefined=jinja2.StrictUndefined,
    autoescape=False,
    keep_trailing_newline=False,
)


class PromptNotFoundError(KeyError):
    """No template of that name ships with the package."""


@dataclass(frozen=True)
class PromptTemplate:
    name: str
    version: str
    source: str

    def render(self, **variables: Any) -> str:
        """Render the template; a missing variable raises ``jinja2.UndefinedError``."""
        return _env.from_string(self.source).render(**variables).strip()


def available_prompts() -> list[str]:
    """Names of all shipped templates, sorted."""
    root = resources.files(__package__)
    return sorted(p.name[: -len(".j2")] for p in root.iterdir() if p.name.endswith(".j2"))


@cache
def get_prompt(name: str) -> PromptTemplate:
    """Load the template ``name`` (without extension)."""
    if not _NAME.match(name):
        raise PromptNotFoundError(f"invalid prompt name {name!r}")
    res = resources.files(__package__).joinpath(f"{name}.j2")
    if not res.is_file():
        raise PromptNotFoundError(
            f"no prompt template named {name!r}; available: {', '.join(available_prompts())}"
        )
    text = res.read_text(encoding="utf-8")
    m = _VERSION_LINE.match(text)
    if m is None:
        raise ValueError(f"prompt template {name!r} lacks a '{{# version: N #}}' first line")
    return PromptTemplate(name=name, version=f"{name}@{m.group(1)}", source=text[m.end() :])


def load_prompt(name: str, **variables: Any) -> tuple[str, str]:
    """Render ``name`` with ``variables``; return ``(text, version)``."""
    tpl = get_prompt(name)
    return tpl.render(**variables), tpl.version


__all__ = ["PromptNotFoundError", "PromptTemplate", "available_prompts", "get_prompt", "load_prompt"]
