"""mini-swe-agent ``.traj.json`` files (``"trajectory_format": "mini-swe-agent-1"``).

The messages are read like a chat transcript; the query is the task statement
inside the instance prompt, the final answer is ``info.submission``.
"""

from __future__ import annotations

import re
from typing import Any

from ..models import Trajectory
from .errors import ParseContext, build_trajectory
from .messages import walk_messages

__all__ = ["from_mini_swe", "is_mini_swe", "strip_instance_template"]

_PR_RE = re.compile(r"<pr_description>\s*(.*?)\s*</pr_description>", re.DOTALL)
_PR_LEAD = re.compile(r"^Consider the following PR description:\s*", re.IGNORECASE)
_ISSUE_RE = re.compile(
    r"^Please solve this issue:\s*(.*?)(?:\n\s*\nYou can execute bash commands.*)?$", re.DOTALL
)


def strip_instance_template(text: str) -> str:
    """The task statement inside mini-swe-agent's instance prompt (text unchanged if unrecognised)."""
    m = _PR_RE.search(text)
    if m:
        return _PR_LEAD.sub("", m.group(1)).strip() or text
    m = _ISSUE_RE.match(text.strip())
    if m and m.group(1).strip():
        return m.group(1).strip()
    return text


def is_mini_swe(obj: dict[str, Any]) -> bool:
    """Whether ``obj`` says it is a mini-swe-agent trajectory, or looks like one."""
    fmt = obj.get("trajectory_format")
    return (isinstance(fmt, str) and fmt.startswith("mini-swe-agent")) or (
        fmt is None and isinstance(obj.get("info"), dict) and "messages" in obj and "query" not in obj
    )


def from_mini_swe(obj: dict[str, Any], ctx: ParseContext, line: int | None, default_id: str) -> Trajectory:
    """The trajectory of one mini-swe-agent run."""
    messages = obj.get("messages")
    if not isinstance(messages, list):
        raise ctx.error("must be a list of messages", line, "messages")
    info = obj.get("info", {})
    if not isinstance(info, dict):
        raise ctx.error(f"must be an object, got {type(info).__name__}", line, "info")
    tr = walk_messages(messages, ctx, line)
    if not tr.query_parts:
        raise ctx.error("no user message with the task before the first assistant message", line, "messages")
    instance_prompt = "\n\n".join(tr.query_parts)
    query = strip_instance_template(tr.query_parts[0])
    meta: dict[str, Any] = {
        "source_format": str(obj.get("trajectory_format", "mini-swe-agent")),
        "instance_prompt": instance_prompt,
    }
    if tr.system:
        meta["system"] = "\n\n".join(tr.system)
    info_rest = {k: v for k, v in info.items() if k != "submission"}
    if info_rest:
        meta["info"] = info_rest
    for key, value in obj.items():
        if key not in ("messages", "info", "trajectory_format"):
            meta[key] = value
    instance_id = obj.get("instance_id") or info.get("instance_id")
    submission = info.get("submission")
    if submission is not None and not isinstance(submission, str):
        raise ctx.error(f"must be text, got {type(submission).__name__}", line, "info.submission")
    data: dict[str, Any] = {
        "task_id": ctx.task_id or (instance_id if isinstance(instance_id, str) else None) or default_id,
        "query": ctx.query or query,
        "steps": tr.steps,
        "final_answer": submission,
        "meta": meta,
    }
    return build_trajectory(data, ctx, line)
