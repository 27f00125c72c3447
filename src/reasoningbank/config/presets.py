"""The presets shipped as package data (``reasoningbank/data/presets/<name>.toml``), and lookup.

A preset file holds one TOML table per section (``[judge]``, ``[extract]`` ...,
see :mod:`.sections`); a key it leaves out takes the section's default, and the
preset's name is the file's name without ``.toml``.
"""

from __future__ import annotations

import tomllib
from importlib import resources
from importlib.resources.abc import Traversable
from pathlib import Path

from pydantic import ValidationError

from .errors import ConfigError, describe
from .preset import Preset

PRESET_DIR = resources.files("reasoningbank") / "data" / "presets"


def read_preset(path: Traversable | Path) -> Preset:
    """The preset in the TOML file ``path``, named after the file; errors name the file and key."""
    name = path.name.removesuffix(".toml")
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, tomllib.TOMLDecodeError) as exc:
        raise ConfigError(f"preset file {path}: {exc}") from exc
    if data.setdefault("name", name) != name:
        raise ConfigError(
            f"preset file {path}: names preset {data['name']!r}; its name is the file's, {name!r}"
        )
    try:
        return Preset.model_validate(data)
    except ValidationError as exc:
        raise ConfigError(f"preset file {path}: {describe(exc)}") from None


def _shipped() -> dict[str, Preset]:
    files = sorted((f for f in PRESET_DIR.iterdir() if f.name.endswith(".toml")), key=lambda f: f.name)
    return {p.name: p for p in map(read_preset, files)}


# The shipped presets by name: ``paper`` and ``small-local``.
PRESETS: dict[str, Preset] = _shipped()


def get_preset(preset: str | Preset) -> Preset:
    """Look up a preset by name (or pass a :class:`Preset` through)."""
    if isinstance(preset, Preset):
        return preset
    try:
        return PRESETS[preset]
    except KeyError:
        raise ConfigError(f"unknown preset {preset!r}; available: {', '.join(sorted(PRESETS))}") from None
