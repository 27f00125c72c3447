"""Small-sample statistics of the bench report."""

from __future__ import annotations

import math

import pytest

from reasoningbank.bench.stats import mcnemar_exact, paired, wilson_interval


def test_wilson_interval_known_values() -> None:
    lo, hi = wilson_interval(5, 10)
    assert lo == pytest.approx(0.2366, abs=1e-4) and hi == pytest.approx(0.7634, abs=1e-4)
    lo, hi = wilson_interval(0, 10)
    assert lo == 0.0 and hi == pytest.approx(0.2775, abs=1e-4)
    lo, hi = wilson_interval(10, 10)
    assert hi == 1.0 and lo == pytest.approx(0.7225, abs=1e-4)
    # 60 tasks, the size of the measured streams: about +-12 points around 50%
    lo, hi = wilson_interval(30, 60)
    assert hi - lo == pytest.approx(0.245, abs=2e-3)


@pytest.mark.parametrize(("k", "n"), [(0, 0), (-1, 5), (6, 5)])
def test_wilson_interval_rejects_bad_counts(k: int, n: int) -> None:
    with pytest.raises(ValueError):
        wilson_interval(k, n)


def test_mcnemar_exact_known_values() -> None:
    assert mcnemar_exact(0, 0) == 1.0
    assert mcnemar_exact(1, 0) == 1.0
    assert mcnemar_exact(1, 8) == pytest.approx(2 * (1 + 9) / 512)
    assert mcnemar_exact(8, 1) == mcnemar_exact(1, 8)
    assert mcnemar_exact(0, 6) == pytest.approx(2 / 64)
    assert mcnemar_exact(5, 5) == 1.0
    # a binomial tail computed independently
    tail = sum(math.comb(20, i) for i in range(5)) / 2**20
    assert mcnemar_exact(4, 16) == pytest.approx(2 * tail)
    with pytest.raises(ValueError):
        mcnemar_exact(-1, 2)


def test_paired_counts() -> None:
    pr = paired([True, True, False, False, True], [True, False, True, False, False])
    assert (pr.n, pr.both, pr.only_method, pr.only_baseline, pr.neither) == (5, 1, 2, 1, 1)
    assert pr.difference == pytest.approx(0.2)
    assert pr.p_value == 1.0
    with pytest.raises(ValueError, match="length"):
        paired([True], [True, False])
