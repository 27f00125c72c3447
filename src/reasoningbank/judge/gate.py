"""The learning threshold: a verdict not sure enough to learn from becomes ``abstained``."""

from __future__ import annotations

from ..models import Verdict


def gate_verdict(verdict: Verdict, min_confidence: float) -> Verdict:
    """``verdict`` unchanged when it is sure enough, else the same verdict marked abstained.

    Sure enough means ``max(p, 1 - p) >= min_confidence``. Outcomes passed by the
    caller always pass. With ``min_confidence > 0`` a verdict that carries no
    probability cannot show it is sure, so it abstains too. The lean and the
    judge's own reason stay in the verdict (``p_success``, ``reason``).
    """
    if verdict.abstained or min_confidence <= 0.0 or verdict.source == "outcome":
        return verdict
    confidence = verdict.confidence
    if confidence is None:
        why = f"the judge gave no confidence, and learning needs at least {min_confidence:.2f}"
    elif confidence < min_confidence:
        why = (
            f"leaned {verdict.label} with confidence {confidence:.2f}, below the learning "
            f"threshold {min_confidence:.2f}"
        )
    else:
        return verdict
    reason = f"{why} ({verdict.reason})" if verdict.reason else why
    return verdict.model_copy(update={"label": "abstained", "reason": reason})
