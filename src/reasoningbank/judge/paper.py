"""The paper's judge: one open success/failure verdict from an LLM, without ground truth.

The judge sees the task, the numbered action history, the final state (last
observation, else last thought) and the final answer. It never sees
``Trajectory.meta``. Output that cannot be read gets one retry with a format
reminder; after that the verdict is ``failure`` with ``parsed=False``. With
``top_logprobs`` set, the verdict carries ``p_success``: the probability the
model gave to its status word.
"""

from __future__ import annotations

from dataclasses import KW_ONLY, dataclass, field

from ..config import JudgePrompt
from ..llm import LLM, Message
from ..llm.ask import ask_parsed
from ..models import Label, Trajectory, Usage, Verdict
from ..prompts import PromptTemplate, get_prompt
from ..text.formatting import DEFAULT_LIMITS, Limits, action_history, final_state
from .confidence import status_probability
from .parsing import JUDGE_JSON_SCHEMA, parse_verdict_text


@dataclass(eq=False)
class LLMJudge:
    """Label a trajectory success or failure with an LLM (the paper's judge).

    ``prompt="paper"`` uses the two-line ``Thoughts:``/``Status:`` format;
    ``"small-local"`` asks for JSON under :data:`JUDGE_JSON_SCHEMA`.
    """

    llm: LLM
    _: KW_ONLY
    temperature: float = 0.0
    prompt: JudgePrompt = "paper"
    max_tokens: int | None = None
    limits: Limits = DEFAULT_LIMITS
    top_logprobs: int | None = None
    _system: PromptTemplate = field(init=False, repr=False)
    _retry: PromptTemplate = field(init=False, repr=False)
    _user: PromptTemplate = field(init=False, repr=False)

    def __post_init__(self) -> None:
        if self.prompt not in ("paper", "small-local"):
            raise ValueError(f"unknown judge prompt {self.prompt!r}; expected 'paper' or 'small-local'")
        key = self.prompt.replace("-", "_")
        self._system = get_prompt(f"judge_{key}")
        self._retry = get_prompt(f"judge_retry_{key}")
        self._user = get_prompt("judge_user")

    @property
    def prompt_version(self) -> str:
        return self._system.version

    def messages(self, trajectory: Trajectory) -> list[Message]:
        """The chat messages sent to the judge (no retry)."""
        answer = (trajectory.final_answer or "").strip() or "N/A"
        user = self._user.render(
            intent=trajectory.query.strip(),
            actions=action_history(trajectory, self.limits),
            final_state=final_state(trajectory, self.limits),
            answer=answer,
        )
        return [
            {"role": "system", "content": self._system.render()},
            {"role": "user", "content": user},
        ]

    def judge(self, trajectory: Trajectory) -> tuple[Verdict, Usage]:
        """Judge ``trajectory``; return the verdict and the usage of all calls made."""
        answer = ask_parsed(
            self.llm,
            self.messages(trajectory),
            _readable_verdict,
            self._retry.render(),
            temperature=self.temperature,
            max_tokens=self.max_tokens,
            json_schema=JUDGE_JSON_SCHEMA if self.prompt == "small-local" else None,
            top_logprobs=self.top_logprobs,
        )
        if answer.value is not None:
            label, thoughts = answer.value
            p = status_probability(answer.logprobs) if answer.logprobs else None
            verdict = Verdict(
                label=label,
                thoughts=thoughts,
                judge_model=answer.model,
                parsed=True,
                raw=answer.attempts[-1],
                p_success=p,
            )
            return verdict, answer.usage
        verdict = Verdict(
            label="failure",
            thoughts=(
                "The judge's output could not be parsed after one retry, so the trajectory "
                "is labelled failure by default."
            ),
            judge_model=answer.model,
            parsed=False,
            raw=answer.raw,
            reason="unreadable judge output",
        )
        return verdict, answer.usage


def _readable_verdict(text: str) -> tuple[Label, str] | None:
    label, thoughts = parse_verdict_text(text)
    return None if label is None else (label, thoughts)
