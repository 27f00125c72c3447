"""Hostile judge and extractor replies never crash learn() and never store garbage.

A fixed corpus (seeded, so every run sees the same replies): deeply nested brackets, lone
surrogates, runs of thousands of newlines or spaces, huge titles, placeholders, control characters,
half-written JSON and Markdown. Every reply goes through learn() under both presets' parsers (the
paper's Markdown and small-local's JSON); every stored item must be readable, capped and real.
"""

from __future__ import annotations

import json
import random
import string

import pytest

from reasoningbank.bank import ReasoningBank
from reasoningbank.config import get_preset
from reasoningbank.embed import HashEmbedder
from reasoningbank.extract.items import (
    CONTENT_MAX_CHARS,
    DESCRIPTION_MAX_CHARS,
    TITLE_MAX_CHARS,
    is_placeholder,
)
from reasoningbank.llm import ScriptedLLM
from reasoningbank.models import Step, Trajectory
from reasoningbank.stores import InMemoryStore, SQLiteStore

FIXED = [
    "[" * 50_000,
    "{" * 50_000 + "}" * 10,
    '{"items": [' + "[" * 20_000 + "]}",
    '{"items": [{"title": "\\ud800", "description": "x", "content": "lone \\udfff surrogate"}]}',
    "\n" * 16_000,
    " " * 16_000 + "**",
    "# Memory Item 1\n## Title " + " " * 16_000 + "x\n## Content " + "\t" * 10_000 + "y",
    '{"items": [{"title": "' + "T" * 60_000 + '", "description": "", "content": "' + "C" * 1_000_000 + '"}]}',
    '{"items": [{"title": "null", "description": "", "content": "N/A"}]}',
    '{"items": [{"title": "<title>", "description": "<description>", "content": "<content>"}]}',
    '{"items": [{"title": "ok\\u0007\\u001b[31m red", "description": "", '
    '"content": "Fill the form\\u202e."}]}',
    "# Memory Item 1\n## Title ...\n## Content ...",
    "Status: partially successful",
    "Thoughts: " + "x" * 100_000 + "\nStatus: success",
    '{"items": [{"title": 5, "content": null}, "junk", [1, 2], {"title": "", "content": ""}]}',
    '```json\n{"items": [{"title": "Half',
]

ALPHABET = string.printable + "{}[]\"':#*_\\\u2028\u202e\ud800\x00\x1b"


def corpus(n: int = 300, seed: int = 7) -> list[str]:
    rng = random.Random(seed)
    out = list(FIXED)
    pieces = ['{"items": [', '{"title": "', '", "content": "', '"}', "]}", "# Memory Item 1\n"]
    pieces += [
        "## Title ",
        "## Content ",
        "Status: ",
        "success",
        "failure",
        "\n",
        "**",
        "null",
        "{",
        "[",
        "\\u",
    ]
    for _ in range(n):
        parts: list[str] = []
        for _ in range(rng.randint(1, 30)):
            noise = "".join(rng.choices(ALPHABET, k=rng.randint(1, 40)))
            parts.append(rng.choice(pieces) if rng.random() < 0.6 else noise)
        out.append("".join(parts))
    return out


def _traj(n: int) -> Trajectory:
    return Trajectory(
        task_id=f"t{n}",
        query='Enter "Ada" into the field and press Submit.',
        steps=[Step(thought="type", action='type(1, "Ada")', target="input"), Step(action="click(2)")],
        meta={"stop_reason": "done"},
    )


def _check_items(bank: ReasoningBank) -> int:
    stored = 0
    for exp in bank.store.list("default"):
        json.dumps(exp.model_dump(mode="json"))  # serialisable
        for item in exp.items:
            stored += 1
            for text in (item.title, item.description, item.content):
                text.encode("utf-8")  # no lone surrogate
                assert not any(ord(c) < 32 and c not in "\n\t" for c in text)
            assert len(item.title) <= TITLE_MAX_CHARS + 1 and len(item.content) <= CONTENT_MAX_CHARS + 1
            assert len(item.description) <= DESCRIPTION_MAX_CHARS + 1
            assert not is_placeholder(item.title) and not is_placeholder(item.content)
    return stored


@pytest.mark.parametrize("preset", ["paper", "small-local"])
def test_learn_survives_every_hostile_reply(preset: str) -> None:
    replies = corpus()
    # The paper's preset asks the model to judge then extract; small-local asks it only to extract.
    script: list[str] = []
    for reply in replies:
        script += [reply, reply] if preset == "paper" else [reply]
    llm = ScriptedLLM(list(script), default='{"items": []}')
    p = get_preset(preset).with_overrides({"judge": {"min_confidence": 0.0}})
    bank = ReasoningBank.from_preset(InMemoryStore(), HashEmbedder(dim=64), llm, p)
    for n in range(len(replies)):
        report = bank.learn(_traj(n))
        assert report.stored
    assert bank.store.count("default") == len(replies)
    _check_items(bank)


def test_hostile_items_survive_the_sqlite_store(tmp_path: object) -> None:
    from pathlib import Path

    store = SQLiteStore(Path(str(tmp_path)) / "bank.db")
    llm = ScriptedLLM(list(FIXED), default='{"items": []}')
    keep_all = {"extract": {"when": "always"}, "consolidate": {"mode": "append"}}
    bank = ReasoningBank.from_preset(
        store, HashEmbedder(dim=64), llm, get_preset("small-local").with_overrides(keep_all)
    )
    for n in range(len(FIXED)):
        bank.learn(_traj(n))
    assert _check_items(bank) >= 2  # the readable ones are kept (capped), the rest dropped
    bank.close()
