"""Learning from one finished task (what ``ReasoningBank.learn`` runs).

* :mod:`.learner` -- :class:`Learner`: verdict, gate, extraction, screening,
  consolidation, storage and the shown items' records, in one atomic step;
* :mod:`.redaction` -- secrets taken out of everything it sends to a model or
  stores (trajectories, verdicts, items), before anything else sees them.
"""

from __future__ import annotations

from .learner import Learner, LearnError, NoLLMError

__all__ = ["LearnError", "Learner", "NoLLMError"]
