"""How the MCP tools take their arguments: unknown names refused, old names accepted, errors in one sentence.

The SDK checks a call's arguments against the tool's signature, ignores names
it does not know and reports a failure as pydantic's multi-line dump.
:class:`StrictServer` first refuses an argument the tool does not take, as the
REST service refuses an unknown field, naming the ones it does take (each
tool's input schema says ``additionalProperties: false``); renames a
deprecated name (:data:`DEPRECATED`) to its new one; and turns a validation
error into one sentence naming the argument (:func:`describe`).
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from typing import Annotated, Any

from mcp.server.mcpserver import Context, MCPServer
from mcp.server.mcpserver.exceptions import ToolError, UnexpectedToolError
from mcp.server.mcpserver.tools import Tool
from mcp_types import CallToolResult, InputRequiredResult
from pydantic import Field, ValidationError
from pydantic_core import ErrorDetails

from ..keys import NAME_PATTERN
from ..schemas import MAX_ID_CHARS

log = logging.getLogger(__name__)

DEPRECATED: dict[str, dict[str, str]] = {"retrieve_memory": {"query": "task"}}
"""Old argument names still accepted, by tool, with the names that replaced them (``query`` was
``retrieve_memory``'s name for the task text until every tool called it ``task``)."""

BankArg = Annotated[
    Annotated[str, Field(pattern=NAME_PATTERN)] | None,
    Field(description="the memory bank to use; omit it to use this server's default bank"),
]
TaskIdArg = Annotated[
    Annotated[str, Field(min_length=1, max_length=MAX_ID_CHARS)] | None,
    Field(description="the task_id retrieve_memory returned for this task (omit: a new one is made)"),
]

_SHOWN_CHARS = 60
_MUST = {
    "string_type": "must be a string",
    "int_type": "must be an integer",
    "int_parsing": "must be an integer",
    "int_from_float": "must be an integer",
    "float_type": "must be a number",
    "float_parsing": "must be a number",
    "bool_type": "must be true or false",
    "bool_parsing": "must be true or false",
    "list_type": "must be a list",
    "model_type": "must be an object",
    "model_attributes_type": "must be an object",
    "dict_type": "must be an object",
}
_BOUNDS = {
    "string_too_long": "must be at most {max_length} characters",
    "string_too_short": "must be at least {min_length} characters",
    "too_long": "must hold at most {max_length} items",
    "too_short": "must hold at least {min_length} item(s)",
    "string_pattern_mismatch": "must match the pattern {pattern}",
    "less_than_equal": "must be at most {le}",
    "greater_than_equal": "must be at least {ge}",
    "less_than": "must be less than {lt}",
    "greater_than": "must be more than {gt}",
    "literal_error": "must be {expected}",
    "enum": "must be {expected}",
}


def where(loc: Sequence[int | str]) -> str:
    """``("steps", 0, "action")`` as ``steps[0].action``."""
    out = ""
    for part in loc:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out or "arguments"


def shown(value: object, kind: str) -> str:
    """What a sentence quotes of a rejected value: short, on one line."""
    if kind in ("string_too_long", "string_too_short") and isinstance(value, str):
        return f"{len(value)}"
    if isinstance(value, list):
        return f"a list of {len(value)}"
    if isinstance(value, dict):
        return "an object"
    if value is None:
        return "null"
    text = repr(value)
    return (
        text if len(text) <= _SHOWN_CHARS and "\n" not in text else f"{type(value).__name__} {text[:40]}..."
    )


def sentence(err: ErrorDetails) -> str:
    """One validation error as ``argument 'x' must be ...; got ...``."""
    name = repr(where(err["loc"]))
    kind = err["type"]
    ctx = err.get("ctx") or {}
    if kind == "missing":
        return f"argument {name} is required"
    if kind == "extra_forbidden":
        return f"argument {name} is not accepted"
    if kind == "string_too_short" and ctx.get("min_length") == 1:
        must = "must not be empty"
    elif kind in _BOUNDS:
        must = _BOUNDS[kind].format(**ctx)
    else:
        must = _MUST.get(kind, f"is not valid ({err['msg'][:1].lower()}{err['msg'][1:]})")
    return f"argument {name} {must}; got {shown(err.get('input'), kind)}"


def describe(exc: ValidationError) -> str:
    """``exc`` as one sentence: its first error, and how many more there are."""
    errors = exc.errors(include_url=False)
    if not errors:
        return "the arguments are not valid"
    more = f" (and {len(errors) - 1} more problem(s))" if len(errors) > 1 else ""
    return sentence(errors[0]) + more


class StrictServer(MCPServer):
    """An MCP server whose tools refuse unknown arguments and say what is wrong in one sentence."""

    def __init__(self, *args: Any, tools: Sequence[Tool], **kwargs: Any) -> None:
        for tool in tools:
            tool.parameters["additionalProperties"] = False  # say so in the published schema too
        super().__init__(*args, tools=list(tools), **kwargs)
        self.accepted = {t.name: tuple(t.parameters.get("properties", {})) for t in tools}

    def checked(self, tool: str, arguments: dict[str, Any]) -> dict[str, Any]:
        """``arguments`` with deprecated names renamed; :class:`ToolError` for a name not taken."""
        accepted = self.accepted.get(tool)
        if accepted is None:  # not a tool of this server: the SDK says "Unknown tool"
            return arguments
        args = dict(arguments)
        for old, new in DEPRECATED.get(tool, {}).items():
            if old in args:
                if new in args:
                    raise ToolError(
                        f"Error executing tool {tool}: give {new!r} only ({old!r} is its deprecated old name)"
                    )
                log.warning("tool %s: argument %r is deprecated, send %r", tool, old, new)
                args[new] = args.pop(old)
        unknown = [name for name in args if name not in accepted]
        if unknown:
            raise ToolError(
                f"Error executing tool {tool}: unknown argument {unknown[0]!r}; "
                f"{tool} accepts: {', '.join(accepted)}"
            )
        return args

    async def call_tool(
        self, name: str, arguments: dict[str, Any], context: Context[Any, Any] | None = None
    ) -> CallToolResult | InputRequiredResult:
        try:
            return await super().call_tool(name, self.checked(name, arguments), context)
        except ToolError as exc:
            cause = exc.__cause__
            if isinstance(exc, UnexpectedToolError) or not isinstance(cause, ValidationError):
                raise
            raise ToolError(f"Error executing tool {name}: {describe(cause)}") from cause
