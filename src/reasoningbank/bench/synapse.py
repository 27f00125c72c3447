"""The Synapse baseline's extractor: the trajectory itself becomes one memory item (no LLM call)."""

from __future__ import annotations

from ..extract import ExtractionResult
from ..models import MemoryItem, Trajectory, Usage, Verdict
from ..text.formatting import Limits, think_action_blocks

SYNAPSE_PROMPT_VERSION = "synapse_trajectory@1"
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
