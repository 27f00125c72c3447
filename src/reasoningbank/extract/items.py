"""Memory items out of a model's reply: parsing, caps, and making them ready to store.

Two reply styles: ``markdown`` (the paper's ``# Memory Item`` / ``## Title`` /
``## Description`` / ``## Content`` layout, parsed tolerantly, preamble
dropped) and ``json`` (``{"items": [...]}`` under a JSON schema with length
caps, for small local models). :func:`ask_items` asks a model for items (one
retry on an unreadable reply); :func:`finish_items` caps their number, drops
items that copy the prompt's style example, replaces the task's values
(``generalize``) and validates them, keeping what it dropped and why as
:class:`~reasoningbank.models.Dropped` facts. The extractor and MaTTS's self-contrast
extraction both use them.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from difflib import SequenceMatcher
from typing import Any

from pydantic import ValidationError

from ..config import ExtractorStyle
from ..llm import LLM, Message
from ..llm.ask import Answer, ask_parsed
from ..models import Dropped, MemoryItem, Origin, Skipped, Usage, dropped_notes
from ..text.clean import printable_text
from ..text.jsontext import find_json
from ..text.literals import LITERAL_PLACEHOLDER, generalize_literals, query_literals

TITLE_MAX_CHARS = 100
DESCRIPTION_MAX_CHARS = 200
CONTENT_MAX_CHARS = 500


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
    """An extraction's items, and what it did: ``note`` renders the facts (``dropped``,
    ``literals_replaced``, ``skipped``) and the remarks on the reply for people."""

    items: list[MemoryItem]
    raw: str
    note: str
    usage: Usage
    prompt_version: str
    attempts: list[str] = field(default_factory=list)
    model: str = ""
    dropped: list[Dropped] = field(default_factory=list)
    literals_replaced: int = 0
    skipped: Skipped | None = None  # no extraction was made, and why


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
    """Strip whitespace, one pair of bold markers and one pair of quotes (no regex: a hostile
    run of whitespace must not cost quadratic time)."""
    text = text.strip()
    for marker in ("**", "__"):
        if text.startswith(marker):
            text = text[len(marker) :].strip()
        if text.endswith(marker):
            text = text[: -len(marker)].strip()
    if len(text) >= 2 and text[0] == text[-1] and text[0] in "\"'`":
        text = text[1:-1].strip()
    return text


MAX_REPLY_CHARS = 50_000
"""An extraction reply is read only this far (a few items take a few thousand characters)."""
_HEAD = 400
"""A marker or field name sits at the start of a line: only this much of a line is matched."""


def parse_markdown_items(text: str) -> list[ParsedItem]:
    """Parse ``# Memory Item`` blocks; tolerant of layout variants. Preamble is dropped."""
    blocks: list[dict[str, list[str]]] = []
    current: dict[str, list[str]] | None = None
    field_name: str | None = None
    for line in text[:MAX_REPLY_CHARS].splitlines():
        stripped = line.lstrip()
        head, tail = stripped[:_HEAD], stripped[_HEAD:]
        if _FENCE.match(head):
            continue
        marker = _ITEM_MARKER.match(head)
        if marker:
            current = {"heading": [marker.group("tail") + tail]}
            blocks.append(current)
            field_name = None
            continue
        m = _FIELD.match(head)
        if m and (m.group("hashes") or m.group("bold") or m.group("colon")):
            name = m.group("name").lower()
            if current is None or name in current:
                # a new item without a "Memory Item" heading
                current = {}
                blocks.append(current)
            field_name = name
            current[field_name] = [m.group("rest") + tail]
            continue
        if current is not None and field_name is not None:
            current[field_name].append(line)
    items: list[ParsedItem] = []
    for block in blocks:
        title = _clean(" ".join(block.get("title", []))) or _clean(" ".join(block.get("heading", [])))
        content = _clean("\n".join(block.get("content", [])))
        description = _clean(" ".join(block.get("description", [])))
        if title and content:
            items.append(
                ParsedItem(
                    title=_cap(title, TITLE_MAX_CHARS),
                    description=_cap(description, DESCRIPTION_MAX_CHARS),
                    content=_cap(content, CONTENT_MAX_CHARS),
                )
            )
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


_PLACEHOLDERS = frozenset(
    {
        "",
        "null",
        "none",
        "nil",
        "n/a",
        "na",
        "tbd",
        "todo",
        "-",
        "...",
        "…",
        "title",
        "content",
        "description",
    }
)


def is_placeholder(text: str) -> bool:
    """True for a field that says nothing: "null", "N/A", "<title>", "..." and the like."""
    norm = text.strip().strip("\"'`*_.").strip().lower()
    return norm in _PLACEHOLDERS or (text.strip().startswith("<") and text.strip().endswith(">"))


def parse_items(text: str, style: ExtractorStyle) -> list[ParsedItem]:
    return parse_json_items(text) if style == "json" else parse_markdown_items(text)


def ask_items(
    llm: LLM,
    messages: list[Message],
    *,
    style: ExtractorStyle,
    max_items: int,
    retry_prompt: str,
    temperature: float | None,
    max_tokens: int | None,
) -> Answer[list[ParsedItem]]:
    """Ask for items; one retry with ``retry_prompt`` when no item can be read."""
    return ask_parsed(
        llm,
        messages,
        lambda text: parse_items(text, style) or None,
        retry_prompt,
        temperature=temperature,
        max_tokens=max_tokens,
        json_schema=extraction_schema(max_items) if style == "json" else None,
    )


@dataclass(frozen=True)
class FinishedItems:
    """What :func:`finish_items` made of a parsed answer: the items to store, the items dropped,
    remarks on the reply (a retry, a cap) and how many fields had task values replaced."""

    items: list[MemoryItem]
    dropped: list[Dropped]
    remarks: list[str]
    literals_replaced: int

    @property
    def notes(self) -> list[str]:
        """The remarks, the drops and the replacements, as the extraction note tells them."""
        replaced = self.literals_replaced
        tail = [f"replaced the task's quoted values with '{LITERAL_PLACEHOLDER}' in {replaced} field(s)"]
        return [*self.remarks, *dropped_notes(self.dropped), *(tail if replaced else [])]

    def result(self, answer: Answer[list[ParsedItem]], prompt_version: str) -> ExtractionResult:
        """The extraction result of ``answer`` with these items."""
        return ExtractionResult(
            items=self.items,
            raw=answer.raw,
            note="; ".join(self.notes),
            usage=answer.usage,
            prompt_version=prompt_version,
            attempts=answer.attempts,
            model=answer.model,
            dropped=self.dropped,
            literals_replaced=self.literals_replaced,
        )


def _remarks(answer: Answer[list[ParsedItem]], parsed: list[ParsedItem], max_items: int) -> list[str]:
    remarks: list[str] = []
    if answer.retried:
        remarks.append("first extraction output had no readable memory item; retried once")
    if not parsed:
        remarks.append("no valid memory item could be read from the extractor output; stored none")
    if len(parsed) > max_items:
        remarks.append(f"extractor returned {len(parsed)} items; kept the first {max_items}")
    return remarks


def finish_items(
    answer: Answer[list[ParsedItem]],
    *,
    system_prompt: str,
    query: str,
    origin: Origin,
    max_items: int,
    generalize: bool,
) -> FinishedItems:
    """The items to store from a parsed answer, and what was dropped or changed."""
    parsed = answer.value or []
    remarks = _remarks(answer, parsed, max_items)
    parsed = parsed[:max_items]
    examples = prompt_examples(system_prompt)
    copied = [any(copies_example(p, ex) for ex in examples) for p in parsed]
    dropped = [
        Dropped(reason="example_copy", title=printable_text(p.title))
        for p, c in zip(parsed, copied, strict=True)
        if c
    ]
    kept = [p for p, c in zip(parsed, copied, strict=True) if not c]
    literals = query_literals(query) if generalize else []
    replaced = 0
    items: list[MemoryItem] = []
    for p in kept:
        fields = [printable_text(p.title), printable_text(p.description), printable_text(p.content)]
        if is_placeholder(fields[0]) or is_placeholder(fields[2]):
            dropped.append(Dropped(reason="placeholder", title=fields[0]))
            continue
        if literals:
            new = [generalize_literals(f, literals) for f in fields]
            replaced += sum(a != b for a, b in zip(fields, new, strict=True))
            fields = new
        try:
            items.append(MemoryItem(title=fields[0], description=fields[1], content=fields[2], origin=origin))
        except ValidationError as exc:
            dropped.append(Dropped(reason="invalid", title=fields[0], detail=str(exc.errors()[0]["msg"])))
    return FinishedItems(items, dropped, remarks, replaced)
