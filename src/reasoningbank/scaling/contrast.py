"""Self-contrast extraction: memory items from several attempts at one task, compared.

All k trajectories go to one extraction call with their verdicts (the authors'
code dropped the labels and read one trajectory k times); at most 5 items come
back, with origin ``contrast``. The reply is parsed, capped, screened for the
prompt's example and generalised like any extraction (:mod:`reasoningbank.extract.items`).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import KW_ONLY, dataclass, field

from ..config import ExtractorStyle
from ..extract.items import ExtractionResult, ask_items, finish_items
from ..llm import LLM, Message
from ..models import Trajectory, Verdict
from ..prompts import PromptTemplate, get_prompt
from ..text.formatting import Limits, final_state, think_action_blocks

CONTRAST_LIMITS = Limits(head_steps=10, tail_steps=20, max_field_chars=1000, max_state_chars=1500)
CONTRAST_MAX_ITEMS = 5
# The fields of a preset's extract section that are also this extractor's arguments.
CONTRAST_SETTINGS = frozenset(
    {"style", "temperature", "max_tokens", "show_final_state", "generalize_literals"}
)


def _verdict_word(v: Verdict | None) -> str:
    if v is None or v.label == "abstained":
        return "not sure"
    return v.label


@dataclass(eq=False)
class ContrastExtractor:
    """One extraction over k judged rollouts of a task, contrasted against each other."""

    llm: LLM
    _: KW_ONLY
    style: ExtractorStyle = "markdown"
    temperature: float = 1.0
    max_tokens: int | None = None
    max_items: int = CONTRAST_MAX_ITEMS
    show_final_state: bool = False
    generalize_literals: bool = False
    _system: PromptTemplate = field(init=False, repr=False)
    _user: PromptTemplate = field(init=False, repr=False)
    _retry: PromptTemplate = field(init=False, repr=False)

    def __post_init__(self) -> None:
        if self.style not in ("markdown", "json"):
            raise ValueError(f"unknown extractor style {self.style!r}; expected 'markdown' or 'json'")
        self._system = get_prompt("matts_parallel_json" if self.style == "json" else "matts_parallel")
        self._user = get_prompt("matts_parallel_user")
        self._retry = get_prompt(f"extract_retry_{self.style}")

    @property
    def prompt_version(self) -> str:
        return self._system.version

    def messages(
        self, query: str, trajectories: Sequence[Trajectory], verdicts: Sequence[Verdict | None]
    ) -> list[Message]:
        attempts = [
            {
                "verdict": _verdict_word(v),
                "steps": think_action_blocks(t, CONTRAST_LIMITS),
                "final_state": final_state(t, CONTRAST_LIMITS) if self.show_final_state else "",
            }
            for t, v in zip(trajectories, verdicts, strict=True)
        ]
        return [
            {"role": "system", "content": self._system.render(max_items=self.max_items)},
            {"role": "user", "content": self._user.render(query=query.strip(), attempts=attempts)},
        ]

    def extract(
        self, query: str, trajectories: Sequence[Trajectory], verdicts: Sequence[Verdict | None]
    ) -> ExtractionResult:
        messages = self.messages(query, trajectories, verdicts)
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
            origin="contrast",
            max_items=self.max_items,
            generalize=self.generalize_literals,
        )
        return finished.result(answer, self.prompt_version)
