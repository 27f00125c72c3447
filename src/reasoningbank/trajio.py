"""Load agent trajectories from files, whatever shape they come in.

:func:`load_trajectories` auto-detects four formats:

* our JSON: one :class:`~reasoningbank.models.Trajectory` object or a list of them;
* our JSONL: one object per line (each line may also be a chat transcript);
* an OpenAI-style chat transcript: a list of ``{role, content}`` messages or
  ``{"messages": [...]}`` -- the first user message is the query and each
  assistant message becomes a step;
* a mini-swe-agent ``.traj.json`` file (``"trajectory_format": "mini-swe-agent-1"``).

The whole file is parsed and validated before anything is returned, so a
caller that loads first and stores afterwards never stores half a file. Any
problem raises :class:`TrajectoryFileError` naming the file and the line.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping, Sequence
from importlib import resources
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from .models import Step, Trajectory

__all__ = [
    "TrajectoryFileError",
    "example_path",
    "load_trajectories",
    "parse_trajectories",
    "split_action",
    "strip_instance_template",
]

EXAMPLE_FILE = "example_trajectories.jsonl"


class TrajectoryFileError(ValueError):
    """A trajectory file that cannot be read; the message names the file and the line."""

    def __init__(self, path: str, message: str, *, line: int | None = None, field: str | None = None):
        self.path = path
        self.line = line
        self.field = field
        self.reason = message
        where = f"{path}:{line}" if line is not None else path
        super().__init__(f"{where}: {message}")


def example_path() -> Path:
    """Path of the bundled example trajectories (JSONL: one failed and one successful web task)."""
    ref = resources.files("reasoningbank").joinpath("data", EXAMPLE_FILE)
    path = Path(str(ref))
    if not path.is_file():
        raise FileNotFoundError(f"bundled example trajectories are missing from the package: {path}")
    return path


# --------------------------------------------------------------------------- entry points


def load_trajectories(
    path: str | Path, *, task_id: str | None = None, query: str | None = None
) -> list[Trajectory]:
    """Read every trajectory in ``path``.

    ``task_id`` and ``query`` override the values found in the file (for every
    trajectory in it). Chat transcripts without a task id get one from the
    file name (``name``, or ``name#N`` when the file holds several).
    """
    p = Path(path)
    if not p.exists():
        raise TrajectoryFileError(str(p), "no such file")
    if p.is_dir():
        raise TrajectoryFileError(str(p), "is a directory, not a trajectory file")
    try:
        text = p.read_text(encoding="utf-8")
    except UnicodeDecodeError as exc:
        raise TrajectoryFileError(str(p), f"not UTF-8 text ({exc.reason} at byte {exc.start})") from exc
    except OSError as exc:
        raise TrajectoryFileError(str(p), f"cannot read file: {exc.strerror or exc}") from exc
    return parse_trajectories(text, source=str(p), task_id=task_id, query=query)


def parse_trajectories(
    text: str,
    *,
    source: str = "<string>",
    task_id: str | None = None,
    query: str | None = None,
) -> list[Trajectory]:
    """Like :func:`load_trajectories` for text already in memory; ``source`` names it in errors."""
    if task_id is not None and not task_id.strip():
        raise TrajectoryFileError(source, "the task id override is empty")
    if query is not None and not query.strip():
        raise TrajectoryFileError(source, "the query override is empty")
    if not text.strip():
        raise TrajectoryFileError(source, "the file is empty: no trajectories")
    ctx = _Context(source=source, default_id=_stem(source), task_id=task_id, query=query)
    try:
        data = json.loads(text)
    except json.JSONDecodeError as whole_err:
        lines = [(n, ln) for n, ln in enumerate(text.splitlines(), start=1) if ln.strip()]
        if len(lines) > 1 and (source.endswith(".jsonl") or _parses(lines[0][1])):
            return _from_jsonl(lines, ctx)
        raise TrajectoryFileError(
            source,
            f"invalid JSON: {whole_err.msg} (column {whole_err.colno})",
            line=whole_err.lineno,
        ) from whole_err
    return _from_json(data, text, ctx)


# --------------------------------------------------------------------------- dispatch


class _Context:
    def __init__(self, *, source: str, default_id: str, task_id: str | None, query: str | None) -> None:
        self.source = source
        self.default_id = default_id
        self.task_id = task_id
        self.query = query

    def error(self, message: str, line: int | None, field: str | None = None) -> TrajectoryFileError:
        text = f"field '{field}': {message}" if field else message
        return TrajectoryFileError(self.source, text, line=line, field=field)


def _stem(source: str) -> str:
    name = Path(source).name
    for suffix in (".traj.json", ".jsonl", ".json"):
        if name.endswith(suffix) and len(name) > len(suffix):
            return name[: -len(suffix)]
    return name or "trajectory"


def _parses(line: str) -> bool:
    try:
        json.loads(line)
    except json.JSONDecodeError:
        return False
    return True


def _from_jsonl(lines: Sequence[tuple[int, str]], ctx: _Context) -> list[Trajectory]:
    out: list[Trajectory] = []
    many = len(lines) > 1
    for idx, (lineno, raw) in enumerate(lines, start=1):
        try:
            obj = json.loads(raw)
        except json.JSONDecodeError as exc:
            raise ctx.error(f"invalid JSON on this line: {exc.msg} (column {exc.colno})", lineno) from exc
        default_id = f"{ctx.default_id}#{idx}" if many else ctx.default_id
        out.append(_from_object(obj, ctx, lineno, default_id))
    return out


def _from_json(data: Any, text: str, ctx: _Context) -> list[Trajectory]:
    if isinstance(data, dict):
        return [_from_object(data, ctx, _first_line(text), ctx.default_id)]
    if isinstance(data, list):
        if not data:
            raise ctx.error("the file holds an empty list: no trajectories", 1)
        if all(isinstance(m, dict) and "role" in m for m in data):
            return [_from_messages(data, {}, ctx, _first_line(text), ctx.default_id)]
        starts = _element_lines(text)
        out: list[Trajectory] = []
        for idx, element in enumerate(data):
            line = starts[idx] if idx < len(starts) else None
            default_id = f"{ctx.default_id}#{idx + 1}" if len(data) > 1 else ctx.default_id
            out.append(_from_object(element, ctx, line, default_id))
        return out
    raise ctx.error(
        f"expected a JSON object or list at the top level, got {type(data).__name__}", _first_line(text)
    )


def _from_object(obj: Any, ctx: _Context, line: int | None, default_id: str) -> Trajectory:
    if not isinstance(obj, dict):
        raise ctx.error(f"expected a JSON object (a trajectory), got {type(obj).__name__}", line)
    fmt = obj.get("trajectory_format")
    if (isinstance(fmt, str) and fmt.startswith("mini-swe-agent")) or (
        fmt is None and isinstance(obj.get("info"), dict) and "messages" in obj and "query" not in obj
    ):
        return _from_mini_swe(obj, ctx, line, default_id)
    if "messages" in obj and "steps" not in obj:
        messages = obj["messages"]
        if not isinstance(messages, list):
            raise ctx.error(f"must be a list of messages, got {type(messages).__name__}", line, "messages")
        extra = {k: v for k, v in obj.items() if k != "messages"}
        return _from_messages(messages, extra, ctx, line, default_id)
    return _validate_native(obj, ctx, line)


def _validate_native(obj: dict[str, Any], ctx: _Context, line: int | None) -> Trajectory:
    data = dict(obj)
    if ctx.task_id is not None:
        data["task_id"] = ctx.task_id
    if ctx.query is not None:
        data["query"] = ctx.query
    return _build(data, ctx, line)


def _build(data: Mapping[str, Any], ctx: _Context, line: int | None) -> Trajectory:
    try:
        return Trajectory.model_validate(dict(data))
    except ValidationError as exc:
        first = exc.errors()[0]
        field = ".".join(str(part) for part in first["loc"]) or None
        more = len(exc.errors()) - 1
        suffix = f" (and {more} more problem{'s' if more > 1 else ''})" if more else ""
        raise ctx.error(f"{first['msg']}{suffix}", line, field) from exc


def _first_line(text: str) -> int:
    for n, ln in enumerate(text.splitlines(), start=1):
        if ln.strip():
            return n
    return 1


def _element_lines(text: str) -> list[int]:
    """Line numbers where each element of a top-level JSON array starts."""
    decoder = json.JSONDecoder()
    pos = text.index("[") + 1
    starts: list[int] = []
    ws = re.compile(r"[\s,]*")
    while True:
        m = ws.match(text, pos)
        pos = m.end() if m else pos
        if pos >= len(text) or text[pos] == "]":
            return starts
        starts.append(text.count("\n", 0, pos) + 1)
        try:
            _, pos = decoder.raw_decode(text, pos)
        except json.JSONDecodeError:
            return starts


# --------------------------------------------------------------------------- chat transcripts


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


def _content_text(content: Any, ctx: _Context, line: int | None, where: str) -> str:
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


def _tool_calls_text(calls: Any, ctx: _Context, line: int | None, where: str) -> str:
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


class _Transcript:
    """The pieces of a chat transcript before they become a Trajectory."""

    def __init__(self) -> None:
        self.system: list[str] = []
        self.query_parts: list[str] = []
        self.steps: list[Step] = []
        self.observations: list[list[str]] = []
        self.last_explicit = True
        self.last_text = ""


def _walk_messages(messages: Sequence[Any], ctx: _Context, line: int | None) -> _Transcript:
    tr = _Transcript()
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


def _from_messages(
    messages: Sequence[Any], extra: dict[str, Any], ctx: _Context, line: int | None, default_id: str
) -> Trajectory:
    tr = _walk_messages(messages, ctx, line)
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
    return _build(data, ctx, line)


# --------------------------------------------------------------------------- mini-swe-agent


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


def _from_mini_swe(obj: dict[str, Any], ctx: _Context, line: int | None, default_id: str) -> Trajectory:
    messages = obj.get("messages")
    if not isinstance(messages, list):
        raise ctx.error("must be a list of messages", line, "messages")
    info = obj.get("info", {})
    if not isinstance(info, dict):
        raise ctx.error(f"must be an object, got {type(info).__name__}", line, "info")
    tr = _walk_messages(messages, ctx, line)
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
    return _build(data, ctx, line)
