"""Find a JSON value inside model output that may have fences or prose around it."""

from __future__ import annotations

import json
from typing import Any

_decoder = json.JSONDecoder()


def find_json(text: str) -> Any | None:
    """Return the first JSON object or array found in ``text``, or None.

    Tries the whole text first, then every ``{`` / ``[`` position in order, so
    code fences and explanations before or after the JSON are tolerated.
    """
    stripped = text.strip()
    try:
        whole = json.loads(stripped)
    except ValueError:
        pass
    else:
        if isinstance(whole, dict | list):
            return whole
    for i, ch in enumerate(text):
        if ch not in "{[":
            continue
        try:
            value, _ = _decoder.raw_decode(text, i)
        except ValueError:
            continue
        if isinstance(value, dict | list):
            return value
    return None
