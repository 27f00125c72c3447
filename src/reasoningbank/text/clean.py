"""Text from a model or a user made safe to store, render and send on.

Model replies are untrusted: a lone surrogate (valid JSON, invalid UTF-8) makes
serialising a record fail, and control characters or bidirectional overrides
reach terminals and later prompts. :func:`safe_text` fixes the encoding;
:func:`printable_text` also drops control characters (newlines and tabs stay).
"""

from __future__ import annotations

import re

_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")


def safe_text(text: str) -> str:
    """``text`` with every lone surrogate replaced, so it encodes as UTF-8."""
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return text.encode("utf-8", "replace").decode("utf-8")
    return text


def printable_text(text: str) -> str:
    """:func:`safe_text` without control characters (newlines and tabs stay)."""
    return _CONTROL.sub("", safe_text(text))
