"""Distil memory items from a judged trajectory with an LLM.

The success or failure prompt is chosen by the verdict. Two output styles:
``markdown`` (the paper's ``# Memory Item`` / ``## Title`` / ``## Description``
/ ``## Content`` layout) and ``json`` (``{"items": [...]}`` under a JSON schema
with length caps, for small local models). Output with no valid item gets one
retry; after that the result has zero items and a note. The raw text of every
attempt is kept.

With ``generalize_literals=True`` the quoted values of the task's query (for
example the name in ``Enter "Agustina" into the text field``) are replaced in
the items by a neutral phrase: small models copy them into their lessons
despite the prompt, and a later task of the same kind then retrieves an item
that tells it to type the previous task's value.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from difflib import SequenceMatcher
from typing import Any, Protocol, runtime_checkable

from pydantic import ValidationError

from .config import ExtractorStyle
from .judge.evidence import gather
from .llm import LLM, Message
from .llm.ask import ask_parsed
from .models import MemoryItem, Origin, Trajectory, Usage, Verdict
from .prompts import get_prompt
from .text.formatting import Limits, final_state, think_action_blocks
from .text.jsontext import find_json
from .text.literals import LITERAL_PLACEHOLDER, generalize_literals, query_literals

TITLE_MAX_CHARS = 100
DESCRIPTION_MAX_CHARS = 200
CONTENT_MAX_CHARS = 500

EXTRACTOR_LIMITS = Limits(head_steps=15, tail_steps=35, max_field_chars=3000, max_state_chars=4000)


def extraction_schema(max_items: int) -> dict[str, Any]:
    """JSON schema for the ``json`` style, with item and length caps."""
    return {
        "type": "object",
        "properties": {
            "items": {
                "type": "array",
                "minItems": 1,
                "maxItems": max_items,
                "items": {
                    "type": "object",
                    "properties": {
                        "title": {"type": "string", "minLength": 1, "maxLength": TITLE_MAX_CHARS},
                        "description": {"type": "string", "maxLength": DESCRIPTION_MAX_CHARS},
                        "content": {"type": "string", "minLength": 1, "maxLength": CONTENT_MAX_CHARS},
                    },
                    "required": ["title", "description", "content"],
                    "additionalProperties": False,
                },
            }
        },
        "required": ["items"],
        "additionalProperties": False,
    }


@dataclass(frozen=True)
class ParsedItem:
    title: str
    description: str
    content: str


@dataclass(frozen=True)
class ExtractionResult:
    items: list[MemoryItem]
    raw: str
    note: str
    usage: Usage
    prompt_version: str
    attempts: list[str] = field(default_factory=list)
    model: str = ""


# ----------------------------------------------------------------------------- markdown parsing

_FENCE = re.compile(r"^\s*(```|~~~)")
_ITEM_MARKER = re.compile(
    r"^\s*(?:#{1,6}\s*)?(?:\*\*|__)?\s*memory\s+item\b\s*#?\s*\d*\s*(?:\*\*|__)?\s*[:.)\-–—]?\s*(?P<tail>.*)$",
    re.IGNORECASE,
)
_FIELD = re.compile(
    r"^\s*(?P<hashes>#{1,6}\s*)?(?:[-*+]\s+)?(?:\d+[.)]\s+)?(?P<bold>\*\*|__)?\s*"
    r"(?P<name>title|description|content)\b\s*(?:\*\*|__)?\s*(?P<colon>[:：])?\s*(?:\*\*|__)?\s*(?P<rest>.*)$",
    re.IGNORECASE,
)


def _clean(text: str) -> str:
    text = text.strip()
    text = re.sub(r"^(?:\*\*|__)\s*|\s*(?:\*\*|__)$", "", text).strip()
    if len(text) >= 2 and text[0] == text[-1] and text[0] in "\"'`":
        text = text[1:-1].strip()
    return text


def parse_markdown_items(text: str) -> list[ParsedItem]:
    """Parse ``# Memory Item`` blocks; tolerant of layout variants. Preamble is dropped."""
    blocks: list[dict[str, list[str]]] = []
    current: dict[str, list[str]] | None = None
    field_name: str | None = None
    for line in text.splitlines():
        if _FENCE.match(line):
            continue
        marker = _ITEM_MARKER.match(line)
        if marker:
            current = {"heading": [marker.group("tail")]}
            blocks.append(current)
            field_name = None
            continue
        m = _FIELD.match(line)
        if m and (m.group("hashes") or m.group("bold") or m.group("colon")):
            name = m.group("name").lower()
            if current is None or name in current:
                # a new item without a "Memory Item" heading
                current = {}
                blocks.append(current)
            field_name = name
            current[field_name] = [m.group("rest")]
            continue
        if current is not None and field_name is not None:
            current[field_name].append(line)
    items: list[ParsedItem] = []
    for block in blocks:
        title = _clean(" ".join(block.get("title", []))) or _clean(" ".join(block.get("heading", [])))
        content = _clean("\n".join(block.get("content", [])))
        description = _clean(" ".join(block.get("description", [])))
        if title and content:
            items.append(ParsedItem(title=title, description=description, content=content))
    return items


def parse_json_items(text: str) -> list[ParsedItem]:
    """Parse ``{"items": [...]}`` (or a bare list) found anywhere in ``text``."""
    value = find_json(text)
    raw_items: Any
    if isinstance(value, dict):
        raw_items = value.get("items", value.get("memory_items"))
        if raw_items is None and "title" in value:
            raw_items = [value]
    else:
        raw_items = value
    if not isinstance(raw_items, list):
        return []
    items: list[ParsedItem] = []
    for obj in raw_items:
        if not isinstance(obj, dict):
            continue
        title = obj.get("title")
        content = obj.get("content")
        description = obj.get("description", "")
        if not isinstance(title, str) or not isinstance(content, str):
            continue
        if not title.strip() or not content.strip():
            continue
        items.append(
            ParsedItem(
                title=_cap(title, TITLE_MAX_CHARS),
                description=_cap(description, DESCRIPTION_MAX_CHARS) if isinstance(description, str) else "",
                content=_cap(content, CONTENT_MAX_CHARS),
            )
        )
    return items


def _cap(text: str, limit: int) -> str:
    """Enforce the schema's length cap (backends that cannot constrain length ignore it)."""
    text = text.strip()
    if len(text) <= limit:
        return text
    cut = text[:limit].rsplit(" ", 1)[0].rstrip(",;: ")
    return (cut or text[:limit]) + "…"


# ----------------------------------------------------------------------------- extractor


_EXAMPLE_RE = re.compile(r'\{"title": "([^"]*)", "description": "([^"]*)", "content": "([^"]*)"\}')


def prompt_examples(system_prompt: str) -> list[ParsedItem]:
    """The example items written into an extraction prompt (not the ``"..."`` schema line)."""
    return [
        ParsedItem(title=t, description=d, content=c)
        for t, d, c in _EXAMPLE_RE.findall(system_prompt)
        if c.strip() not in ("", "...")
    ]


def _norm(text: str) -> str:
    return " ".join(re.findall(r"[a-z0-9]+", text.lower()))


def copies_example(item: ParsedItem, example: ParsedItem) -> bool:
    """True when an extracted item repeats the prompt's example: small models do
    (the 1.5B model put the example's content under 4 of 15 titles in one run)."""
    content, ex = _norm(item.content), _norm(example.content)
    if ex and (content == ex or (len(ex) > 40 and ex in content)):
        return True
    return SequenceMatcher(None, content, ex).ratio() >= 0.85 or _norm(item.title) == _norm(example.title)


@runtime_checkable
class Extractor(Protocol):
    """Distils memory items from a judged trajectory."""

    def extract(self, trajectory: Trajectory, verdict: Verdict) -> ExtractionResult: ...


def evidence_text(trajectory: Trajectory, verdict: Verdict) -> str:
    """Why the episode was judged as it was, and the evidence code read from it, as bullet lines."""
    lines = [f"Judged a {verdict.label}" + (f": {verdict.reason}." if verdict.reason else ".")]
    lines += gather(trajectory).lines()
    return "\n".join(f"- {line}" for line in lines)


class LLMExtractor:
    """Turn a trajectory and its verdict into at most ``max_items`` memory items with an LLM."""

    def __init__(
        self,
        llm: LLM,
        *,
        temperature: float = 1.0,
        style: ExtractorStyle = "markdown",
        max_items: int = 3,
        max_tokens: int | None = None,
        limits: Limits = EXTRACTOR_LIMITS,
        show_final_state: bool = False,
        generalize_literals: bool = False,
        show_evidence: bool = False,
    ) -> None:
        if style not in ("markdown", "json"):
            raise ValueError(f"unknown extractor style {style!r}; expected 'markdown' or 'json'")
        if max_items < 1:
            raise ValueError(f"max_items must be at least 1, got {max_items}")
        self.llm = llm
        self.temperature = temperature
        self.style = style
        self.max_items = max_items
        self.max_tokens = max_tokens
        self.limits = limits
        # The paper shows thoughts and actions only; small models find the mistake more
        # often when they also see where the episode ended (e.g. an empty field).
        self.show_final_state = show_final_state
        self.generalize_literals = generalize_literals
        # The judge's reason and the episode's evidence (how it ended, which values were
        # never used, repeated actions): a small model finds the mistake when it is named.
        self.show_evidence = show_evidence
        suffix = "_json" if style == "json" else ""
        self._system = {
            "success": get_prompt(f"extract_success{suffix}"),
            "failure": get_prompt(f"extract_failure{suffix}"),
        }
        self._retry = get_prompt(f"extract_retry_{style}")
        self._user = get_prompt("extract_user")

    def prompt_version(self, verdict: Verdict) -> str:
        return self._system["success" if verdict.success else "failure"].version

    def messages(self, trajectory: Trajectory, verdict: Verdict) -> list[Message]:
        """The chat messages sent for this trajectory (no retry)."""
        user = self._user.render(
            query=trajectory.query.strip(),
            steps=think_action_blocks(trajectory, self.limits),
            final_answer=(trajectory.final_answer or "").strip(),
            final_state=final_state(trajectory, self.limits) if self.show_final_state else "",
            evidence=evidence_text(trajectory, verdict) if self.show_evidence else "",
        )
        system = self._system["success" if verdict.success else "failure"].render(max_items=self.max_items)
        return [{"role": "system", "content": system}, {"role": "user", "content": user}]

    def parse(self, text: str) -> list[ParsedItem]:
        return parse_json_items(text) if self.style == "json" else parse_markdown_items(text)

    def extract(self, trajectory: Trajectory, verdict: Verdict) -> ExtractionResult:
        """Extract memory items; origin is the verdict's label."""
        if verdict.label == "abstained":
            raise ValueError("nothing is extracted from an abstained verdict")
        messages = self.messages(trajectory, verdict)
        origin: Origin = "success" if verdict.success else "failure"
        answer = ask_parsed(
            self.llm,
            messages,
            lambda text: self.parse(text) or None,
            self._retry.render(max_items=self.max_items),
            temperature=self.temperature,
            max_tokens=self.max_tokens,
            json_schema=extraction_schema(self.max_items) if self.style == "json" else None,
        )
        parsed = answer.value or []
        notes: list[str] = []
        if answer.retried:
            notes.append("first extraction output had no readable memory item; retried once")
        if not parsed:
            notes.append("no valid memory item could be read from the extractor output; stored none")
        if len(parsed) > self.max_items:
            notes.append(f"extractor returned {len(parsed)} items; kept the first {self.max_items}")
            parsed = parsed[: self.max_items]
        examples = prompt_examples(messages[0]["content"])
        kept = [p for p in parsed if not any(copies_example(p, ex) for ex in examples)]
        if len(kept) < len(parsed):
            notes.append(f"dropped {len(parsed) - len(kept)} item(s) copying the prompt's example")
            parsed = kept
        literals = query_literals(trajectory.query) if self.generalize_literals else []
        replaced = 0
        items: list[MemoryItem] = []
        for p in parsed:
            fields = [p.title, p.description, p.content]
            if literals:
                new = [generalize_literals(f, literals) for f in fields]
                replaced += sum(a != b for a, b in zip(fields, new, strict=True))
                fields = new
            try:
                items.append(
                    MemoryItem(title=fields[0], description=fields[1], content=fields[2], origin=origin)
                )
            except ValidationError as exc:
                notes.append(f"dropped an invalid item ({exc.errors()[0]['msg']})")
        if replaced:
            notes.append(
                f"replaced the task's quoted values with '{LITERAL_PLACEHOLDER}' in {replaced} field(s)"
            )
        return ExtractionResult(
            items=items,
            raw=answer.raw,
            note="; ".join(notes),
            usage=answer.usage,
            prompt_version=self.prompt_version(verdict),
            attempts=answer.attempts,
            model=answer.model,
        )
