"""Judge-quality measures: AUROC, reliability bins, accuracy/precision/recall with abstentions."""

from __future__ import annotations

import pytest

from reasoningbank.bench.calibration import auroc, judge_quality, reliability


def test_auroc_perfect_chance_and_ties() -> None:
    assert auroc([0.9, 0.8, 0.2, 0.1], [True, True, False, False]) == 1.0
    assert auroc([0.1, 0.2, 0.8, 0.9], [True, True, False, False]) == 0.0
    assert auroc([0.5, 0.5], [True, False]) == 0.5
    assert auroc([0.7, 0.4, 0.6], [True, False, False]) == 1.0
    assert auroc([0.6, 0.4, 0.7], [True, False, False]) == pytest.approx(0.5)
    assert auroc([0.5], [True]) is None


def test_reliability_bins() -> None:
    bins = reliability([0.05, 0.15, 0.9, 1.0, 0.95], [False, False, True, True, False], bins=5)
    assert [b.n for b in bins] == [2, 0, 0, 0, 3]
    assert bins[0].mean_p == pytest.approx(0.1) and bins[0].success_rate == 0.0
    assert bins[4].success_rate == pytest.approx(2 / 3) and bins[1].mean_p is None


def test_judge_quality_leaves_abstentions_out_of_the_confusion_matrix() -> None:
    q = judge_quality(
        ["success", "success", "failure", "failure", "abstained"],
        [0.9, 0.8, 0.1, None, 0.6],
        [True, False, True, False, True],
    )
    assert (q.tp, q.fp, q.fn, q.tn, q.decided, q.episodes) == (1, 1, 1, 1, 4, 5)
    assert q.accuracy == 0.5 and q.precision == 0.5 and q.recall == 0.5
    assert q.abstention_rate == pytest.approx(0.2)
    assert q.with_p == 4 and q.auroc == pytest.approx(1 / 3)  # successes 0.9, 0.1, 0.6 against 0.8
