"""Text from a model or a user made safe to store, render and send on.

Model replies are untrusted: a lone surrogate (valid JSON, invalid UTF-8) makes
serialising a record fail, and control characters or bidirectional overrides
reach terminals and later prompts. :func:`safe_text` fixes the encoding;
:func:`storable_text` also replaces NULs (which PostgreSQL's text type refuses);
:func:`printable_text` drops control characters (newlines and tabs stay).
:func:`clean_reply` is what every model reply goes through before it is parsed
(:func:`~reasoningbank.llm.ask.ask_parsed` and the judge's yes/no question): it
also defuses the JSON escapes that would decode into a lone surrogate or a NUL
(``"ok \\udfff"`` is valid JSON), so no parser downstream can make one.
"""

from __future__ import annotations

import re

_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")
_UNSTORABLE = re.compile("[\x00\ud800-\udfff]")
# A JSON escape: a surrogate pair, one \\uXXXX, or any other escaped character (so that an escaped
# backslash is consumed whole and the parity of backslashes is kept).
_ESCAPE = re.compile(
    r"\\u(d[89ab][0-9a-f]{2})\\u(d[c-f][0-9a-f]{2})|\\u([0-9a-f]{4})|\\.", re.IGNORECASE | re.DOTALL
)
REPLACEMENT = "\ufffd"


def safe_text(text: str) -> str:
    """``text`` with every lone surrogate replaced, so it encodes as UTF-8."""
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return text.encode("utf-8", "replace").decode("utf-8")
    return text


def storable_text(text: str) -> str:
    """``text`` with every lone surrogate and NUL replaced by U+FFFD, so every store can keep it
    (what :func:`clean_reply` does to a reply before it defuses its JSON escapes)."""
    return _UNSTORABLE.sub(REPLACEMENT, text)


def printable_text(text: str) -> str:
    """:func:`safe_text` without control characters (newlines and tabs stay)."""
    return _CONTROL.sub("", safe_text(text))


def _defuse(m: re.Match[str]) -> str:
    code = m.group(3)
    if code is not None and (code == "0000" or 0xD800 <= int(code, 16) <= 0xDFFF):
        return "\\ufffd"  # a lone surrogate or a NUL once decoded: the replacement character instead
    return m.group(0)


def clean_reply(text: str) -> str:
    """A model reply made safe to parse and store: lone surrogates and NULs become U+FFFD, and so do
    JSON escapes that would decode into one (a valid surrogate pair stays)."""
    text = storable_text(text)
    return _ESCAPE.sub(_defuse, text) if "\\" in text else text
