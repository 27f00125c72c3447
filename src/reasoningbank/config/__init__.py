"""Presets (learning-loop settings, by component) and the bank configuration file.

``PRESETS["paper"]`` follows the paper: judge at temperature 0.0, Markdown
extraction at 1.0, at most 3 items, top-1 retrieval, title + content
rendering, append-only consolidation. ``PRESETS["small-local"]`` is tuned for
small local models: the evidence judge and a learning threshold, JSON extraction
under a schema with length caps, addressed to the agent, at temperature 0.3,
screening, merging of near-duplicates and retirement. Both scale with MaTTS as
the paper does (best-of-N over every rollout, every refinement pass run). Both are package data
files, one TOML table per component (:mod:`.presets`).

The parts: :mod:`.sections` (each component's settings), :mod:`.preset` (the
:class:`Preset`, flat keys), :mod:`.presets` (the shipped presets, lookup),
:mod:`.bank` (:class:`BankConfig` and its file), :mod:`.errors`.
"""

from __future__ import annotations

from .bank import API_BASE_ENV, MODEL_ENV, BankConfig
from .errors import ConfigError
from .preset import Preset, to_sections
from .presets import PRESETS, get_preset, read_preset
from .sections import (
    FLAT_KEYS,
    SECTIONS,
    ConsolidateSettings,
    ConsolidationMode,
    ExtractorStyle,
    ExtractSettings,
    ExtractWhen,
    JudgeConfidence,
    JudgeKind,
    JudgePrompt,
    JudgeSettings,
    RedactSettings,
    RenderTemplate,
    RetrieveSettings,
    ScaleSettings,
    ScreenSettings,
    SelectAmong,
    TrackSettings,
)

__all__ = [
    "API_BASE_ENV",
    "FLAT_KEYS",
    "MODEL_ENV",
    "PRESETS",
    "SECTIONS",
    "BankConfig",
    "ConfigError",
    "ConsolidateSettings",
    "ConsolidationMode",
    "ExtractSettings",
    "ExtractWhen",
    "ExtractorStyle",
    "JudgeConfidence",
    "JudgeKind",
    "JudgePrompt",
    "JudgeSettings",
    "Preset",
    "RedactSettings",
    "RenderTemplate",
    "RetrieveSettings",
    "ScaleSettings",
    "ScreenSettings",
    "SelectAmong",
    "TrackSettings",
    "get_preset",
    "read_preset",
    "to_sections",
]
