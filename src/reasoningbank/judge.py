"""LLM-as-a-judge: label a finished trajectory success or failure, without ground truth.

The judge sees the task, the numbered action history, the final state (last
observation, else last thought) and the final answer. It never sees
``Trajectory.meta``. Output that cannot be read gets one retry with a format
reminder; after that the verdict is ``failure`` with ``parsed=False``.
"""

from __future__ import annotations

import re
from typing import Any, Protocol, runtime_checkable

from .config import JudgePrompt
from .llm import LLM, Message
from .llm.ask import ask_parsed
from .models import Label, Trajectory, Usage, Verdict
from .prompts import get_prompt
from .text.formatting import DEFAULT_LIMITS, Limits, action_history, final_state
from .text.jsontext import find_json


@runtime_checkable
class Judge(Protocol):
    """Labels a finished trajectory; never sees the benchmark's score."""

    @property
    def prompt_version(self) -> str: ...

    def judge(self, trajectory: Trajectory) -> tuple[Verdict, Usage]:
        """The verdict and the usage of every model call made for it."""
        ...


JUDGE_JSON_SCHEMA: dict[str, Any] = {
    "type": "object",
    "properties": {
        "thoughts": {"type": "string", "maxLength": 1200},
        "status": {"type": "string", "enum": ["success", "failure"]},
    },
    "required": ["thoughts", "status"],
    "additionalProperties": False,
}

_STATUS_LINE = re.compile(r"^[\s>*_#`-]*status[\s*_`]*[:=\-]\s*(.*)$", re.IGNORECASE | re.MULTILINE)
_THOUGHTS = re.compile(
    r"^[\s>*_#`-]*thoughts?[\s*_`]*[:=\-]\s*(.*?)(?=^[\s>*_#`-]*status[\s*_`]*[:=\-]|\Z)",
    re.IGNORECASE | re.MULTILINE | re.DOTALL,
)
_WORDS = re.compile(r"[a-z]+")


def normalise_status(value: str) -> Label | None:
    """Map a status string to a label; None if it is ambiguous or unknown.

    Quotes, Markdown and punctuation are ignored. ``unsuccessful``, ``not
    successful`` and any word starting with ``fail`` mean failure.
    """
    words = _WORDS.findall(value.lower())
    says_success = any(w.startswith("success") for w in words)
    says_fail = any(w.startswith("fail") for w in words)
    negated = any(w.startswith("unsuccess") for w in words) or ("not" in words and says_success)
    if negated:
        return "failure"
    if says_success and says_fail:
        return None  # e.g. 'success or failure' echoed from the instructions
    if says_fail:
        return "failure"
    if says_success:
        return "success"
    return None


def parse_verdict_text(text: str) -> tuple[Label | None, str]:
    """Parse judge output (``Thoughts:``/``Status:`` lines or JSON) into ``(label, thoughts)``."""
    obj = find_json(text)
    if isinstance(obj, dict):
        lowered = {str(k).lower(): v for k, v in obj.items()}
        status = lowered.get("status", lowered.get("label"))
        if isinstance(status, str):
            label = normalise_status(status)
            if label is not None:
                thoughts = lowered.get("thoughts", lowered.get("reasoning", ""))
                return label, str(thoughts).strip()
    found = _THOUGHTS.findall(text)
    thoughts = found[-1].strip() if found else ""
    # the last readable Status line wins (an earlier one may echo the instructions)
    for value in reversed(_STATUS_LINE.findall(text)):
        label = normalise_status(value)
        if label is not None:
            return label, thoughts or text.strip()
    bare = text.strip().strip("\"'`*.!").strip()
    if bare and len(bare.split()) <= 2:
        label = normalise_status(bare)
        if label is not None:
            return label, ""
    return None, thoughts


class LLMJudge:
    """Label a trajectory success or failure with an LLM (the paper's judge).

    ``prompt="paper"`` uses the two-line ``Thoughts:``/``Status:`` format;
    ``"small-local"`` asks for JSON under :data:`JUDGE_JSON_SCHEMA`.
    """

    def __init__(
        self,
        llm: LLM,
        *,
        temperature: float = 0.0,
        prompt: JudgePrompt = "paper",
        max_tokens: int | None = None,
        limits: Limits = DEFAULT_LIMITS,
    ) -> None:
        if prompt not in ("paper", "small-local"):
            raise ValueError(f"unknown judge prompt {prompt!r}; expected 'paper' or 'small-local'")
        self.llm = llm
        self.temperature = temperature
        self.prompt = prompt
        self.max_tokens = max_tokens
        self.limits = limits
        key = prompt.replace("-", "_")
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
        )
        if answer.value is not None:
            label, thoughts = answer.value
            verdict = Verdict(
                label=label, thoughts=thoughts, judge_model=answer.model, parsed=True, raw=answer.attempts[-1]
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
        )
        return verdict, answer.usage


def _readable_verdict(text: str) -> tuple[Label, str] | None:
    label, thoughts = parse_verdict_text(text)
    return None if label is None else (label, thoughts)
