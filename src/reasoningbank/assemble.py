"""Build the judge, the extractor and the LLM a preset or a config describes.

Each gets its call kind's token cap from its preset section and, on a LiteLLM
client, its timeout (:func:`for_call`).
"""

from __future__ import annotations

from typing import TypeVar, cast

from .config import Preset
from .config.sections import ExtractSettings, JudgeSettings
from .extract import LLMExtractor
from .judge import EvidenceJudge, Judge, LLMJudge
from .judge.rules import NO_EXTRA_CHECKS, CheckSet
from .llm import LLM
from .models import Origin

_L = TypeVar("_L", bound=LLM | None)


def for_call(llm: _L, name: str, section: str, settings: JudgeSettings | ExtractSettings) -> _L:
    """``llm`` for one call kind: a LiteLLM client gets the section's ``timeout`` (or
    ``local_timeout`` on loopback) and names the call in its timeout error; other LLMs as given."""
    from .llm.litellm_client import CallKind

    bind = getattr(llm, "for_call", None)  # a LiteLLM client (or one like it); other LLMs as given
    if not callable(bind):
        return llm
    bound = bind(CallKind(name, section), timeout=settings.timeout, local_timeout=settings.local_timeout)
    return cast(_L, bound)


def make_judge(llm: LLM | None, preset: Preset, *, evidence: CheckSet = NO_EXTRA_CHECKS) -> Judge:
    """The judge a preset's judge section describes, on ``llm``; ``evidence`` adds an environment's
    own failure checks to the evidence judge (e.g. "a form field was left empty") with their base rate."""
    j = preset.judge
    llm = for_call(llm, "judge", "judge", j)
    if j.kind == "evidence":
        return EvidenceJudge(
            llm if j.confidence != "none" else None,
            confidence="votes" if j.confidence == "votes" else "logprobs",
            votes=j.votes,
            checks=evidence.checks,
            passed_p_success=evidence.passed_p_success,
        )
    if llm is None:
        raise ValueError(f"preset {preset.name!r}: the LLM judge needs an LLM")
    return LLMJudge(
        llm,
        temperature=j.temperature,
        prompt=j.prompt,
        max_tokens=j.max_tokens,
        top_logprobs=10 if j.confidence == "logprobs" else None,
    )


def make_extractor(llm: LLM, preset: Preset, *, origin: Origin | None = None) -> LLMExtractor:
    """The extractor a preset's extract section describes, on ``llm`` (``origin`` stamps every
    item, e.g. ``refinement``; by default the verdict's label). The section's fields are the
    extractor's arguments, but for ``when``, which the learner reads."""
    name = "refiner" if origin == "refinement" else "extractor"
    settings = preset.extract.model_dump(exclude={"when", "timeout", "local_timeout"})
    return LLMExtractor(for_call(llm, name, "extract", preset.extract), origin=origin, **settings)


def make_llm(model: str | None, api_base: str | None) -> LLM | None:
    """A LiteLLM client for ``model`` at ``api_base`` (the same endpoint settings the config's
    LiteLLM embedder gets); None when no model is named."""
    if model is None:
        return None
    from .llm.litellm_client import LiteLLMClient

    return LiteLLMClient(model, api_base=api_base)
