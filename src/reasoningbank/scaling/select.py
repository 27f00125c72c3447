"""Best-of-N: pick one of several trajectories of the same task (the BoN metric's answer).

The selector is the same backbone as the agent, shown the task and every
trajectory (numbered from 1) with the paper's rubric: progress toward the goal,
efficiency, loops, error severity, overall quality. It answers JSON with a
1-based ``index``, which is validated. On a reply that cannot be read (after
one retry) or an index out of range, the choice falls back to a deterministic
rule, stated in the result: the highest judged p(success) (a success label
first), then the fewest steps, then the first.

With ``among="successes"`` (the preset's ``scale.select_among``) the selector is
shown only the trajectories the judge called a success, when there is one; a
single success is chosen without a model call (``by="success"``), and with none
every trajectory is shown, as with ``"all"``. An abstained or missing verdict is
not a success. The result's index is always into the full list, and
``candidates`` says which trajectories the choice was made among (the selector's
analysis numbers them 1, 2 ... in that order).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from typing import Any, Literal

from ..config import SelectAmong
from ..llm import LLM, Message
from ..llm.ask import ask_parsed
from ..models import Trajectory, Usage, Verdict
from ..prompts import get_prompt
from ..text.formatting import Limits, action_history
from ..text.jsontext import find_json

SELECTOR_LIMITS = Limits(head_steps=10, tail_steps=20, max_field_chars=600, max_state_chars=1000)

SELECTION_SCHEMA: dict[str, Any] = {
    "type": "object",
    "properties": {"index": {"type": "integer"}, "analysis": {"type": "string"}},
    "required": ["index", "analysis"],
}


@dataclass(frozen=True)
class Selection:
    index: int  # 0-based, into all the trajectories
    # "success": the only trajectory judged a success (select_among "successes"; no model call);
    # "last": sequential scaling answers with its last pass
    by: Literal["selector", "fallback", "success", "last"]
    analysis: str
    note: str  # why the fallback was used ("" when the selector chose)
    raw: str
    usage: Usage
    # The trajectories the choice was made among (0-based, in the order shown); () when no choice
    # among trajectories was made (sequential scaling's last pass, a record from before the field).
    candidates: tuple[int, ...] = ()


def parse_index(text: str, n: int) -> tuple[int, str] | None:
    """``(0-based index, analysis)`` from a reply like ``{"index": 2, "analysis": "..."}`` (the
    index may be a list of one, or a numeric string); None when absent or out of 1..n."""
    obj = find_json(text)
    if not isinstance(obj, dict):
        return None
    raw = obj.get("index")
    if isinstance(raw, list) and len(raw) == 1:
        raw = raw[0]
    if isinstance(raw, str) and raw.strip().isdigit():
        raw = int(raw.strip())
    if not isinstance(raw, int) or isinstance(raw, bool) or not 1 <= raw <= n:
        return None
    analysis = obj.get("analysis", "")
    return raw - 1, analysis if isinstance(analysis, str) else str(analysis)


def fallback_index(trajectories: Sequence[Trajectory], verdicts: Sequence[Verdict | None]) -> int:
    """The deterministic choice: a judged success first, then the highest p(success), then the
    fewest steps, then the first."""

    def key(i: int) -> tuple[int, float, int, int]:
        v = verdicts[i] if i < len(verdicts) else None
        success = 1 if v is not None and v.success else 0
        p = v.p_success if v is not None and v.p_success is not None else 0.5
        return (-success, -p, len(trajectories[i].steps), i)

    return min(range(len(trajectories)), key=key)


def candidates(n: int, verdicts: Sequence[Verdict | None], among: SelectAmong) -> list[int]:
    """The trajectories best-of-N chooses among (0-based): all ``n``, or with ``among="successes"``
    those judged a success when at least one is (abstained and missing verdicts are not)."""
    if among not in ("all", "successes"):
        raise ValueError(f"unknown select_among {among!r}; expected 'all' or 'successes'")
    everything = list(range(n))
    if among == "all":
        return everything
    wins = [i for i in everything if i < len(verdicts) and (v := verdicts[i]) is not None and v.success]
    return wins or everything


class BestOfN:
    def __init__(self, llm: LLM, *, temperature: float = 0.0, max_tokens: int | None = 400) -> None:
        self.llm = llm
        self.temperature = temperature
        self.max_tokens = max_tokens
        self._system = get_prompt("matts_bon_selector")

    @property
    def prompt_version(self) -> str:
        return self._system.version

    def messages(self, query: str, trajectories: Sequence[Trajectory]) -> list[Message]:
        parts = [f"Query: {query.strip()}"]
        for n, traj in enumerate(trajectories, start=1):
            parts.append(f"Trajectory {n}:\n{action_history(traj, SELECTOR_LIMITS)}")
        return [
            {"role": "system", "content": self._system.render()},
            {"role": "user", "content": "\n\n".join(parts)},
        ]

    def select(
        self,
        query: str,
        trajectories: Sequence[Trajectory],
        verdicts: Sequence[Verdict | None] = (),
        *,
        among: SelectAmong = "all",
    ) -> Selection:
        """The answer among ``trajectories``: among all of them, or (``among="successes"``) among
        those judged a success when any is; the index is into ``trajectories`` either way."""
        if not trajectories:
            raise ValueError("best-of-N needs at least one trajectory")
        shown = candidates(len(trajectories), verdicts, among)
        if len(shown) == 1:
            if len(trajectories) == 1:
                return Selection(0, "selector", "only one trajectory", "", "", Usage(), (0,))
            return Selection(
                shown[0], "success", "the only trajectory judged a success", "", "", Usage(), tuple(shown)
            )
        picked = self._select(
            query,
            [trajectories[i] for i in shown],
            [verdicts[i] if i < len(verdicts) else None for i in shown],
        )
        return replace(picked, index=shown[picked.index], candidates=tuple(shown))

    def _select(
        self, query: str, trajectories: Sequence[Trajectory], verdicts: Sequence[Verdict | None]
    ) -> Selection:
        """The selector's pick among two or more trajectories (or the fallback's), indexed into them."""
        n = len(trajectories)
        answer = ask_parsed(
            self.llm,
            self.messages(query, trajectories),
            lambda text: parse_index(text, n),
            f'Reply with JSON only: {{"index": <a number from 1 to {n}>, "analysis": "<your reasoning>"}}',
            temperature=self.temperature,
            max_tokens=self.max_tokens,
            json_schema=SELECTION_SCHEMA,
        )
        if answer.value is not None:
            index, analysis = answer.value
            return Selection(index, "selector", analysis, "", answer.raw, answer.usage)
        index = fallback_index(trajectories, verdicts)
        note = (
            f"the selector's reply named no trajectory from 1 to {n} (after one retry); fell back to "
            "the highest judged p(success), then the fewest steps"
        )
        return Selection(index, "fallback", "", note, answer.raw, answer.usage)
