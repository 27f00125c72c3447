"""Building the service from the settings the CLI uses: store URL, embedder, models, preset.

One embedder and one LLM client (or two, when the judge and the extractor use
different models) serve every bank: they hold no per-bank state, and loading
the local embedder once per bank would multiply its memory by the number of
tenants.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

from ..assemble import make_llm
from ..bank import ReasoningBank
from ..config import BankConfig, Preset, get_preset
from ..embed import Embedder, make_embedder
from ..llm import LLM
from ..stores import open_store
from ..stores.base import Store
from .learn_job import BankFactory
from .service import MemoryService


def bank_factory(
    embedder: Embedder,
    preset: str | Preset,
    *,
    judge_llm: LLM | None,
    extractor_llm: LLM | None,
    retrieve_overrides: Mapping[str, Any] | None = None,
) -> BankFactory:
    """A factory of banks sharing ``embedder`` and the LLMs, with ``preset``'s settings; each bank
    retrieves with the preset it learned with, ``retrieve_overrides`` on top."""
    resolved = get_preset(preset)

    def make(store: Store, scope: str) -> ReasoningBank:
        return ReasoningBank.from_preset(
            store,
            embedder,
            None,
            resolved,
            scope=scope,
            judge_llm=judge_llm,
            extractor_llm=extractor_llm,
            retrieve_overrides=retrieve_overrides,
        )

    return make


def factory_from_config(cfg: BankConfig, *, llm: LLM | None = None) -> BankFactory:
    """The banks ``cfg`` describes; ``llm`` (a started local model) judges and extracts when given."""
    embedder = make_embedder(cfg.embedder, api_base=cfg.api_base)
    return bank_factory(
        embedder,
        cfg.resolved_preset(),
        judge_llm=llm or make_llm(cfg.effective_judge_model, cfg.api_base),
        extractor_llm=llm or make_llm(cfg.effective_extractor_model, cfg.api_base),
        retrieve_overrides=cfg.retrieve_overrides(),
    )


def service_from_config(cfg: BankConfig, state_dir: str | Path, *, llm: LLM | None = None) -> MemoryService:
    """A service on ``cfg.store`` (any URL :func:`~reasoningbank.stores.open_store` knows: a SQLite
    path, ``postgresql://...`` where that store is installed) with its state in ``state_dir``."""
    make = factory_from_config(cfg, llm=llm)
    store = open_store(cfg.store)
    try:
        return MemoryService(store, make, state_dir)
    except BaseException:
        store.close()
        raise
