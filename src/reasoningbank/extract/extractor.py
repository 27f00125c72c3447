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

from dataclasses import KW_ONLY, dataclass, field
from typing import Protocol, runtime_checkable

from ..config import ExtractorStyle
from ..judge.evidence import gather
from ..llm import LLM, Message
from ..models import Origin, Trajectory, Verdict
from ..prompts import PromptTemplate, get_prompt
from ..text.formatting import Limits, final_state, think_action_blocks
from .items import (
    ExtractionResult,
    ParsedItem,
    ask_items,
    finish_items,
    parse_items,
)

EXTRACTOR_LIMITS = Limits(head_steps=15, tail_steps=35, max_field_chars=3000, max_state_chars=4000)


@runtime_checkable
class Extractor(Protocol):
    """Distils memory items from a judged trajectory."""

    def extract(self, trajectory: Trajectory, verdict: Verdict) -> ExtractionResult: ...


def evidence_text(trajectory: Trajectory, verdict: Verdict) -> str:
    """Why the episode was judged as it was, and the evidence code read from it, as bullet lines."""
    lines = [f"Judged a {verdict.label}" + (f": {verdict.reason}." if verdict.reason else ".")]
    lines += gather(trajectory).lines()
    return "\n".join(f"- {line}" for line in lines)


@dataclass(eq=False)
class ModelExtraction:
    """What every extraction by a model shares: the model, the reply style, the item cap, and one
    step that asks for items (re-asking once for a reply that does not parse) and finishes them
    (caps, the prompt's example, placeholders, the task's values generalised)."""

    llm: LLM
    _: KW_ONLY
    temperature: float = 1.0
    style: ExtractorStyle = "markdown"
    max_items: int = 3
    max_tokens: int | None = None
    # The paper shows thoughts and actions only; small models find the mistake more
    # often when they also see where the episode ended (e.g. an empty field).
    show_final_state: bool = False
    generalize_literals: bool = False
    _retry: PromptTemplate = field(init=False, repr=False)

    def __post_init__(self) -> None:
        if self.style not in ("markdown", "json"):
            raise ValueError(f"unknown extractor style {self.style!r}; expected 'markdown' or 'json'")
        if self.max_items < 1:
            raise ValueError(f"max_items must be at least 1, got {self.max_items}")
        self._retry = get_prompt(f"extract_retry_{self.style}")

    def ask(self, messages: list[Message], *, query: str, origin: Origin, version: str) -> ExtractionResult:
        """The items a reply to ``messages`` holds, finished and stamped with ``origin``."""
        answer = ask_items(
            self.llm,
            messages,
            style=self.style,
            max_items=self.max_items,
            retry_prompt=self._retry.render(max_items=self.max_items),
            temperature=self.temperature,
            max_tokens=self.max_tokens,
        )
        finished = finish_items(
            answer,
            system_prompt=messages[0]["content"],
            query=query,
            origin=origin,
            max_items=self.max_items,
            generalize=self.generalize_literals,
        )
        return finished.result(answer, version)


@dataclass(eq=False)
class LLMExtractor(ModelExtraction):
    """Turn a trajectory and its verdict into at most ``max_items`` memory items with an LLM."""

    limits: Limits = EXTRACTOR_LIMITS
    # The judge's reason and the episode's evidence (how it ended, which values were
    # never used, repeated actions): a small model finds the mistake when it is named.
    show_evidence: bool = False
    # None: the verdict's label; MaTTS's sequential scaling marks its items "refinement"
    origin: Origin | None = None
    _system: dict[str, PromptTemplate] = field(init=False, repr=False)
    _user: PromptTemplate = field(init=False, repr=False)

    def __post_init__(self) -> None:
        super().__post_init__()
        suffix = "_json" if self.style == "json" else ""
        self._system = {
            "success": get_prompt(f"extract_success{suffix}"),
            "failure": get_prompt(f"extract_failure{suffix}"),
        }
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
        return parse_items(text, self.style)

    def extract(self, trajectory: Trajectory, verdict: Verdict) -> ExtractionResult:
        """Extract memory items; origin is the verdict's label."""
        if verdict.label == "abstained":
            raise ValueError("nothing is extracted from an abstained verdict")
        origin = self.origin if self.origin is not None else ("success" if verdict.success else "failure")
        return self.ask(
            self.messages(trajectory, verdict),
            query=trajectory.query,
            origin=origin,
            version=self.prompt_version(verdict),
        )
