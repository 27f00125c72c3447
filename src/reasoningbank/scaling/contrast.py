"""Self-contrast extraction: memory items from several attempts at one task, compared.

All k trajectories go to one extraction call with their verdicts (the authors'
code dropped the labels and read one trajectory k times); at most 5 items come
back, with origin ``contrast``. The reply is parsed, capped, screened for the
prompt's example and generalised like any extraction (:mod:`reasoningbank.extract.items`).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from ..extract.extractor import ModelExtraction
from ..extract.items import ExtractionResult
from ..llm import Message
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
class ContrastExtractor(ModelExtraction):
    """One extraction over k judged rollouts of a task, contrasted against each other."""

    max_items: int = CONTRAST_MAX_ITEMS
    _system: PromptTemplate = field(init=False, repr=False)
    _user: PromptTemplate = field(init=False, repr=False)

    def __post_init__(self) -> None:
        super().__post_init__()
        self._system = get_prompt("matts_parallel_json" if self.style == "json" else "matts_parallel")
        self._user = get_prompt("matts_parallel_user")

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
        return self.ask(messages, query=query, origin="contrast", version=self.prompt_version)
