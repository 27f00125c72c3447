"""The settings of each component of the learning loop: one frozen section per component.

A preset (:class:`~reasoningbank.config.preset.Preset`) is a name and one of
each section. The modules that implement a choice import its ``Literal`` name
from :mod:`reasoningbank.config`.
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable
from typing import Any, ClassVar, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from ..text.redact import compile_patterns
from .errors import ConfigError

# The choices of each setting.
JudgePrompt = Literal["paper", "small-local"]
JudgeKind = Literal["llm", "evidence"]
JudgeConfidence = Literal["none", "logprobs", "votes"]
ExtractorStyle = Literal["markdown", "json"]
RenderTemplate = Literal["title_content", "all"]
ConsolidationMode = Literal["append", "dedup", "merge"]
ExtractWhen = Literal["always", "when_new"]
SelectAmong = Literal["all", "successes"]


def unknown_key(key: str, valid: Iterable[str]) -> ConfigError:
    """The error for ``key``, naming the nearest of the ``valid`` keys (or all of them)."""
    valid = list(valid)
    near = difflib.get_close_matches(key, valid, n=3, cutoff=0.6)
    hint = f"did you mean {' or '.join(map(repr, near))}?" if near else f"valid keys: {', '.join(valid)}"
    return ConfigError(f"unknown key {key!r}; {hint}")


# How long one request of a call kind may take, in seconds: to a hosted model, and to a server on
# loopback (the bundled llama.cpp, Ollama, vLLM on this host), which generates on the CPU at a few
# tokens a second. Each call kind's section has both, next to its token cap (``max_tokens``).
HOSTED_TIMEOUT_S = 120.0
LOCAL_TIMEOUT_S = 600.0


class Section(BaseModel):
    """One component's settings; an unknown key is an error naming the nearest valid one."""

    model_config = ConfigDict(extra="forbid", frozen=True)
    section: ClassVar[str]

    @model_validator(mode="before")
    @classmethod
    def _known_keys(cls, data: Any) -> Any:
        if isinstance(data, dict):
            for key in data:
                if key not in cls.model_fields:
                    raise unknown_key(
                        f"{cls.section}.{key}", (f"{cls.section}.{f}" for f in cls.model_fields)
                    )
        return data


class JudgeSettings(Section):
    """The judge (``reasoningbank.assemble.make_judge``) and the learning gate."""

    section = "judge"
    # "llm": the paper's open verdict; "evidence": code decides from the episode's evidence where it
    # can, and the model answers one narrow yes/no question otherwise.
    kind: JudgeKind = "llm"
    temperature: float = Field(default=0.0, ge=0.0, le=2.0)
    prompt: JudgePrompt = "paper"
    max_tokens: int | None = Field(default=512, gt=0)
    timeout: float = Field(default=HOSTED_TIMEOUT_S, gt=0)
    local_timeout: float = Field(default=LOCAL_TIMEOUT_S, gt=0)
    # How a verdict gets its probability: the model's own token probability, or agreement
    # over ``votes`` samples ("none": the paper's judge, no probability).
    confidence: JudgeConfidence = "none"
    votes: int = Field(default=3, ge=1, le=15)
    # A verdict less sure than this (max(p, 1 - p)) is recorded as abstained and teaches nothing.
    min_confidence: float = Field(default=0.0, ge=0.0, le=1.0)


class ExtractSettings(Section):
    """The extractor; the field names are ``LLMExtractor``'s arguments, ``when`` the learner's."""

    section = "extract"
    temperature: float = Field(default=1.0, ge=0.0, le=2.0)
    style: ExtractorStyle = "markdown"
    max_items: int = Field(default=3, ge=1, le=20)
    max_tokens: int | None = Field(default=1024, gt=0)
    timeout: float = Field(default=HOSTED_TIMEOUT_S, gt=0)
    local_timeout: float = Field(default=LOCAL_TIMEOUT_S, gt=0)
    show_final_state: bool = False
    generalize_literals: bool = False
    # Show the extractor why the episode was judged as it was, and the evidence code read.
    show_evidence: bool = False
    # "when_new": skip extraction when active items of the same kind already come from an
    # experience with the same verdict (and, for a failure, the same rule): they would be merged away.
    when: ExtractWhen = "always"


class ScreenSettings(Section):
    """Screening extracted items before they are stored."""

    section = "screen"
    # Drop items that name page-specific elements (ids, "click(5)", name='tt') and, when
    # agent_actions is known, items telling the agent to call an action it does not have.
    enabled: bool = False
    agent_actions: tuple[str, ...] = ()


class RetrieveSettings(Section):
    """Retrieval (``reasoningbank.retrieve.Retriever``) and how the items are rendered."""

    section = "retrieve"
    k: int = Field(default=1, ge=1)
    template: RenderTemplate = "title_content"
    query_instruction: bool = False
    mask_literals: bool = False
    # Retrieval ignores past experiences whose query is less similar than this (0: never).
    min_score: float = Field(default=0.0, ge=-1.0, le=1.0)


class ConsolidateSettings(Section):
    """Consolidation (``reasoningbank.consolidate.Consolidator``)."""

    section = "consolidate"
    mode: ConsolidationMode = "append"
    # "merge": also drop an item whose text embeds at least this close to a current item's.
    merge_similarity: float = Field(default=0.9, ge=0.0, le=1.0)


class TrackSettings(Section):
    """Item records and retirement (``reasoningbank.records.tracker.ItemTracker``)."""

    section = "track"
    # Tasks whose queries are at least this similar are "of the same kind".
    kind_similarity: float = Field(default=0.9, ge=-1.0, le=1.0)
    # Retire items whose record is net harmful (see reasoningbank.records.record.RetirePolicy).
    retire: bool = False
    retire_min_shown: int = Field(default=3, ge=1)
    retire_margin: float = Field(default=0.25, ge=0.0, le=1.0)


class RedactSettings(Section):
    """Redaction (``reasoningbank.text.redact``) before a trajectory is judged, distilled or stored."""

    section = "redact"
    # Replace API keys, tokens, passwords and private keys with [REDACTED:<kind>], and also text
    # matching these regular expressions (Python ``re`` syntax; each should run in linear time).
    secrets: bool = True
    patterns: tuple[str, ...] = ()

    @field_validator("patterns")
    @classmethod
    def _patterns_compile(cls, v: tuple[str, ...]) -> tuple[str, ...]:
        compile_patterns(v)  # a bad pattern fails when the settings are read, not mid-learn
        return v


class ScaleSettings(Section):
    """MaTTS (``reasoningbank.scaling.MaTTS``): which rollouts best-of-N chooses among, and whether
    sequential refinement stops at a judged success. Both default to the paper's procedure."""

    section = "scale"
    # "successes": best-of-N is shown only the rollouts the judge called a success when there is one
    # (a single success is the answer, with no selector call); with none, all of them, as with "all".
    select_among: SelectAmong = "all"
    # Sequential scaling stops after the first pass the judge calls a success; later passes are not run.
    stop_on_success: bool = False


SECTIONS: dict[str, type[Section]] = {
    s.section: s
    for s in (
        JudgeSettings,
        ExtractSettings,
        ScreenSettings,
        RetrieveSettings,
        ConsolidateSettings,
        TrackSettings,
        RedactSettings,
        ScaleSettings,
    )
}

# The flat keys of the one-level preset (before the sections), still accepted: key -> (section, field).
FLAT_KEYS: dict[str, tuple[str, str]] = {
    "judge_kind": ("judge", "kind"),
    "judge_temperature": ("judge", "temperature"),
    "judge_prompt": ("judge", "prompt"),
    "judge_max_tokens": ("judge", "max_tokens"),
    "judge_timeout": ("judge", "timeout"),
    "judge_local_timeout": ("judge", "local_timeout"),
    "judge_confidence": ("judge", "confidence"),
    "judge_votes": ("judge", "votes"),
    "learn_min_confidence": ("judge", "min_confidence"),
    "extractor_temperature": ("extract", "temperature"),
    "extractor_style": ("extract", "style"),
    "extractor_max_tokens": ("extract", "max_tokens"),
    "extractor_timeout": ("extract", "timeout"),
    "extractor_local_timeout": ("extract", "local_timeout"),
    "extractor_final_state": ("extract", "show_final_state"),
    "extractor_generalize_literals": ("extract", "generalize_literals"),
    "extractor_show_evidence": ("extract", "show_evidence"),
    "extract_when": ("extract", "when"),
    "max_items": ("extract", "max_items"),
    "screen_items": ("screen", "enabled"),
    "agent_actions": ("screen", "agent_actions"),
    "k": ("retrieve", "k"),
    "render_template": ("retrieve", "template"),
    "query_instruction": ("retrieve", "query_instruction"),
    "query_mask_literals": ("retrieve", "mask_literals"),
    "retrieval_min_score": ("retrieve", "min_score"),
    "consolidation": ("consolidate", "mode"),
    "merge_similarity": ("consolidate", "merge_similarity"),
    "kind_similarity": ("track", "kind_similarity"),
    "retire_items": ("track", "retire"),
    "retire_min_shown": ("track", "retire_min_shown"),
    "retire_margin": ("track", "retire_margin"),
    "redact_secrets": ("redact", "secrets"),
    "redact_patterns": ("redact", "patterns"),
    "matts_select_among": ("scale", "select_among"),
    "matts_stop_on_success": ("scale", "stop_on_success"),
}
