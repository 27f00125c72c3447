"""JSON escapes in model replies never make ``learn()`` crash or lose what the bank holds (issue 25, item 6).

A reply may be valid JSON whose *decoded* strings cannot be stored: an escaped lone surrogate
(``"ok \\udfff"``, valid JSON, not encodable as UTF-8) or an escaped NUL (``\\u0000``, which
PostgreSQL refuses). Seeded replies mixing those with raw NULs, invalid escapes, huge numbers and
nested junk go through the paper preset's model judge and extractor into a SQLite bank: every
``learn`` succeeds or raises :class:`LearnError`, and everything stored stays readable.
"""

from __future__ import annotations

import json
import random
from pathlib import Path

from reasoningbank.bank import LearnError, ReasoningBank
from reasoningbank.config import get_preset
from reasoningbank.embed import HashEmbedder
from reasoningbank.llm import ScriptedLLM
from reasoningbank.models import Experience, Step, Trajectory
from reasoningbank.stores import SQLiteStore

ESCAPES = [
    "\\udfff",
    "\\ud800",
    "\\ud83d",  # a high surrogate whose low half never comes
    "\\ude00\\ud83d",  # the halves in the wrong order
    "\\ud83d\\ude00",  # a real pair: must survive as one character
    "\\u0000",
    "\x00",
    "\\x41",  # not a JSON escape: the reply is not JSON
    "\\u12",
    "\\\\udfff",  # an escaped backslash: the text 'udfff', no surrogate
    "\\\\\\udfff",
    "\\",
]
JUNK = ["1e999", "-1e999", "9" * 5000, "[" * 3000, '{"a": ' * 500, "null", "true", "[]", "{}", '"', *ESCAPES]


def _text(rng: random.Random) -> str:
    words = ["ok", "check the cart", "Submit", "\u202e", "caf\u00e9", " ", "\n"]
    return "".join(rng.choice(ESCAPES if rng.random() < 0.4 else words) for _ in range(rng.randint(1, 8)))


def _judge_reply(rng: random.Random) -> str:
    status = rng.choice(["success", "failure", "succ\\u0000ess", "\\udfff"])
    reply = f'{{"thoughts": "{_text(rng)}", "status": "{status}"}}'
    if rng.random() < 0.3:
        reply = reply[: rng.randint(0, len(reply))] + rng.choice(JUNK)
    return reply if rng.random() < 0.8 else f"Thoughts: {_text(rng)}\nStatus: {status}"


def _extractor_reply(rng: random.Random) -> str:
    items = [
        f'{{"title": "{_text(rng)}", "description": "{_text(rng)}", '
        f'"content": "{_text(rng)} {rng.choice(JUNK)}"}}'
        for _ in range(rng.randint(0, 3))
    ]
    reply = '{"items": [' + ", ".join(items) + "]}"
    if rng.random() < 0.3:
        reply = reply[: rng.randint(0, len(reply))] + rng.choice(JUNK)
    return reply


def replies(n: int = 300, seed: int = 25) -> list[str]:
    """``n`` judge replies, each followed by an extractor reply (the paper preset's order)."""
    rng = random.Random(seed)
    fixed = [
        '{"thoughts": "ok \\udfff", "status": "success"}',
        '{"items": [{"title": "T \\u0000", "content": "c \\ud800"}]}',
    ]
    out = list(fixed)
    for _ in range(n):
        out += [_judge_reply(rng), _extractor_reply(rng)]
    return out


def _traj(n: int) -> Trajectory:
    return Trajectory(
        task_id=f"t{n}",
        query=f"Task {n}: enter the name and press Submit.",
        steps=[Step(thought="type", action='type(1, "Ada")'), Step(action="click(2)")],
        meta={"stop_reason": "done"},
    )


def _assert_clean(exp: Experience) -> None:
    exp.model_dump_json().encode("utf-8")  # serialisable: no lone surrogate anywhere
    assert "\x00" not in json.dumps(exp.model_dump(mode="json"), ensure_ascii=False), exp.id


def test_escaped_surrogates_and_nuls_never_break_learn(tmp_path: Path) -> None:
    script = replies()
    n_tasks = len(script) // 2
    # A reply that does not parse is retried once, so the judge and the extractor draw the
    # replies in no fixed pairing: each sees a mix of both shapes.
    llm = ScriptedLLM(script, default='{"items": []}')
    store = SQLiteStore(tmp_path / "bank.db")
    bank = ReasoningBank.from_preset(store, HashEmbedder(dim=64), llm, get_preset("paper"))
    stored = 0
    for n in range(n_tasks):
        try:
            report = bank.learn(_traj(n))
        except LearnError:
            continue
        stored += report.stored
    assert stored == bank.store.count("default") > n_tasks // 2
    for exp in bank.store.list("default", include_superseded=True):
        _assert_clean(exp)
    bank.close()
    reopened = SQLiteStore(tmp_path / "bank.db")
    assert reopened.count("default") == stored
    json.dumps([e.model_dump(mode="json") for e in reopened.list("default")])
    reopened.close()
