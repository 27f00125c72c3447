"""The error of a bad setting, and how a validation error reads in it."""

from __future__ import annotations

from pydantic import ValidationError


class ConfigError(ValueError):
    """A configuration file or value is invalid."""


def describe(exc: ValidationError) -> str:
    """``exc``'s errors on one line, each naming its key (``judge.temperature``)."""
    parts = []
    for err in exc.errors():
        loc = ".".join(str(x) for x in err["loc"]) or "(top level)"
        if err["type"] == "extra_forbidden":
            parts.append(f"unknown key {loc!r}")
        elif isinstance(err.get("ctx", {}).get("error"), ConfigError):
            parts.append(str(err["ctx"]["error"]))  # it names its key already
        else:
            parts.append(f"{loc!r}: {err['msg']}")
    return "; ".join(parts)
