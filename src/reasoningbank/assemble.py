"""Build the judge, the extractor and the LLM a preset or a config describes."""

from __future__ import annotations

from .config import Preset
from .extract import LLMExtractor
from .judge import EvidenceJudge, Judge, LLMJudge
from .judge.rules import NO_EXTRA_CHECKS, CheckSet
from .llm import LLM
from .models import Origin


def make_judge(llm: LLM | None, preset: Preset, *, evidence: CheckSet = NO_EXTRA_CHECKS) -> Judge:
    """The judge a preset's judge section describes, on ``llm``; ``evidence`` adds an environment's
    own failure checks to the evidence judge (e.g. "a form field was left empty") with their base rate."""
    j = preset.judge
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
    return LLMExtractor(llm, origin=origin, **preset.extract.model_dump(exclude={"when"}))


def make_llm(model: str | None, api_base: str | None) -> LLM | None:
    """A LiteLLM client for ``model`` at ``api_base`` (the same endpoint settings the config's
    LiteLLM embedder gets); None when no model is named."""
    if model is None:
        return None
    from .llm.litellm_client import LiteLLMClient

    return LiteLLMClient(model, api_base=api_base)
