"""Reading a judge's reply: the status word, the reasoning, JSON or the two-line text form.

Parsing is line by line (linear in the reply's length): a hostile reply cannot
make it slow. ``unsuccessful``, ``not successful``, ``partially successful``
and any word starting with ``fail`` mean failure: the paper counts partial
completion as a failure.
"""

from __future__ import annotations

import re
from typing import Any

from ..models import Label
from ..text.jsontext import find_json

JUDGE_JSON_SCHEMA: dict[str, Any] = {
    "type": "object",
    "properties": {
        "thoughts": {"type": "string", "maxLength": 1200},
        "status": {"type": "string", "enum": ["success", "failure"]},
    },
    "required": ["thoughts", "status"],
    "additionalProperties": False,
}

# A reply longer than this is cut before parsing: no honest verdict is that long.
MAX_REPLY_CHARS = 20_000

_FIELD = re.compile(r"[>*_#`\-\s]*(thoughts?|status)[*_`\s]*[:=\-]\s?(.*)", re.IGNORECASE)
_WORDS = re.compile(r"[a-z]+")
_PARTIAL = ("partial", "incomplete", "unfinished")


def normalise_status(value: str) -> Label | None:
    """Map a status string to a label; None if it is ambiguous or unknown.

    Quotes, Markdown and punctuation are ignored.
    """
    words = _WORDS.findall(value.lower())
    says_success = any(w.startswith("success") for w in words)
    says_fail = any(w.startswith("fail") for w in words)
    negated = any(w.startswith("unsuccess") for w in words) or ("not" in words and says_success)
    partial = any(w.startswith(_PARTIAL) for w in words)
    if negated or (partial and says_success):
        return "failure"
    if says_success and says_fail:
        return None  # e.g. 'success or failure' echoed from the instructions
    if says_fail:
        return "failure"
    if says_success:
        return "success"
    return None


def _fields(text: str) -> tuple[str, list[str]]:
    """The last ``Thoughts:`` block and every ``Status:`` value, in order."""
    thoughts: list[str] = []
    statuses: list[str] = []
    current: list[str] | None = None
    for line in text.splitlines():
        m = _FIELD.match(line)
        if m is None:
            if current is not None:
                current.append(line)
            continue
        if m.group(1).lower().startswith("thought"):
            thoughts = [m.group(2)]
            current = thoughts
        else:
            statuses.append(m.group(2))
            current = None
    return "\n".join(thoughts).strip(), statuses


def parse_verdict_text(text: str) -> tuple[Label | None, str]:
    """Parse judge output (``Thoughts:``/``Status:`` lines or JSON) into ``(label, thoughts)``."""
    text = text[:MAX_REPLY_CHARS]
    obj = find_json(text)
    if isinstance(obj, dict):
        lowered = {str(k).lower(): v for k, v in obj.items()}
        status = lowered.get("status", lowered.get("label"))
        if isinstance(status, str):
            label = normalise_status(status)
            if label is not None:
                thoughts = lowered.get("thoughts", lowered.get("reasoning", ""))
                return label, str(thoughts).strip()
    thoughts, statuses = _fields(text)
    # the last readable Status line wins (an earlier one may echo the instructions)
    for value in reversed(statuses):
        label = normalise_status(value)
        if label is not None:
            return label, thoughts or text.strip()
    bare = text.strip().strip("\"'`*.!").strip()
    if bare and len(bare.split()) <= 2:
        label = normalise_status(bare)
        if label is not None:
            return label, ""
    return None, thoughts
