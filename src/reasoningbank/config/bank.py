"""The bank configuration: store, scope, models, embedder, preset and its overrides.

``BankConfig.from_file`` reads TOML or JSON; unknown keys are errors. The
preset's overrides may be given flat (``[preset_overrides] judge_temperature =
0.3``), by section (``[preset_overrides.judge]``) or as top-level sections of the
file (``[judge] temperature = 0.3``).
"""

from __future__ import annotations

import json
import os
import tomllib
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from ..text.redact import compile_patterns
from .errors import ConfigError, describe
from .preset import Preset, to_sections
from .presets import get_preset
from .sections import SECTIONS

MODEL_ENV = "REASONINGBANK_MODEL"
API_BASE_ENV = "REASONINGBANK_API_BASE"


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
    # More secret shapes to redact, added to the preset's ``redact.patterns``.
    redact_patterns: list[str] = Field(default_factory=list)

    @field_validator("redact_patterns")
    @classmethod
    def _patterns_compile(cls, v: list[str]) -> list[str]:
        compile_patterns(v)
        return v

    @model_validator(mode="before")
    @classmethod
    def _sections_are_overrides(cls, data: Any) -> Any:
        """Top-level preset sections (``[judge]`` ...) join ``preset_overrides``."""
        if not isinstance(data, dict) or not SECTIONS.keys() & data.keys():
            return data
        data = dict(data)
        overrides = dict(data.get("preset_overrides") or {})
        for name in [key for key in data if key in SECTIONS]:
            if name in overrides:
                raise ConfigError(
                    f"section {name!r} is given twice: at the top level and in preset_overrides"
                )
            overrides[name] = data.pop(name)
        data["preset_overrides"] = overrides
        return data

    def resolved_preset(self) -> Preset:
        """The named preset with ``preset_overrides`` (and ``redact_patterns``) applied."""
        base = get_preset(self.preset)
        try:
            overrides = to_sections(self.preset_overrides)
            if "name" in overrides:
                raise ConfigError("'name' is read-only (the preset is chosen with 'preset')")
            if self.redact_patterns:
                redact = overrides.setdefault("redact", {})
                redact["patterns"] = (*redact.get("patterns", base.redact.patterns), *self.redact_patterns)
            return base.with_overrides(overrides)
        except ConfigError as exc:
            raise ConfigError(f"preset_overrides: {exc}") from None

    def retrieve_overrides(self) -> dict[str, Any]:
        """The retrieve keys this config sets itself (``[retrieve]``, ``retrieve_*``): they apply
        over the retrieve section the bank learned with, which otherwise decides retrieval."""
        return dict(to_sections(self.preset_overrides).get("retrieve", {}))

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
            raise ConfigError(f"config file {p}: {describe(exc)}") from None
        try:
            cfg.resolved_preset()
        except ConfigError as exc:
            raise ConfigError(f"config file {p}: {exc}") from None
        return cfg
