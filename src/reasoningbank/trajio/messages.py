"""OpenAI-style chat transcripts: a list of ``{role, content}`` messages becomes a trajectory.

The first user message is the query and each assistant message becomes a step;
what follows an assistant message (user, tool or system messages) is that
step's observation. :func:`walk_messages` is shared with the mini-swe-agent reader.
"""

from __future__ import annotations

import json
import re
from collections.abc import Sequence
from typing import Any

from ..models import Step, Trajectory
from .errors import ParseContext, build_trajectory

__all__ = ["Transcript", "from_messages", "split_action", "walk_messages"]

_TAG_RE = re.compile(r"<action>(.*?)</action>", re.DOTALL | re.IGNORECASE)
_FENCE_RE = re.compile(r"```[^\n`]*\n(.*?)```", re.DOTALL)


def split_action(text: str) -> tuple[str, str, bool]:
    """Split an assistant reply into ``(thought, action, explicit)``.

    The action is the first ``<action>...</action>`` tag or, failing that, the
    first fenced code block; the thought is the text around it. With neither,
    the whole text is the action and ``explicit`` is False.
    """
    match = _TAG_RE.search(text) or _FENCE_RE.search(text)
    if match is None:
        return "", text.strip(), False
    before = text[: match.start()].strip()
    after = text[match.end() :].strip()
    thought = "\n\n".join(part for part in (before, after) if part)
    return thought, match.group(1).strip(), True


def _content_text(content: Any, ctx: ParseContext, line: int | None, where: str) -> str:
    if content is None:
        return ""
    if isinstance(content, str):
        return content
    if isinstance(content, list):
        parts: list[str] = []
        for part in content:
            if isinstance(part, str):
                parts.append(part)
            elif isinstance(part, dict) and isinstance(part.get("text"), str):
                parts.append(part["text"])
            else:
                parts.append(json.dumps(part, ensure_ascii=False, sort_keys=True))
        return "\n".join(parts)
    raise ctx.error(f"content must be text or a list of parts, got {type(content).__name__}", line, where)


def _tool_calls_text(calls: Any, ctx: ParseContext, line: int | None, where: str) -> str:
    if not isinstance(calls, list):
        raise ctx.error("tool_calls must be a list", line, where)
    rendered: list[str] = []
    for call in calls:
        fn = call.get("function") if isinstance(call, dict) else None
        if isinstance(fn, dict) and isinstance(fn.get("name"), str):
            args = fn.get("arguments", "")
            if not isinstance(args, str):
                args = json.dumps(args, ensure_ascii=False, sort_keys=True)
            rendered.append(f"{fn['name']}({args})")
        else:
            rendered.append(json.dumps(call, ensure_ascii=False, sort_keys=True))
    return "\n".join(rendered)


class Transcript:
    """The pieces of a chat transcript before they become a Trajectory."""

    def __init__(self) -> None:
        self.system: list[str] = []
        self.query_parts: list[str] = []
        self.steps: list[Step] = []
        self.observations: list[list[str]] = []
        self.last_explicit = True
        self.last_text = ""


def walk_messages(messages: Sequence[Any], ctx: ParseContext, line: int | None) -> Transcript:
    """Sort ``messages`` into system text, query, steps and each step's observations."""
    tr = Transcript()
    for i, msg in enumerate(messages):
        where = f"messages.{i}"
        if not isinstance(msg, dict):
            raise ctx.error(f"expected a message object, got {type(msg).__name__}", line, where)
        role = msg.get("role")
        if not isinstance(role, str):
            raise ctx.error("missing 'role'", line, where)
        text = _content_text(msg.get("content"), ctx, line, f"{where}.content")
        if role in ("system", "developer"):
            if tr.steps:
                tr.observations[-1].append(text)
            else:
                tr.system.append(text)
        elif role == "assistant":
            thought, action, explicit = split_action(text)
            if msg.get("tool_calls"):
                calls = _tool_calls_text(msg["tool_calls"], ctx, line, f"{where}.tool_calls")
                thought, action, explicit = text.strip(), calls, True
            tr.steps.append(Step(thought=thought, action=action))
            tr.observations.append([])
            tr.last_explicit = explicit
            tr.last_text = text.strip()
        elif role in ("user", "tool", "function", "ipython", "environment"):
            if tr.steps:
                tr.observations[-1].append(text)
            else:
                tr.query_parts.append(text)
        else:
            raise ctx.error(f"unknown message role {role!r}", line, f"{where}.role")
    for step, obs in zip(tr.steps, tr.observations, strict=True):
        if obs:
            step.observation = "\n\n".join(obs)
    return tr


def from_messages(
    messages: Sequence[Any], extra: dict[str, Any], ctx: ParseContext, line: int | None, default_id: str
) -> Trajectory:
    """The trajectory of a chat transcript; ``extra`` holds the other keys of its enclosing object."""
    tr = walk_messages(messages, ctx, line)
    meta: dict[str, Any] = {"source_format": "openai-messages"}
    if tr.system:
        meta["system"] = "\n\n".join(tr.system)
    task_id = extra.pop("task_id", None)
    query = extra.pop("query", None)
    final = extra.pop("final_answer", None)
    file_meta = extra.pop("meta", None)
    if isinstance(file_meta, dict):
        meta.update(file_meta)
    elif file_meta is not None:
        meta["meta"] = file_meta
    meta.update(extra)
    if query is None:
        query = "\n\n".join(p for p in tr.query_parts if p.strip())
        if not query:
            raise ctx.error("no user message before the first assistant message: no query", line, "messages")
    elif tr.query_parts:
        meta["user_preamble"] = "\n\n".join(tr.query_parts)
    if final is None and tr.steps and not tr.last_explicit and tr.observations[-1] == []:
        final = tr.last_text
    data: dict[str, Any] = {
        "task_id": ctx.task_id or task_id or default_id,
        "query": ctx.query or query,
        "steps": tr.steps,
        "final_answer": final,
        "meta": meta,
    }
    return build_trajectory(data, ctx, line)
