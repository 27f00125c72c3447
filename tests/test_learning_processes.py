"""Eight processes learning the same lessons into one bank at once, on SQLite and on PostgreSQL.

Each spawned process runs the real ``ReasoningBank.learn`` path (judge, extract,
screen, consolidate, store, record usage) with the shipped fakes, 50 times, and
every extraction repeats the same three lessons plus one lesson of its own.
Before the store's write lock, 3 to 7 copies of each shared lesson stayed current
(each process decided "new" from a bank that did not yet hold the others' copy).
"""

from __future__ import annotations

import hashlib
import multiprocessing as mp
import re
import time
from collections import Counter
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import pytest

from reasoningbank.bank import ReasoningBank
from reasoningbank.config import get_preset
from reasoningbank.embed import HashEmbedder
from reasoningbank.llm import Message, ScriptedLLM
from reasoningbank.models import Step, Trajectory
from reasoningbank.stores import SQLiteStore, Store, open_store

PROCESSES = 8
ROUNDS = 50
SHARED = ("Search before browsing", "Confirm the cart", "Read the error first")
QUERIES = ("buy a red coffee mug", "buy a blue tea cup")
_MARK = re.compile(r"answer-w\d+-\d+")


class SlowReads:
    """Duplicate checks and searches that take a little longer: without the write lock, the window
    between "not in the bank yet" and the write would then almost surely overlap."""

    def has_item_hash(self, scope: str, content_hash: str) -> bool:
        found: bool = super().has_item_hash(scope, content_hash)  # type: ignore[misc]
        time.sleep(0.002)
        return found

    def search(self, *args: Any, **kwargs: Any) -> Any:
        hits = super().search(*args, **kwargs)  # type: ignore[misc]
        time.sleep(0.002)
        return hits


class SlowReadStore(SlowReads, SQLiteStore):
    pass


def slow_store(location: str) -> Store:
    """The bank at ``location`` (a SQLite path or a postgresql:// URL), with slow reads."""
    if location.startswith("postgresql://"):
        from reasoningbank.stores.postgres import PostgresStore

        return type("SlowPostgresStore", (SlowReads, PostgresStore), {})(location)  # type: ignore[no-any-return]
    return SlowReadStore(location)


def _own(mark: str) -> tuple[str, str]:
    """A lesson only one learn extracts: random-looking words, so even ``merge`` keeps it apart."""
    words = [hashlib.sha256(f"{mark}/{i}".encode()).hexdigest()[:10] for i in range(8)]
    return "Own " + " ".join(words[:3]), " ".join(words[3:])


def _reply(messages: Sequence[Message]) -> str:
    """The judge says success; the extractor returns the shared lessons and one of its own."""
    text = "\n".join(m["content"] for m in messages)
    if 'Status: "success" or "failure"' in text:
        return 'Thoughts: the order went through.\nStatus: "success"'
    mark = _MARK.search(text)
    items = [(t, f"Always: {t.lower()}.") for t in SHARED]
    items.append(_own(mark.group(0) if mark else "unknown"))
    return "\n\n".join(
        f"# Memory Item {i}\n## Title {t}\n## Description When shopping.\n## Content {c}"
        for i, (t, c) in enumerate(items, start=1)
    )


def learn_many(location: str, worker: int, mode: str, start: Any, out: Any) -> None:
    """One process: learn ROUNDS trajectories; put the experience ids (or the error) on ``out``."""
    began = time.monotonic()
    opened = waited = 0.0
    try:
        preset = get_preset("paper").with_overrides(
            {"consolidate": {"mode": mode}, "extract": {"max_items": 4}}
        )
        llm = ScriptedLLM(default=_reply)
        with ReasoningBank.from_preset(slow_store(location), HashEmbedder(), llm, preset) as bank:
            opened = time.monotonic() - began
            # Eight spawned processes open one new bank at once: on 2 loaded cores the last one can
            # reach the barrier minutes after the first (it broke once at 120 s in a random-order run).
            start.wait(timeout=600)
            waited = time.monotonic() - began - opened
            ids = []
            for n in range(ROUNDS):
                traj = Trajectory(
                    task_id=f"w{worker}-{n}",
                    query=QUERIES[n % len(QUERIES)],
                    steps=[Step(thought="search", action="fill('q', 'mug')"), Step(action="click('buy')")],
                    final_answer=f"answer-w{worker}-{n}",
                )
                ids.append(bank.learn(traj).experience_id)
        out.put((worker, ids))
    except BaseException as err:  # reported to the test process, which fails with it
        if opened and not waited:
            waited = time.monotonic() - began - opened
        timing = f" (bank opened after {opened:.1f} s, barrier waited {waited:.1f} s)"
        out.put((worker, f"{type(err).__name__}: {err}{timing}"))


def _run(location: str, mode: str) -> dict[int, list[str]]:
    ctx = mp.get_context("spawn")
    start, out = ctx.Barrier(PROCESSES), ctx.Queue()
    procs = [ctx.Process(target=learn_many, args=(location, w, mode, start, out)) for w in range(PROCESSES)]
    for p in procs:
        p.start()
    try:
        results = dict(out.get(timeout=840) for _ in procs)  # under the suite's 900 s per test
    finally:
        for p in procs:
            p.join(30)
            if p.is_alive():
                p.kill()
    errors = {w: r for w, r in results.items() if isinstance(r, str)}
    assert errors == {}
    return results


@pytest.mark.parametrize("backend", ["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
@pytest.mark.parametrize("mode", ["dedup", "merge"])
def test_eight_processes_keep_one_current_copy_of_each_lesson(
    tmp_path: Path, mode: str, backend: str, request: pytest.FixtureRequest
) -> None:
    location = str(tmp_path / "bank.db") if backend == "sqlite" else request.getfixturevalue("pg_url")
    results = _run(location, mode)
    with open_store(location) as store:
        exps = store.list("default")
        if isinstance(store, SQLiteStore):
            assert store.integrity_check() == "ok"
    # nothing lost: every learn stored its experience, once
    learned = [eid for ids in results.values() for eid in ids]
    assert len(learned) == len(set(learned)) == PROCESSES * ROUNDS
    assert sorted(e.id for e in exps) == sorted(learned)
    # nothing duplicated: one current copy of each shared lesson in the whole bank, whatever the
    # kind (both modes find exact copies by hash; issue 25, item 7), and every own lesson kept
    titles = Counter(it.title for e in exps for it in e.items if it.superseded_by is None)
    per_kind = Counter((e.query, it.title) for e in exps for it in e.items if it.title in SHARED)
    assert {t: titles[t] for t in SHARED} == dict.fromkeys(SHARED, 1)
    own = {t for t in titles if t.startswith("Own ")}
    assert own == {_own(f"answer-w{w}-{n}")[0] for w in range(PROCESSES) for n in range(ROUNDS)}
    assert sum(titles.values()) == sum(per_kind.values()) + PROCESSES * ROUNDS
