"""The rejudge report: how good a judge setting is, measured against the benchmark's score.

For the run's own (recorded) judge and the setting tried, on the same
episodes: accuracy, success precision and recall, AUROC of ``p_success``, the
abstention rate at the learning threshold, a reliability table, and a sweep of
thresholds (what each would cost in abstentions and buy in precision). The
score is read here only: it is what the judge is measured against.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from .calibration import JudgeQuality, judge_quality, reliability
from .rejudge import Rejudged

SWEEP = (0.5, 0.6, 0.7, 0.8, 0.9, 0.95)


def _pct(x: float | None) -> str:
    return "–" if x is None else f"{100 * x:.1f}%"


def _num(x: float | None) -> str:
    return "–" if x is None else f"{x:.2f}"


def quality_at(results: Sequence[Rejudged], threshold: float) -> JudgeQuality:
    truth = [r.episode.success for r in results]
    return judge_quality([r.gated(threshold) for r in results], [r.p_success for r in results], truth)


def recorded_quality(results: Sequence[Rejudged]) -> JudgeQuality:
    """The run's own judge on the episodes it judged (a method without memory judges none)."""
    judged = [r for r in results if r.episode.recorded_label is not None]
    labels = [str(r.episode.recorded_label) for r in judged]
    return judge_quality(labels, [None] * len(judged), [r.episode.success for r in judged])


def _row(name: str, q: JudgeQuality) -> str:
    return (
        f"| {name} | {q.episodes} | {_pct(q.abstention_rate)} | {q.tp} | {q.fp} | {q.fn} | {q.tn} | "
        f"{_pct(q.accuracy)} | {_pct(q.precision)} | {_pct(q.recall)} | {_num(q.auroc)} |"
    )


def summary_table(results: Sequence[Rejudged], setting: str, threshold: float) -> str:
    """The recorded judge and the setting (at ``threshold``) on the same episodes."""
    rows = [
        "| judge | episodes | abstained | TP | FP | FN | TN | accuracy | precision | recall | AUROC |",
        "|---|---|---|---|---|---|---|---|---|---|---|",
        _row("recorded (the run's judge)", recorded_quality(results)),
        _row(f"{setting} @ {threshold:g}", quality_at(results, threshold)),
    ]
    return "\n".join(rows)


def sweep_table(results: Sequence[Rejudged], thresholds: Sequence[float] = SWEEP) -> str:
    """What each learning threshold would give: abstentions against precision and recall."""
    rows = [
        "| threshold | abstained | decided | accuracy | success precision | success recall |",
        "|---|---|---|---|---|---|",
    ]
    for t in thresholds:
        q = quality_at(results, t)
        rows.append(
            f"| {t:g} | {_pct(q.abstention_rate)} | {q.decided} | {_pct(q.accuracy)} | "
            f"{_pct(q.precision)} | {_pct(q.recall)} |"
        )
    return "\n".join(rows)


def reliability_table(results: Sequence[Rejudged], bins: int = 5) -> str:
    """Per p_success bin: how many verdicts, their mean p_success and how many really succeeded."""
    scored = [(r.p_success, r.episode.success) for r in results if r.p_success is not None]
    if not scored:
        return "(the setting gives no probabilities)"
    rows = ["| p(success) | verdicts | mean p | really succeeded |", "|---|---|---|---|"]
    for b in reliability([p for p, _ in scored], [t for _, t in scored], bins):
        rows.append(f"| {b.low:.1f}–{b.high:.1f} | {b.n} | {_num(b.mean_p)} | {_pct(b.success_rate)} |")
    return "\n".join(rows)


def source_table(results: Sequence[Rejudged], threshold: float) -> str:
    """Who decided (code's rules or the model) and how often each was right."""
    rows = ["| decided by | episodes | abstained | accuracy |", "|---|---|---|---|"]
    for source in sorted({r.source for r in results}):
        q = quality_at([r for r in results if r.source == source], threshold)
        rows.append(f"| {source} | {q.episodes} | {_pct(q.abstention_rate)} | {_pct(q.accuracy)} |")
    return "\n".join(rows)


def report_text(results: Sequence[Rejudged], setting: str, threshold: float) -> str:
    return "\n\n".join(
        [
            summary_table(results, setting, threshold),
            "Thresholds:\n\n" + sweep_table(results),
            "Reliability:\n\n" + reliability_table(results),
            "Sources:\n\n" + source_table(results, threshold),
        ]
    )


def report_json(results: Sequence[Rejudged], setting: str, threshold: float) -> dict[str, Any]:
    def q(x: JudgeQuality) -> dict[str, Any]:
        return {
            "episodes": x.episodes,
            "decided": x.decided,
            "abstention_rate": x.abstention_rate,
            "tp": x.tp,
            "fp": x.fp,
            "fn": x.fn,
            "tn": x.tn,
            "accuracy": x.accuracy,
            "precision": x.precision,
            "recall": x.recall,
            "auroc": x.auroc,
        }

    return {
        "setting": setting,
        "threshold": threshold,
        "recorded": q(recorded_quality(results)),
        "rejudged": q(quality_at(results, threshold)),
        "sweep": {str(t): q(quality_at(results, t)) for t in SWEEP},
        "unparsed": sum(1 for r in results if not r.parsed),
    }
