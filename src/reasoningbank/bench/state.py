"""What the runner keeps for each method of a run: the method, its files, what is done."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from .methods import Method


@dataclass
class MethodState:
    name: str
    method: Method
    records_path: Path
    pending_path: Path
    done: set[int]
    successes: int = 0
    finished: int = 0
    feedback: bool = False  # the labelled diagnostic arm: learns from the benchmark's score
