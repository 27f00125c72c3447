"""Raw-experience extractors, no LLM call: Synapse's whole trajectory as one memory item, and a
compact record of a judged success (ExpRAG-style: the goal, the actions that solved it, how it
ended), a memory form of its own against condensed lessons."""

from __future__ import annotations

from ..extract import ExtractionResult
from ..models import MemoryItem, Trajectory, Usage, Verdict
from ..text.formatting import Limits, action_history, think_action_blocks

SYNAPSE_PROMPT_VERSION = "synapse_trajectory@1"
EXPERIENCE_PROMPT_VERSION = "compact_experience@1"
_SYNAPSE_LIMITS = Limits(head_steps=15, tail_steps=35, max_field_chars=1500, max_state_chars=2000)


def format_trajectory(trajectory: Trajectory) -> str:
    """Synapse's memory text: ``**Query:** ...`` then ``**Trajectory:**`` think/action blocks."""
    text = (
        f"**Query:** {trajectory.query.strip()}\n\n**Trajectory:**\n"
        f"{think_action_blocks(trajectory, _SYNAPSE_LIMITS)}"
    )
    if trajectory.final_answer and trajectory.final_answer.strip():
        text += f"\n\n**Final answer:** {trajectory.final_answer.strip()}"
    return text


class TrajectoryExtractor:
    """Synapse: the trajectory itself becomes one memory item (no LLM call)."""

    def prompt_version(self, verdict: Verdict) -> str:
        return SYNAPSE_PROMPT_VERSION

    def extract(self, trajectory: Trajectory, verdict: Verdict) -> ExtractionResult:
        prefix = "Past attempt" if verdict.success else "Past failed attempt"
        item = MemoryItem(
            title=f"{prefix}: {trajectory.query.strip()[:90]}",
            description="A past trajectory on a similar task, stored verbatim.",
            content=format_trajectory(trajectory),
            origin="trajectory",
        )
        return ExtractionResult(
            items=[item], raw="", note="", usage=Usage(), prompt_version=SYNAPSE_PROMPT_VERSION
        )


def compact_record(trajectory: Trajectory) -> str:
    """``**Task:**``, the numbered actions (with what each acted on) and how the episode ended."""
    ended = str(trajectory.meta.get("stop_reason") or "unknown")
    steps = len(trajectory.steps)
    result = f"the episode ended ({ended}) after {steps} step{'s' if steps != 1 else ''}"
    if trajectory.final_answer and trajectory.final_answer.strip():
        result += f", answering {trajectory.final_answer.strip()!r}"
    return (
        f"**Task:** {trajectory.query.strip()}\n**Actions:**\n{action_history(trajectory, _SYNAPSE_LIMITS)}"
        f"\n**Result:** {result}."
    )


class CompactExperienceExtractor:
    """A judged success becomes one compact record (no LLM call); a failure yields nothing (the
    ExpRAG finding: storing failures as raw experience hurt)."""

    def prompt_version(self, verdict: Verdict) -> str:
        return EXPERIENCE_PROMPT_VERSION

    def extract(self, trajectory: Trajectory, verdict: Verdict) -> ExtractionResult:
        items = []
        if verdict.success:
            items.append(
                MemoryItem(
                    title=f"Solved before: {trajectory.query.strip()[:90]}",
                    description="The actions that solved a similar task.",
                    content=compact_record(trajectory),
                    origin="trajectory",
                )
            )
        note = "" if items else "a judged failure: compact experience keeps successes only"
        return ExtractionResult(
            items=items, raw="", note=note, usage=Usage(), prompt_version=EXPERIENCE_PROMPT_VERSION
        )
