"""Defaults of the benchmark, defined once."""

from __future__ import annotations

# The bench runs the small local model by default, so it uses the preset tuned for it
# (the library's own default, for hosted models, is the paper's).
BENCH_PRESET = "small-local"
