"""The preset: a name and one settings section per component of the learning loop.

Keys are given by section (``{"judge": {"temperature": 0.3}}``, ``[judge]`` in
TOML) or by the flat names of the earlier one-level preset (``judge_temperature``,
:data:`~reasoningbank.config.sections.FLAT_KEYS`), in any mix. A preset dumps by
section; a dumped flat preset (e.g. in an older run manifest) loads as it was.
"""

from __future__ import annotations

import warnings
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, Self

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from .errors import ConfigError, describe
from .sections import (
    FLAT_KEYS,
    SECTIONS,
    ConsolidateSettings,
    ExtractSettings,
    JudgeSettings,
    RedactSettings,
    RetrieveSettings,
    ScaleSettings,
    ScreenSettings,
    TrackSettings,
    unknown_key,
)

# Every key a preset's top level accepts, in the order an error lists them.
TOP_KEYS = ("name", *SECTIONS, *FLAT_KEYS)


def _section_dict(value: Any) -> dict[str, Any]:
    if isinstance(value, BaseModel):
        return value.model_dump(exclude_unset=True)
    if not isinstance(value, Mapping):
        raise ConfigError(f"a section must be a table of keys, got {value!r}")
    return dict(value)


def to_sections(data: Mapping[str, Any]) -> dict[str, Any]:
    """``data`` with its flat keys moved into their sections (no defaults are added).

    Raises :class:`ConfigError` for an unknown top-level key (naming the nearest
    valid ones) and for a setting given both flat and in its section.
    """
    out: dict[str, Any] = {}
    for key, value in data.items():
        if key == "name":
            out[key] = value
        elif key in SECTIONS:
            out[key] = _section_dict(value)
        elif key not in FLAT_KEYS:
            raise unknown_key(key, TOP_KEYS)
    for key, value in data.items():
        if key in FLAT_KEYS:
            section, field = FLAT_KEYS[key]
            given = out.setdefault(section, {})
            if field in given:
                raise ConfigError(f"{key!r} and '{section}.{field}' set the same setting; give one of them")
            given[field] = value
    return out


class Preset(BaseModel):
    """Settings of the learning loop, one section per component (see :mod:`.sections`)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    name: str
    judge: JudgeSettings = Field(default_factory=JudgeSettings)
    extract: ExtractSettings = Field(default_factory=ExtractSettings)
    screen: ScreenSettings = Field(default_factory=ScreenSettings)
    retrieve: RetrieveSettings = Field(default_factory=RetrieveSettings)
    consolidate: ConsolidateSettings = Field(default_factory=ConsolidateSettings)
    track: TrackSettings = Field(default_factory=TrackSettings)
    redact: RedactSettings = Field(default_factory=RedactSettings)
    scale: ScaleSettings = Field(default_factory=ScaleSettings)

    @model_validator(mode="before")
    @classmethod
    def _flat_keys(cls, data: Any) -> Any:
        return to_sections(data) if isinstance(data, Mapping) else data

    def with_overrides(self, overrides: Mapping[str, Any]) -> Self:
        """A copy with ``overrides`` (flat or sectioned keys) applied and validated.

        Raises :class:`ConfigError` naming the bad key."""
        if not overrides:
            return self
        data: dict[str, Any] = self.model_dump()
        try:
            for key, value in to_sections(overrides).items():
                data[key] = {**data[key], **value} if key in SECTIONS else value
            return self.model_validate(data)
        except ValidationError as exc:
            problem = describe(exc)
        except ConfigError as exc:
            problem = str(exc)
        raise ConfigError(f"preset {self.name!r}: {problem}")

    def model_copy(self, *, update: Mapping[str, Any] | None = None, deep: bool = False) -> Self:
        """A copy; unlike pydantic's, ``update`` is validated as :meth:`with_overrides` does."""
        return super(Preset, self.with_overrides(update or {})).model_copy(deep=deep)

    def flat(self) -> dict[str, Any]:
        """The settings under their flat names (the earlier one-level preset's), with the name."""
        flat = {key: getattr(getattr(self, s), f) for key, (s, f) in FLAT_KEYS.items()}
        return {"name": self.name, **flat}

    if not TYPE_CHECKING:  # hidden from mypy, so a mistyped attribute is still a type error

        def __getattr__(self, item: str) -> Any:
            if item in FLAT_KEYS:
                section, field = FLAT_KEYS[item]
                warnings.warn(
                    f"Preset.{item} is deprecated; use Preset.{section}.{field}",
                    DeprecationWarning,
                    stacklevel=2,
                )
                return getattr(getattr(self, section), field)
            return super().__getattr__(item)
