"""Memory methods compared by the benchmark (PAPER.md section 11).

All methods with memory share retrieval (top-k past queries by embedding),
injection (the bank's header via ``ReasoningBank.render``) and consolidation;
they differ only in what is stored:

* ``none`` — no memory: no judge, no extraction, empty prompt block;
* ``synapse`` — the formatted trajectory itself, one item, no extraction call;
* ``experience`` — a compact record of each judged success (goal, actions, result; ExpRAG-style);
* ``awm`` — workflows induced by the LLM (:mod:`.awm`);
* ``reasoningbank`` — the core extractor's strategy/lesson items.

``curated``, ``empty``, ``filler`` and ``irrelevant`` are labelled diagnostics over a bank
seeded from a lessons file, built by :func:`.arms.build_arm` (:mod:`.controls`).

The judge runs once per task (never with the benchmark score); its verdict,
gated by the preset's learning threshold, is passed to ``ReasoningBank.learn``.
Methods that learn from successes only skip the bank update for tasks judged
failed. Variant names: ``synapse+failures``, ``awm+failures`` (Fig. 7 ablation:
failures added) and ``reasoningbank-success-only``.

Under test-time scaling (:mod:`.scaled`) ``none`` scales without memory,
``reasoningbank`` is MaTTS and ``reasoningbank-vanilla`` learns from each
trajectory on its own (the paper's vanilla TTS); outside scaling,
``reasoningbank-vanilla`` is plain ``reasoningbank``.

``reasoningbank+feedback`` is a labelled diagnostic, not a method: the runner
gives it the benchmark's score as the task's outcome (``learn(outcome=...)``),
so it shows what the same memory does when its labels are right. It separates
"the judge is wrong" from "the lessons are wrong"; every report marks it as an
upper bound. A method name may end in ``@PRESET``
(``reasoningbank@paper``) to run that method with another preset than the
run's, so two presets can be compared on the same stream in one run.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Literal, Protocol, runtime_checkable

from ..assemble import make_extractor, make_judge
from ..bank import ReasoningBank
from ..config import Preset, get_preset
from ..embed import Embedder
from ..extract import Extractor
from ..judge import Judge, Outcome, gate_verdict, outcome_verdict
from ..judge.rules import NO_EXTRA_CHECKS, CheckSet
from ..llm import LLM
from ..models import LearnReport, MemoryItem, Trajectory, Usage, Verdict
from ..stores.base import Store
from .awm import WorkflowExtractor
from .records import LearnRecord
from .settings import BENCH_PRESET
from .synapse import CompactExperienceExtractor, TrajectoryExtractor

Kind = Literal[
    "none", "synapse", "experience", "awm", "reasoningbank", "curated", "empty", "filler", "irrelevant"
]

# Arms over a bank seeded from a lessons file, which never judge or learn (:mod:`.controls`).
CURATED_KINDS: frozenset[Kind] = frozenset({"curated", "empty", "filler", "irrelevant"})


@dataclass(frozen=True)
class MethodSpec:
    kind: Kind
    include_failures: bool
    feedback: bool = False  # learns from the benchmark's score: a diagnostic upper bound
    # Under test-time scaling: "matts" (self-contrast / refinement), "vanilla" (each trajectory
    # learned on its own), "none" (no memory). None: the method cannot be scaled.
    scaled_as: Literal["matts", "vanilla", "none"] | None = None


METHOD_SPECS: dict[str, MethodSpec] = {
    "none": MethodSpec("none", False, scaled_as="none"),
    "synapse": MethodSpec("synapse", False),
    "synapse+failures": MethodSpec("synapse", True),
    "experience": MethodSpec("experience", False),
    "awm": MethodSpec("awm", False),
    "awm+failures": MethodSpec("awm", True),
    "reasoningbank": MethodSpec("reasoningbank", True, scaled_as="matts"),
    "reasoningbank-vanilla": MethodSpec("reasoningbank", True, scaled_as="vanilla"),
    "reasoningbank-success-only": MethodSpec("reasoningbank", False),
    "reasoningbank+feedback": MethodSpec("reasoningbank", True, feedback=True),
    # Labelled diagnostics over a bank seeded from a lessons file (:mod:`.controls`).
    "curated": MethodSpec("curated", False),
    "empty": MethodSpec("empty", False),
    "filler": MethodSpec("filler", False),
    "irrelevant": MethodSpec("irrelevant", False),
}


# The baselines share the preset's judge, learning threshold and retrieval with ReasoningBank, but
# keep their own storage: synapse stores trajectories verbatim and AWM workflows name element ids,
# so neither is screened, merged by meaning, skipped when "held already" or retired.
BASELINE_STORAGE = {"screen": {"enabled": False}, "extract": {"when": "always"}, "track": {"retire": False}}


def learns(name: str) -> bool:
    """True for a method whose memory update judges and learns (not ``none`` or a curated arm)."""
    kind = method_spec(name).kind
    return kind != "none" and kind not in CURATED_KINDS


def uses_feedback(name: str) -> bool:
    """True for a method that learns from the benchmark's score (a labelled diagnostic)."""
    return METHOD_SPECS[split_method(name)[0]].feedback


def split_method(name: str) -> tuple[str, str | None]:
    """``("reasoningbank", "paper")`` for ``reasoningbank@paper``; no suffix gives None."""
    base, sep, preset = name.strip().partition("@")
    if sep and not preset.strip():
        raise ValueError(f"method {name!r} ends in '@' without a preset name")
    return base.strip(), (preset.strip() if sep else None)


def parse_method(name: str) -> tuple[Kind, bool]:
    """``(kind, include_failures)`` of a method name (``NAME`` or ``NAME@PRESET``);
    clear error if the method or the preset is unknown."""
    spec = method_spec(name)
    return spec.kind, spec.include_failures


def method_spec(name: str) -> MethodSpec:
    """The spec of a method name (``NAME`` or ``NAME@PRESET``); clear error if unknown."""
    base, preset = split_method(name)
    try:
        spec = METHOD_SPECS[base]
    except KeyError:
        raise ValueError(
            f"unknown method {name!r}; available: {', '.join(METHOD_SPECS)} (optionally NAME@PRESET)"
        ) from None
    if preset is not None:
        if spec.kind == "none":
            raise ValueError(f"method {name!r}: 'none' has no memory, so a preset does not apply")
        get_preset(preset)  # ConfigError naming the available presets
    return spec


def with_failures(name: str) -> str:
    """The variant of ``name`` that also learns from failures (for ``--include-failures``)."""
    kind, _ = parse_method(name)
    _, preset = split_method(name)
    suffix = f"@{preset}" if preset else ""
    if kind in ("none", "experience") or kind in CURATED_KINDS:  # experience keeps successes only
        return name
    if kind == "reasoningbank":
        return "reasoningbank" + suffix
    return f"{kind}+failures{suffix}"


@dataclass(frozen=True)
class MethodUpdate:
    """What one memory update did. ``verdict`` is None when nothing was judged."""

    verdict: Verdict | None
    items: list[MemoryItem] = field(default_factory=list)
    judge_usage: Usage = field(default_factory=Usage)
    extraction_usage: Usage = field(default_factory=Usage)
    recovered: bool = False  # rebuilt from the bank after a crash (usage unknown)
    note: str = ""  # what the bank update said (dropped, merged or retired items, abstention)
    learn: LearnRecord = field(default_factory=LearnRecord)  # the same, as facts

    @classmethod
    def of_reports(
        cls, verdict: Verdict | None, reports: Sequence[LearnReport], *, judge_usage: Usage | None = None
    ) -> MethodUpdate:
        """The update that learned ``reports`` (a scaled task learns once per rollout for
        ``vanilla``, else once) under ``verdict``."""
        extraction = Usage()
        for r in reports:
            extraction = extraction + r.extraction_usage
        items = [it for r in reports for it in r.items]
        note, facts = "; ".join(r.note for r in reports if r.note), LearnRecord.of(reports)
        return cls(verdict, items, judge_usage or Usage(), extraction, note=note, learn=facts)


@runtime_checkable
class Method(Protocol):
    name: str
    include_failures: bool

    def retrieve(self, task_id: str, query: str) -> list[MemoryItem]: ...

    def render(self, items: Sequence[MemoryItem]) -> str: ...

    def memory_prompt(self, task_id: str, query: str) -> str: ...

    def update(
        self, trajectory: Trajectory, *, outcome: Outcome | None = None, shown: Sequence[str] = ()
    ) -> MethodUpdate:
        """Judge (or take ``outcome``, a labelled input) and learn; ``shown`` are the ids of
        the items retrieved for the task."""
        ...

    def memory_size(self) -> int: ...

    def recover(self, task_id: str) -> MethodUpdate | None:
        """The update already committed for ``task_id`` (crash recovery), else None."""
        ...

    def sources(self, items: Sequence[MemoryItem]) -> list[str | None]:
        """The task each item was learned from (None when unknown), in item order."""
        ...

    def close(self) -> None:
        """Release the method's bank."""
        ...


# --------------------------------------------------------------------------- methods


class NoMemory:
    """The no-memory baseline: nothing retrieved, nothing judged, nothing stored."""

    include_failures = False

    def __init__(self, name: str = "none") -> None:
        self.name = name

    def retrieve(self, task_id: str, query: str) -> list[MemoryItem]:
        return []

    def render(self, items: Sequence[MemoryItem]) -> str:
        return ""

    def memory_prompt(self, task_id: str, query: str) -> str:
        return ""

    def update(
        self, trajectory: Trajectory, *, outcome: Outcome | None = None, shown: Sequence[str] = ()
    ) -> MethodUpdate:
        return MethodUpdate(verdict=None)

    def memory_size(self) -> int:
        return 0

    def recover(self, task_id: str) -> MethodUpdate | None:
        return None

    def sources(self, items: Sequence[MemoryItem]) -> list[str | None]:
        return [None for _ in items]

    def close(self) -> None:
        return None


class BankMethod:
    """A memory method over a :class:`ReasoningBank`; only the extractor differs."""

    def __init__(
        self,
        name: str,
        bank: ReasoningBank,
        judge: Judge,
        *,
        include_failures: bool,
        k: int | None = None,
    ) -> None:
        self.name = name
        self.bank = bank
        self.judge = judge
        self.include_failures = include_failures
        self.k = k

    @property
    def store(self) -> Store:
        return self.bank.store

    @property
    def scope(self) -> str:
        return self.bank.scope

    def retrieve(self, task_id: str, query: str) -> list[MemoryItem]:
        # Leave-one-out: never retrieve the current task's own experience.
        return self.bank.retrieve(query, self.k, task_id=task_id)

    def render(self, items: Sequence[MemoryItem]) -> str:
        return self.bank.render(list(items))

    def memory_prompt(self, task_id: str, query: str) -> str:
        return self.render(self.retrieve(task_id, query))

    def update(
        self, trajectory: Trajectory, *, outcome: Outcome | None = None, shown: Sequence[str] = ()
    ) -> MethodUpdate:
        judge_usage = Usage()
        if outcome is not None:
            note = "the benchmark's score, given as the outcome (a diagnostic arm)"
            verdict = outcome_verdict(outcome, note=note)
        else:
            verdict, judge_usage = self.judge.judge(trajectory)
        verdict = gate_verdict(verdict, self.bank.preset.judge.min_confidence)
        if verdict.label == "failure" and not self.include_failures:
            return MethodUpdate(verdict=verdict, judge_usage=judge_usage)
        report = self.bank.learn(trajectory, verdict=verdict, shown=list(shown))
        return MethodUpdate.of_reports(report.verdict, [report], judge_usage=judge_usage)

    def memory_size(self) -> int:
        return self.store.count_items(self.scope)

    def recover(self, task_id: str) -> MethodUpdate | None:
        for exp in self.store.list(self.scope):
            if exp.task_id == task_id:
                return MethodUpdate(verdict=exp.verdict, items=list(exp.items), recovered=True)
        return None

    def sources(self, items: Sequence[MemoryItem]) -> list[str | None]:
        # One store read per experience: a top-1 hit brings all items of one experience.
        tasks: dict[str, str | None] = {}
        for exp_id in dict.fromkeys(it.experience_id for it in items if it.experience_id):
            try:
                tasks[exp_id] = self.store.get(self.scope, exp_id).task_id
            except KeyError:
                tasks[exp_id] = None
        return [tasks.get(it.experience_id) if it.experience_id else None for it in items]

    def close(self) -> None:
        self.bank.close()


def build_method(
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
) -> Method:
    """Build the method ``name`` on ``store`` (a fresh, method-private bank).

    ``store`` may be None only for ``none``. A ``NAME@PRESET`` method uses that
    preset instead of ``preset``. ``evidence`` adds the environment's checks to an
    evidence judge; ``agent_actions`` (the agent's action names) lets a preset that
    screens items drop lessons naming actions the agent lacks.
    """
    kind, include_failures = parse_method(name)
    if kind == "none":
        return NoMemory(name)
    if kind in CURATED_KINDS:
        raise ValueError(f"method {name!r} is seeded from a lessons file: build it with bench.arms.build_arm")
    if store is None:
        raise ValueError(f"method {name!r} needs a store")
    own_preset = split_method(name)[1]
    p = get_preset(own_preset or preset)
    if kind in ("synapse", "experience", "awm"):
        merge = p.consolidate.mode == "merge"
        p = p.with_overrides({**BASELINE_STORAGE, **({"consolidate": {"mode": "dedup"}} if merge else {})})
    if p.screen.enabled and not p.screen.agent_actions and agent_actions:
        p = p.with_overrides({"screen": {"agent_actions": tuple(agent_actions)}})
    x_llm = extractor_llm or llm
    extractor: Extractor
    if kind == "synapse":
        extractor = TrajectoryExtractor()
    elif kind == "experience":
        extractor = CompactExperienceExtractor()
    elif kind == "awm":
        extractor = WorkflowExtractor(
            x_llm,
            temperature=p.extract.temperature,
            max_workflows=p.extract.max_items,
            max_tokens=p.extract.max_tokens,
        )
    else:
        extractor = make_extractor(x_llm, p)
    judge = make_judge(judge_llm or llm, p, evidence=evidence)
    bank = ReasoningBank(store, embedder, judge=judge, extractor=extractor, preset=p, scope=scope)
    return BankMethod(name, bank, judge, include_failures=include_failures, k=p.retrieve.k)
