"""Find a JSON value inside model output that may have fences or prose around it."""

from __future__ import annotations

import json
from typing import Any

_decoder = json.JSONDecoder()

MAX_JSON_CHARS = 50_000
"""Model replies are read only this far: no honest answer is longer, and scanning a hostile one
(thousands of brackets) must stay cheap."""
MAX_STARTS = 200
"""At most this many ``{`` / ``[`` positions are tried."""


def find_json(text: str) -> Any | None:
    """Return the first JSON object or array found in ``text``, or None.

    Tries the whole text first, then ``{`` / ``[`` positions in order, so code
    fences and explanations before or after the JSON are tolerated. Text past
    :data:`MAX_JSON_CHARS` is ignored, and nesting too deep to parse counts as
    no JSON (never an exception).
    """
    text = text[:MAX_JSON_CHARS]
    stripped = text.strip()
    try:
        whole = json.loads(stripped)
    except (ValueError, RecursionError):
        pass
    else:
        if isinstance(whole, dict | list):
            return whole
    tried = 0
    for i, ch in enumerate(text):
        if ch not in "{[":
            continue
        tried += 1
        if tried > MAX_STARTS:
            break
        try:
            value, _ = _decoder.raw_decode(text, i)
        except (ValueError, RecursionError):
            continue
        if isinstance(value, dict | list):
            return value
    return None
