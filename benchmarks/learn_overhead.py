"""Framework overhead of ``ReasoningBank.learn()`` and ``retrieve()``, model time excluded.

Run: ``python benchmarks/learn_overhead.py [--sizes 1000 10000] [--calls 200]``

The LLM is a :class:`~reasoningbank.llm.ScriptedLLM` that answers instantly (a
fixed judge verdict and a 3-item extraction in the ``small-local`` preset's
JSON format; item titles carry a counter so ``dedup`` consolidation keeps them,
as it would for new lessons). The embedder is the 384-d
:class:`~reasoningbank.embed.HashEmbedder`. For each bank size N a fresh SQLite
file is prefilled with N experiences (random unit query vectors, 2 items each),
then the script measures, in the same run:

* ``learn``: median wall time of one ``bank.learn(traj)`` (judge + extract
  prompt rendering and parsing, consolidation, embedding, the SQLite write);
* ``retrieve warm``: ``bank.retrieve(query)`` with no write since the last call
  (the store's cached vector matrix is reused);
* ``retrieve after learn``: ``bank.retrieve(query)`` right after a ``learn``
  (the cost an agent loop pays when it learns after every task): the store
  appends the new row to its cached matrix instead of reloading it, so this
  should be close to ``retrieve warm``; the store's full-rebuild and append
  counters over this loop are printed to show which path was taken;
* ``retrieve after delete``: ``bank.retrieve(query)`` right after a
  ``store.delete`` (a removal forces a full reload of the matrix from SQLite:
  what every write cost before the cache was made incremental);
* the baseline: ``matrix @ q`` + ``argmax`` (top-1) over an N x 384 float32
  numpy matrix.

Ratios are against the numpy baseline. A breakdown of one ``learn`` by stage
(median) is printed too.
"""

from __future__ import annotations

import argparse
import itertools
import json
import os
import platform
import sqlite3
import statistics
import tempfile
import time
from collections.abc import Callable, Sequence
from pathlib import Path

import numpy as np
import numpy.typing as npt

from reasoningbank import trajio
from reasoningbank.bank import ReasoningBank
from reasoningbank.embed import HashEmbedder
from reasoningbank.llm import Message, ScriptedLLM
from reasoningbank.models import EmbeddingRef, Experience, MemoryItem, Trajectory, Verdict
from reasoningbank.stores import SQLiteStore

DIM = 384
SCOPE = "bench"
PRESET = "small-local"
BATCH = 5000

JUDGE_REPLY = json.dumps({"thoughts": "The agent typed the word and pressed Submit.", "status": "success"})


def make_llm() -> ScriptedLLM:
    counter = itertools.count()

    def reply(messages: Sequence[Message]) -> str:
        if '"status"' in messages[0]["content"]:  # the judge's system prompt asks for a status
            return JUDGE_REPLY
        n = next(counter)
        return json.dumps(
            {
                "items": [
                    {
                        "title": f"Fill every field before submitting ({n}.{i})",
                        "description": "Forms are only accepted when complete.",
                        "content": "Type the requested text into the field first, check its value, "
                        "then press the submit button once.",
                    }
                    for i in range(3)
                ]
            }
        )

    return ScriptedLLM(default=reply, model="scripted-instant")


def random_units(rng: np.random.Generator, n: int) -> npt.NDArray[np.float32]:
    mat = rng.standard_normal((n, DIM)).astype(np.float32)
    out: npt.NDArray[np.float32] = mat / np.linalg.norm(mat, axis=1, keepdims=True)
    return out


def prefill(store: SQLiteStore, matrix: npt.NDArray[np.float32], model: str) -> None:
    for start in range(0, len(matrix), BATCH):
        batch = []
        for i in range(start, min(start + BATCH, len(matrix))):
            exp = Experience(
                scope=SCOPE,
                task_id=f"prefill-{i}",
                query=f"prefilled task {i}: enter a word into the text field and press Submit",
                query_embedding=EmbeddingRef(model=model, dim=DIM, vector=matrix[i].tolist()),
            )
            exp.items = [
                MemoryItem(
                    title=f"prefilled lesson {i}.{j}",
                    content=f"Lesson {j} of prefilled task {i}: check the page before acting.",
                    experience_id=exp.id,
                )
                for j in range(2)
            ]
            batch.append(exp)
        store.add_many(batch)


def median_ms(samples: Sequence[float]) -> float:
    return statistics.median(samples) * 1000


def timed(fn: Callable[..., object], *args: object) -> float:
    t0 = time.perf_counter()
    fn(*args)
    return time.perf_counter() - t0


def numpy_top1(matrix: npt.NDArray[np.float32], q: npt.NDArray[np.float32]) -> int:
    return int(np.argmax(matrix @ q))


def trajectories(base: Sequence[Trajectory], count: int, tag: str) -> list[Trajectory]:
    """``count`` distinct trajectories (task ids ``tag-i``) cycling over ``base``."""
    return [base[i % len(base)].model_copy(update={"task_id": f"{tag}-{i}"}, deep=True) for i in range(count)]


def run_size(n: int, calls: int, tmp: Path, rng: np.random.Generator) -> dict[str, float]:
    embedder = HashEmbedder(dim=DIM)
    matrix = random_units(rng, n)
    store = SQLiteStore(tmp / f"bank-{n}.db")
    t0 = time.perf_counter()
    prefill(store, matrix, embedder.name)
    build_s = time.perf_counter() - t0
    base = trajio.load_trajectories(trajio.example_path())
    queries = [t.query for t in base]
    out: dict[str, float] = {"build_s": build_s}

    with ReasoningBank.from_preset(store, embedder, make_llm(), PRESET, scope=SCOPE) as bank:
        bank.retrieve(queries[0])  # load the matrix once
        # learn, repeated
        trajs = trajectories(base, calls, f"learn-{n}")
        out["learn"] = median_ms([timed(bank.learn, t) for t in trajs])
        # retrieve with a warm cache (no writes in between)
        bank.retrieve(queries[0])
        warm = [timed(bank.retrieve, queries[i % 2]) for i in range(calls)]
        out["retrieve_warm"] = median_ms(warm)
        # retrieve right after a learn: the new row is appended to the cached matrix
        after: list[float] = []
        rebuilds, extends = store.cache_rebuilds, store.cache_extends
        for i, t in enumerate(trajectories(base, calls // 2, f"alt-{n}")):
            bank.learn(t)
            after.append(timed(bank.retrieve, queries[i % 2]))
        out["retrieve_after_learn"] = median_ms(after)
        out["after_learn_rebuilds"] = float(store.cache_rebuilds - rebuilds)
        out["after_learn_extends"] = float(store.cache_extends - extends)
        assert bank.retrieve(queries[0]), "retrieval returned nothing"
        # retrieve right after a delete: a full reload of the matrix
        victims = [e.id for e in store.list(SCOPE, limit=min(calls // 4, 50))]
        after_delete: list[float] = []
        for i, eid in enumerate(victims):
            store.delete(SCOPE, eid)
            after_delete.append(timed(bank.retrieve, queries[i % 2]))
        out["retrieve_after_delete"] = median_ms(after_delete)

        # stage breakdown of one learn (same work learn() does, step by step)
        assert bank.judge is not None and bank.extractor is not None
        judge, extractor = bank.judge, bank.extractor
        stages: dict[str, list[float]] = {
            "judge": [],
            "extract": [],
            "consolidate": [],
            "embed": [],
            "add": [],
        }
        verdict = Verdict(label="success", thoughts="ok", judge_model="scripted-instant")
        for t in trajectories(base, min(calls, 100), f"stage-{n}"):
            stages["judge"].append(timed(judge.judge, t))
            t0 = time.perf_counter()
            extraction = extractor.extract(t, verdict)
            stages["extract"].append(time.perf_counter() - t0)
            t0 = time.perf_counter()
            kept = bank.consolidator.consolidate(extraction.items, store, SCOPE).kept
            stages["consolidate"].append(time.perf_counter() - t0)
            t0 = time.perf_counter()
            vec = embedder.embed_documents([t.query])[0]
            emb = EmbeddingRef(model=embedder.name, dim=DIM, vector=[float(x) for x in vec])
            stages["embed"].append(time.perf_counter() - t0)
            exp = Experience(scope=SCOPE, task_id=t.task_id, query=t.query, query_embedding=emb, trajectory=t)
            exp.items = [it.model_copy(update={"experience_id": exp.id}) for it in kept]
            stages["add"].append(timed(store.add, exp))
        for name, samples in stages.items():
            out[f"stage_{name}"] = median_ms(samples)
        out["embed_query"] = median_ms([timed(embedder.embed_query, queries[0]) for _ in range(calls)])
        out["final_count"] = float(store.count(SCOPE))

    # numpy baseline over the same N (+ the rows learn() added do not matter at this scale)
    qs = random_units(rng, calls)
    matrix_c = np.ascontiguousarray(matrix)
    out["numpy_top1"] = median_ms([timed(numpy_top1, matrix_c, q) for q in qs])
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[1_000, 10_000])
    parser.add_argument("--calls", type=int, default=200, help="calls per measurement (median)")
    args = parser.parse_args()

    print(
        f"machine: {os.cpu_count()} cores, {platform.machine()}, Python {platform.python_version()}, "
        f"numpy {np.__version__}, SQLite {sqlite3.sqlite_version}"
    )
    print(
        f"preset {PRESET!r}, instant ScriptedLLM, HashEmbedder({DIM}), SQLiteStore; medians of {args.calls}"
    )
    rng = np.random.default_rng(0)
    started = time.perf_counter()
    results: list[tuple[int, dict[str, float]]] = []
    with tempfile.TemporaryDirectory() as tmp:
        for n in args.sizes:
            results.append((n, run_size(n, args.calls, Path(tmp), rng)))

    print()
    print(f"{'N':>7} {'operation':<23} {'median ms':>10} {'x numpy':>9}")
    for n, r in results:
        base = r["numpy_top1"]
        for key, label in (
            ("learn", "learn()"),
            ("retrieve_warm", "retrieve() warm"),
            ("retrieve_after_learn", "retrieve() after learn"),
            ("retrieve_after_delete", "retrieve() after delete"),
            ("numpy_top1", "numpy M@q top-1"),
        ):
            print(f"{n:>7} {label:<23} {r[key]:>10.3f} {r[key] / base:>9.1f}")
    print()
    print("store cache over the retrieve-after-learn loop (full rebuilds / appends):")
    for n, r in results:
        print(f"{n:>7} {int(r['after_learn_rebuilds']):>6} / {int(r['after_learn_extends'])}")
    print()
    print("learn() by stage (median ms):")
    names = ("judge", "extract", "consolidate", "embed", "add")
    print(f"{'N':>7} " + " ".join(f"{s:>11}" for s in names) + f" {'embed_query':>11} {'build s':>8}")
    for n, r in results:
        cells = " ".join(f"{r['stage_' + s]:>11.3f}" for s in names)
        print(f"{n:>7} {cells} {r['embed_query']:>11.3f} {r['build_s']:>8.1f}")
    print(f"\ntotal {time.perf_counter() - started:.1f} s")


if __name__ == "__main__":
    main()
