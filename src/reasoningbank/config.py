"""Presets (learning-loop settings) and the bank configuration file.

``PRESETS["paper"]`` follows the paper: judge at temperature 0.0, Markdown
extraction at 1.0, at most 3 items, top-1 retrieval, title + content
rendering, append-only consolidation. ``PRESETS["small-local"]`` is tuned for
small local models: JSON extraction under a schema with length caps, addressed
to the agent, at temperature 0.3, with exact-duplicate suppression.

``BankConfig.from_file`` reads TOML or JSON; unknown keys are errors.
"""

from __future__ import annotations

import json
import os
import tomllib
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from .text.redact import compile_patterns

# The choices of each setting. The modules that implement them import these names.
JudgePrompt = Literal["paper", "small-local"]
JudgeKind = Literal["llm", "evidence"]
JudgeConfidence = Literal["none", "logprobs", "votes"]
ExtractorStyle = Literal["markdown", "json"]
RenderTemplate = Literal["title_content", "all"]
ConsolidationMode = Literal["append", "dedup", "merge"]
ExtractWhen = Literal["always", "when_new"]

MODEL_ENV = "REASONINGBANK_MODEL"
API_BASE_ENV = "REASONINGBANK_API_BASE"


class ConfigError(ValueError):
    """A configuration file or value is invalid."""


class Preset(BaseModel):
    """Settings of the learning loop."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    name: str
    # "llm": the paper's open verdict; "evidence": code decides from the episode's evidence where it
    # can, and the model answers one narrow yes/no question otherwise.
    judge_kind: JudgeKind = "llm"
    judge_temperature: float = Field(default=0.0, ge=0.0, le=2.0)
    judge_prompt: JudgePrompt = "paper"
    judge_max_tokens: int | None = Field(default=None, gt=0)
    # How a verdict gets its probability: the model's own token probability, or agreement
    # over judge_votes samples ("none": the paper's judge, no probability).
    judge_confidence: JudgeConfidence = "none"
    judge_votes: int = Field(default=3, ge=1, le=15)
    # A verdict less sure than this (max(p, 1 - p)) is recorded as abstained and teaches nothing.
    learn_min_confidence: float = Field(default=0.0, ge=0.0, le=1.0)
    extractor_temperature: float = Field(default=1.0, ge=0.0, le=2.0)
    extractor_style: ExtractorStyle = "markdown"
    extractor_max_tokens: int | None = Field(default=None, gt=0)
    extractor_final_state: bool = False
    extractor_generalize_literals: bool = False
    # Show the extractor why the episode was judged as it was, and the evidence code read.
    extractor_show_evidence: bool = False
    # "when_new": skip extraction when active items of the same kind already come from an
    # experience with the same verdict (and, for a failure, the same rule): they would be merged away.
    extract_when: ExtractWhen = "always"
    # Drop items that name page-specific elements (ids, "click(5)", name='tt') and, when
    # agent_actions is known, items telling the agent to call an action it does not have.
    screen_items: bool = False
    agent_actions: tuple[str, ...] = ()
    max_items: int = Field(default=3, ge=1, le=20)
    k: int = Field(default=1, ge=1)
    render_template: RenderTemplate = "title_content"
    query_instruction: bool = False
    query_mask_literals: bool = False
    consolidation: ConsolidationMode = "append"
    # "merge": also drop an item whose text embeds at least this close to a current item's.
    merge_similarity: float = Field(default=0.9, ge=0.0, le=1.0)
    # Retrieval ignores past experiences whose query is less similar than this (0: never).
    retrieval_min_score: float = Field(default=0.0, ge=-1.0, le=1.0)
    # Item records: tasks whose queries are at least this similar are "of the same kind".
    kind_similarity: float = Field(default=0.9, ge=-1.0, le=1.0)
    # Retire items whose record is net harmful (see reasoningbank.records.record.RetirePolicy).
    retire_items: bool = False
    retire_min_shown: int = Field(default=3, ge=1)
    retire_margin: float = Field(default=0.25, ge=0.0, le=1.0)
    # Replace API keys, tokens, passwords and private keys with [REDACTED:<kind>] before a
    # trajectory is judged, distilled or stored (reasoningbank.text.redact), and also text
    # matching these regular expressions (Python ``re`` syntax; each should run in linear time).
    redact_secrets: bool = True
    redact_patterns: tuple[str, ...] = ()

    @field_validator("redact_patterns")
    @classmethod
    def _patterns_compile(cls, v: tuple[str, ...]) -> tuple[str, ...]:
        compile_patterns(v)  # a bad pattern fails when the settings are read, not mid-learn
        return v

    def with_overrides(self, overrides: dict[str, Any]) -> Preset:
        """A copy with ``overrides`` applied and validated."""
        if not overrides:
            return self
        return Preset.model_validate({**self.model_dump(), **overrides})


PRESETS: dict[str, Preset] = {
    "paper": Preset(
        name="paper",
        judge_temperature=0.0,
        judge_prompt="paper",
        judge_max_tokens=None,
        extractor_temperature=1.0,
        extractor_style="markdown",
        extractor_max_tokens=None,
        max_items=3,
        k=1,
        render_template="title_content",
        query_instruction=False,
        consolidation="append",
    ),
    "small-local": Preset(
        name="small-local",
        # Measured on the calibration stream (compare8, seeds 0-9; docs/benchmarks.md): the 1.5B
        # model's open verdict was right on 58% of episodes; the evidence rules on 98%. Asked one
        # narrow yes/no question about the episodes no rule decides, its P(yes) did not separate
        # successes from failures, so by default no model is asked at all.
        judge_kind="evidence",
        judge_confidence="none",
        judge_temperature=0.0,
        judge_prompt="paper",
        judge_max_tokens=400,
        learn_min_confidence=0.8,
        extractor_temperature=0.3,
        extractor_style="json",
        extractor_max_tokens=600,
        extractor_final_state=True,
        # The 1.5B model copies the task's values ('Agustina') into its lessons.
        extractor_generalize_literals=True,
        # It finds the mistake far more often when the rule that failed the episode is named.
        extractor_show_evidence=True,
        # A lesson the bank holds is not extracted again; if it does not help, its record retires it
        # and the next such episode is extracted afresh.
        extract_when="when_new",
        # Lessons like "click(5)" or "the element with id 1" are wrong on the next page.
        screen_items=True,
        max_items=3,
        k=1,
        render_template="title_content",
        query_instruction=False,
        # all-MiniLM-L6-v2 ranks queries by their quoted values more than by their kind.
        query_mask_literals=True,
        # Rewordings of one lesson scored 0.88-0.97 against each other, distinct lessons of one
        # kind 0.72-0.82 (compare8's items).
        consolidation="merge",
        merge_similarity=0.88,
        # Masked queries of one task kind are identical (1.0); other kinds scored 0.30-0.91.
        retrieval_min_score=0.9,
        kind_similarity=0.95,
        retire_items=True,
        retire_min_shown=3,
        retire_margin=0.25,
    ),
}


def get_preset(preset: str | Preset) -> Preset:
    """Look up a preset by name (or pass a :class:`Preset` through)."""
    if isinstance(preset, Preset):
        return preset
    try:
        return PRESETS[preset]
    except KeyError:
        raise ConfigError(f"unknown preset {preset!r}; available: {', '.join(sorted(PRESETS))}") from None


def _env(name: str) -> str | None:
    value = os.environ.get(name, "").strip()
    return value or None


class BankConfig(BaseModel):
    """Everything needed to build a :class:`~reasoningbank.bank.ReasoningBank`."""

    model_config = ConfigDict(extra="forbid")

    store: str = "sqlite:///reasoningbank.db"
    scope: str = "default"
    model: str | None = Field(default_factory=lambda: _env(MODEL_ENV))
    api_base: str | None = Field(default_factory=lambda: _env(API_BASE_ENV))
    judge_model: str | None = None
    extractor_model: str | None = None
    embedder: str = "local"
    preset: str = "paper"
    preset_overrides: dict[str, Any] = Field(default_factory=dict)
    # More secret shapes to redact, added to the preset's ``redact_patterns``.
    redact_patterns: list[str] = Field(default_factory=list)

    @field_validator("redact_patterns")
    @classmethod
    def _patterns_compile(cls, v: list[str]) -> list[str]:
        compile_patterns(v)
        return v

    def resolved_preset(self) -> Preset:
        """The named preset with ``preset_overrides`` applied."""
        base = get_preset(self.preset)
        keys = set(self.preset_overrides)
        bad = sorted((keys - set(Preset.model_fields)) | (keys & {"name"}))
        if bad:
            raise ConfigError(
                f"preset_overrides: unknown or read-only key(s) {', '.join(map(repr, bad))}; "
                f"allowed: {', '.join(k for k in Preset.model_fields if k != 'name')}"
            )
        overrides = dict(self.preset_overrides)
        if self.redact_patterns:
            given = overrides.get("redact_patterns", base.redact_patterns)
            overrides["redact_patterns"] = (*given, *self.redact_patterns)
        try:
            return base.with_overrides(overrides)
        except ValidationError as exc:
            raise ConfigError(f"preset_overrides: {_describe(exc)}") from None

    @property
    def effective_judge_model(self) -> str | None:
        return self.judge_model or self.model

    @property
    def effective_extractor_model(self) -> str | None:
        return self.extractor_model or self.model

    @classmethod
    def from_file(cls, path: str | os.PathLike[str]) -> BankConfig:
        """Read a ``.toml`` or ``.json`` file; errors name the file and the bad key."""
        p = Path(path)
        suffix = p.suffix.lower()
        if suffix not in (".toml", ".json"):
            raise ConfigError(f"config file {p}: unsupported extension {p.suffix!r}; use .toml or .json")
        try:
            text = p.read_text(encoding="utf-8")
        except OSError as exc:
            raise ConfigError(f"config file {p}: cannot read it ({exc.strerror or exc})") from exc
        data: Any
        try:
            data = tomllib.loads(text) if suffix == ".toml" else json.loads(text)
        except (tomllib.TOMLDecodeError, json.JSONDecodeError) as exc:
            raise ConfigError(f"config file {p}: not valid {suffix[1:].upper()}: {exc}") from exc
        if not isinstance(data, dict):
            raise ConfigError(f"config file {p}: the top level must be a table/object")
        try:
            cfg = cls.model_validate(data)
        except ValidationError as exc:
            raise ConfigError(f"config file {p}: {_describe(exc)}") from None
        try:
            cfg.resolved_preset()
        except ConfigError as exc:
            raise ConfigError(f"config file {p}: {exc}") from None
        return cfg


def _describe(exc: ValidationError) -> str:
    parts = []
    for err in exc.errors():
        loc = ".".join(str(x) for x in err["loc"]) or "(top level)"
        if err["type"] == "extra_forbidden":
            parts.append(f"unknown key {loc!r}")
        else:
            parts.append(f"{loc!r}: {err['msg']}")
    return "; ".join(parts)
