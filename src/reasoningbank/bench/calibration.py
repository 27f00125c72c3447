"""How good a judge is, measured against a benchmark's score (for reports only, never for learning).

* :func:`auroc`: how well ``p_success`` ranks real successes above real failures
  (0.5 is chance, 1.0 perfect; ties count half).
* :func:`reliability`: per probability bin, how many verdicts, their mean
  ``p_success`` and the share that really succeeded: a calibrated judge's rows
  have the two close.
* :func:`judge_quality`: accuracy, success precision and recall, and the
  abstention rate at a learning threshold.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass


def auroc(scores: Sequence[float], truth: Sequence[bool]) -> float | None:
    """Area under the ROC curve of ``scores`` for ``truth``; None without both classes."""
    pos = [s for s, t in zip(scores, truth, strict=True) if t]
    neg = [s for s, t in zip(scores, truth, strict=True) if not t]
    if not pos or not neg:
        return None
    wins = 0.0
    for p in pos:
        for n in neg:
            wins += 1.0 if p > n else 0.5 if p == n else 0.0
    return wins / (len(pos) * len(neg))


@dataclass(frozen=True)
class Bin:
    low: float
    high: float
    n: int
    mean_p: float | None
    success_rate: float | None


def reliability(scores: Sequence[float], truth: Sequence[bool], bins: int = 5) -> list[Bin]:
    """Equal-width probability bins ``[0, 1/bins), ..., [1 - 1/bins, 1]``."""
    out: list[Bin] = []
    for b in range(bins):
        low, high = b / bins, (b + 1) / bins
        members = [
            (s, t)
            for s, t in zip(scores, truth, strict=True)
            if low <= s < high or (b == bins - 1 and s == 1.0)
        ]
        n = len(members)
        out.append(
            Bin(
                low,
                high,
                n,
                sum(s for s, _ in members) / n if n else None,
                sum(1 for _, t in members if t) / n if n else None,
            )
        )
    return out


@dataclass(frozen=True)
class JudgeQuality:
    episodes: int
    decided: int  # not abstained
    tp: int
    fp: int
    fn: int
    tn: int
    auroc: float | None
    with_p: int  # verdicts that carry a probability

    @property
    def abstention_rate(self) -> float | None:
        return 1 - self.decided / self.episodes if self.episodes else None

    @property
    def accuracy(self) -> float | None:
        return (self.tp + self.tn) / self.decided if self.decided else None

    @property
    def precision(self) -> float | None:
        """Of the episodes judged successes, the share that really were."""
        return self.tp / (self.tp + self.fp) if self.tp + self.fp else None

    @property
    def recall(self) -> float | None:
        """Of the real successes (not abstained on), the share judged successes."""
        return self.tp / (self.tp + self.fn) if self.tp + self.fn else None


def judge_quality(
    labels: Sequence[str], p_success: Sequence[float | None], truth: Sequence[bool]
) -> JudgeQuality:
    """Confusion counts over the decided verdicts (``abstained`` left out) and the AUROC of
    ``p_success`` over every verdict that has one."""
    tp = fp = fn = tn = 0
    for label, t in zip(labels, truth, strict=True):
        if label == "abstained":
            continue
        said = label == "success"
        tp += said and t
        fp += said and not t
        fn += (not said) and t
        tn += (not said) and not t
    scored = [(p, t) for p, t in zip(p_success, truth, strict=True) if p is not None]
    area = auroc([p for p, _ in scored], [t for _, t in scored]) if scored else None
    decided = tp + fp + fn + tn
    return JudgeQuality(len(labels), decided, tp, fp, fn, tn, area, len(scored))
