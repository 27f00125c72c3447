"""The note a short run prints beside its table: what its size can and cannot show."""

from __future__ import annotations

from pathlib import Path

from reasoningbank.bench.metrics import run_metrics
from reasoningbank.bench.reading import FULL_SIZE, min_discordant, reading_note
from reasoningbank.bench.rundata import load_run
from reasoningbank.bench.stats import mcnemar_exact
from reasoningbank.llm import ScriptedLLM
from tests.bench.fakes import TASKS, respond, run


def test_six_one_sided_tasks_are_the_least_the_exact_test_calls_real() -> None:
    assert min_discordant() == 6
    assert mcnemar_exact(6, 0) < 0.05 <= mcnemar_exact(5, 0)


def test_a_short_run_says_it_cannot_show_a_difference(tmp_path: Path) -> None:
    run(tmp_path, ScriptedLLM(default=respond), methods=["none", "reasoningbank"], tasks=TASKS[:3])
    note = reading_note(run_metrics(load_run(tmp_path / "run")))
    assert note.startswith("What this run can show: 3 tasks per method.")
    assert "- none: " in note and "95% interval" in note
    assert "3 paired tasks cannot show a difference at all (p < 0.05 needs 6)" in note
    assert note.endswith(FULL_SIZE)


def test_a_full_run_reads_its_p_value(tmp_path: Path) -> None:
    run(tmp_path, ScriptedLLM(default=respond), methods=["none", "reasoningbank"])
    note = reading_note(run_metrics(load_run(tmp_path / "run")))
    assert "reasoningbank against none: +0.0 points (0 tasks only reasoningbank solved, 0 only none)" in note
    assert "p 1.00: within noise, evidence neither way" in note
