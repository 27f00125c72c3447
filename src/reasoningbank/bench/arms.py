"""Build any bench arm by name: the memory methods (:mod:`.methods`) and the arms seeded from a
lessons file (:mod:`.controls`)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import cast

from ..assemble import make_judge
from ..bank import ReasoningBank
from ..config import Preset, get_preset
from ..embed import Embedder
from ..judge.rules import NO_EXTRA_CHECKS, CheckSet
from ..lessons import Lesson
from ..llm import LLM
from ..stores.base import Store
from .controls import ControlKind, CuratedMethod, check_lessons, seed_bank
from .methods import CURATED_KINDS, Method, build_method, parse_method, split_method
from .settings import BENCH_PRESET


def build_arm(
    name: str,
    *,
    store: Store | None,
    embedder: Embedder,
    llm: LLM,
    preset: str | Preset = BENCH_PRESET,
    judge_llm: LLM | None = None,
    extractor_llm: LLM | None = None,
    scope: str = "default",
    evidence: CheckSet = NO_EXTRA_CHECKS,
    agent_actions: Sequence[str] = (),
    lessons: Sequence[Lesson] = (),
) -> Method:
    """The arm ``name`` on ``store`` (a fresh, arm-private bank); a curated arm's bank is seeded
    from ``lessons`` (once: a resumed bank is checked, not seeded again)."""
    kind, _ = parse_method(name)
    if kind not in CURATED_KINDS:
        return build_method(
            name,
            store=store,
            embedder=embedder,
            llm=llm,
            preset=preset,
            judge_llm=judge_llm,
            extractor_llm=extractor_llm,
            scope=scope,
            evidence=evidence,
            agent_actions=agent_actions,
        )
    control = cast(ControlKind, kind)
    check_lessons(control, lessons)
    if store is None:
        raise ValueError(f"method {name!r} needs a store")
    p = get_preset(split_method(name)[1] or preset)
    judge = make_judge(judge_llm or llm, p, evidence=evidence)
    bank = ReasoningBank(store, embedder, judge=judge, preset=p, scope=scope)
    try:
        seed_bank(bank, lessons)
    except BaseException:
        bank.close()
        raise
    return CuratedMethod(name, bank, judge, control, k=p.retrieve.k)
