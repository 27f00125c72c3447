"""Parsing of the text action grammar shared by the bundled web environments.

Grammar (one action per string)::

    click(ID)              click element ID
    type(ID, "text")       clear field ID, then type the text
    select(ID, "option")   choose the option with that visible text in list ID
    answer("text")         finish the episode with an answer to the task's question
    done()                 finish the episode

``ID`` is the integer shown in brackets in the observation, e.g. ``[3]``.
Strings are double-quoted (single quotes are accepted too) with backslash
escapes as in JSON. Anything else raises :class:`ActionError` with a message
meant for the agent. ``submit("...")`` is read as ``answer("...")``: earlier
versions named it so, and a small model then used it for pages' Submit buttons.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass

from .base import ActionError

ACTION_GRAMMAR = """\
click(ID)             - click the element whose id is ID, e.g. click(4)
type(ID, "text")      - clear the text field ID and type the text, e.g. type(2, "hello")
select(ID, "option")  - choose an option of the drop-down list ID, e.g. select(6, "Blue")
answer("text")        - finish the task by answering its question, e.g. answer("42"); to press a
                        button (Submit, Login, ...) use click(ID) instead
done()                - finish the task when nothing is left to do"""

# name -> (number of element ids, number of string arguments)
_SIGNATURES: dict[str, tuple[int, int]] = {
    "click": (1, 0),
    "type": (1, 1),
    "select": (1, 1),
    "answer": (0, 1),
    "done": (0, 0),
}

# Public view of the action signatures: name -> (number of element ids, number of strings).
ACTION_SIGNATURES = _SIGNATURES

# Older names still understood, read as their current action.
_ALIASES = {"submit": "answer"}


def canonical_action_name(name: str) -> str:
    """The current name of an action name (lower-cased; old aliases mapped)."""
    low = name.strip().lower()
    return _ALIASES.get(low, low)


_CALL_RE = re.compile(r"^\s*([A-Za-z_]+)\s*\((.*)\)\s*;?\s*$", re.DOTALL)
_INT_RE = re.compile(r"\s*\[?\s*(\d+)\s*\]?\s*")
_DQ_RE = re.compile(r'\s*"((?:[^"\\]|\\.)*)"\s*', re.DOTALL)
_SQ_RE = re.compile(r"\s*'((?:[^'\\]|\\.)*)'\s*", re.DOTALL)


@dataclass(frozen=True)
class ParsedAction:
    """A parsed action: its name, the element id (if any) and the text (if any)."""

    name: str
    element: int | None = None
    text: str | None = None

    def render(self) -> str:
        """The canonical string form of the action."""
        args: list[str] = []
        if self.element is not None:
            args.append(str(self.element))
        if self.text is not None:
            args.append(json.dumps(self.text, ensure_ascii=False))
        return f"{self.name}({', '.join(args)})"


def _unquote(body: str, quote: str) -> str:
    if quote == '"':
        try:
            value = json.loads(f'"{body}"')
        except json.JSONDecodeError:
            return body.replace('\\"', '"').replace("\\\\", "\\")
        return str(value)
    return body.replace("\\'", "'").replace("\\\\", "\\")


def _take_string(rest: str, name: str) -> tuple[str, str]:
    for rx, quote in ((_DQ_RE, '"'), (_SQ_RE, "'")):
        m = rx.match(rest)
        if m:
            return _unquote(m.group(1), quote), rest[m.end() :]
    raise ActionError(
        f'{name}: expected a quoted string argument, got {rest.strip()!r}; e.g. {name}(... "text")'
    )


def parse_action(action: str) -> ParsedAction:
    """Parse one action string; raise :class:`ActionError` naming what is wrong."""
    if not action or not action.strip():
        raise ActionError("empty action; write one action such as click(3) or done()")
    text = action.strip()
    if text.startswith("`") and text.endswith("`"):
        text = text.strip("`").strip()
    m = _CALL_RE.match(text)
    if not m:
        raise ActionError(
            f"cannot parse action {action.strip()!r}: write exactly one call such as "
            'click(3), type(2, "text"), select(5, "option"), answer("text") or done()'
        )
    name = canonical_action_name(m.group(1))
    if name not in _SIGNATURES:
        raise ActionError(f"unknown action {m.group(1)!r}; allowed actions: {', '.join(_SIGNATURES)}")
    n_ids, n_strings = _SIGNATURES[name]
    rest = m.group(2)
    element: int | None = None
    value: str | None = None
    if n_ids:
        head, sep, tail = rest.partition(",")
        im = _INT_RE.fullmatch(head)
        if not im:
            raise ActionError(
                f"{name}: the first argument must be an element id (a number from the "
                f"observation), got {head.strip()!r}"
            )
        element = int(im.group(1))
        rest = tail if sep else ""
        if n_strings and not sep:
            raise ActionError(f'{name}: missing the text argument; e.g. {name}({element}, "text")')
    if n_strings:
        value, rest = _take_string(rest, name)
    if rest.strip():
        raise ActionError(f"{name}: unexpected extra arguments {rest.strip()!r}")
    return ParsedAction(name=name, element=element, text=value)
