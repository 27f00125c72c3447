"""Extraction: memory items out of a judged trajectory (stage 2 of ``learn``, after the judge).

* :mod:`.extractor` -- the :class:`Extractor` seam and :class:`LLMExtractor`, which
  asks a model with the success or failure prompt;
* :mod:`.items` -- parsing a reply (Markdown or JSON) into items, the caps, and
  dropping copies of the prompt's example, placeholders and invalid items;
* :mod:`.screen` -- dropping lessons that name page-specific elements or actions
  the agent does not have.

MaTTS's contrastive extraction over several rollouts (:mod:`reasoningbank.scaling.contrast`)
uses the same parsing and finishing steps.
"""

from __future__ import annotations

from ..text.literals import generalize_literals, query_literals
from .extractor import EXTRACTOR_LIMITS, Extractor, LLMExtractor, ModelExtraction, evidence_text
from .items import (
    ExtractionResult,
    ParsedItem,
    extraction_schema,
    parse_json_items,
    parse_markdown_items,
    prompt_examples,
)
from .screen import Screened, page_specific, screen_items, unknown_actions

__all__ = [
    "EXTRACTOR_LIMITS",
    "ExtractionResult",
    "Extractor",
    "LLMExtractor",
    "ModelExtraction",
    "ParsedItem",
    "Screened",
    "evidence_text",
    "extraction_schema",
    "generalize_literals",
    "page_specific",
    "parse_json_items",
    "parse_markdown_items",
    "prompt_examples",
    "query_literals",
    "screen_items",
    "unknown_actions",
]
