"""Small-sample statistics for comparing memory methods on one task stream.

Every method runs the same tasks with the same seeds, so two methods are compared
task by task (paired): a task either both solved, neither solved, or only one of
them. The exact McNemar test looks only at the tasks where they disagree. With the
60-task streams this project can afford on a CPU, a 10-point difference in success
rate is often within noise; these numbers say so in the report.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

Z95 = 1.959963984540054  # two-sided 95% normal quantile


def wilson_interval(successes: int, n: int, z: float = Z95) -> tuple[float, float]:
    """Wilson score interval of a binomial proportion (95% by default).

    Unlike the normal approximation it stays inside [0, 1] and is sensible at 0/n and n/n.
    """
    if n <= 0:
        raise ValueError("wilson_interval needs n >= 1")
    if not 0 <= successes <= n:
        raise ValueError(f"successes must be between 0 and n={n}, got {successes}")
    p = successes / n
    z2 = z * z
    centre = (p + z2 / (2 * n)) / (1 + z2 / n)
    half = z * math.sqrt(p * (1 - p) / n + z2 / (4 * n * n)) / (1 + z2 / n)
    lo = 0.0 if successes == 0 else max(0.0, centre - half)
    hi = 1.0 if successes == n else min(1.0, centre + half)
    return lo, hi


def mcnemar_exact(only_a: int, only_b: int) -> float:
    """Two-sided exact McNemar p-value from the discordant pair counts.

    ``only_a``: tasks only A solved; ``only_b``: tasks only B solved. Under the null
    hypothesis each discordant task is a fair coin; p = P(as or more lopsided).
    """
    if only_a < 0 or only_b < 0:
        raise ValueError("discordant counts must be non-negative")
    n = only_a + only_b
    if n == 0:
        return 1.0
    k = min(only_a, only_b)
    tail = sum(math.comb(n, i) for i in range(k + 1)) / (1 << n)
    return min(1.0, 2 * tail)


@dataclass(frozen=True)
class Paired:
    """A method against a baseline on the tasks both finished."""

    n: int
    both: int
    only_method: int
    only_baseline: int
    neither: int

    @property
    def difference(self) -> float:
        """Success rate of the method minus the baseline's (a fraction)."""
        return (self.only_method - self.only_baseline) / self.n if self.n else 0.0

    @property
    def p_value(self) -> float:
        return mcnemar_exact(self.only_method, self.only_baseline)


def paired(method: list[bool], baseline: list[bool]) -> Paired:
    """Count agreements and disagreements of two equally long outcome lists."""
    if len(method) != len(baseline):
        raise ValueError(f"paired outcomes differ in length: {len(method)} vs {len(baseline)}")
    both = sum(1 for a, b in zip(method, baseline, strict=True) if a and b)
    only_m = sum(1 for a, b in zip(method, baseline, strict=True) if a and not b)
    only_b = sum(1 for a, b in zip(method, baseline, strict=True) if b and not a)
    return Paired(len(method), both, only_m, only_b, len(method) - both - only_m - only_b)
