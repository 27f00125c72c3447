"""REST retrieve throughput under concurrent clients, and what the service adds over a library call.

Run: ``python benchmarks/service_throughput.py [--experiences 10000] [--concurrency 1 4 16]
[--seconds 20] [--out service_throughput.json]``

A SQLite bank of N experiences (two items each, query vectors from the hash
embedder) is served by ``reasoningbank serve``'s app in its own process
(uvicorn on 127.0.0.1, one worker, as the CLI runs it). For each concurrency c,
c clients (asyncio, one connection each) send ``POST /v1/banks/bench/retrieve``
back to back for the given time, with queries drawn from the bank's tasks; the
table gives requests per second and latency percentiles. Then the same queries
go through ``ReasoningBank.retrieve_experiences`` in this process, on the same
file, one at a time: the service's overhead is its single-client latency over
that library call's, with the item records ("why") and without them.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import platform
import random
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import httpx

from reasoningbank.bank import ReasoningBank
from reasoningbank.embed import HashEmbedder
from reasoningbank.models import EmbeddingRef, Experience, MemoryItem
from reasoningbank.server.keys import KeyStore
from reasoningbank.stores import SQLiteStore

BANK = "bench"
DIM = 384
WORDS = (
    "open",
    "search",
    "click",
    "type",
    "submit",
    "select",
    "form",
    "field",
    "button",
    "page",
    "list",
    "date",
)


def task(i: int) -> str:
    rng = random.Random(i)
    return f"task {i}: " + " ".join(rng.choice(WORDS) for _ in range(8))


def build(path: Path, n: int) -> None:
    embedder = HashEmbedder(DIM)
    store = SQLiteStore(path)
    for start in range(0, n, 2000):
        batch = []
        for i in range(start, min(start + 2000, n)):
            vec = embedder.embed_documents([task(i)])[0]
            exp = Experience(
                scope=BANK,
                task_id=f"t{i}",
                query=task(i),
                query_embedding=EmbeddingRef(model=embedder.name, dim=DIM, vector=[float(x) for x in vec]),
            )
            exp.items = [
                MemoryItem(title=f"lesson {i}.{j}", content=f"do step {j} first", experience_id=exp.id)
                for j in range(2)
            ]
            batch.append(exp)
        store.add_many(batch)
    store.close()


def bank(store: SQLiteStore) -> ReasoningBank:
    return ReasoningBank(store, HashEmbedder(DIM), preset="paper", scope=BANK)


def serve(port: int, db: Path, state: Path) -> None:
    """The child process: the REST app on ``db`` (no model: retrieval only)."""
    import uvicorn

    from reasoningbank.server import MemoryService
    from reasoningbank.server.rest.app import create_app

    service = MemoryService(
        SQLiteStore(db), lambda store, scope: ReasoningBank(store, HashEmbedder(DIM), scope=scope), state
    )
    uvicorn.run(create_app(service), host="127.0.0.1", port=port, log_level="warning")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


async def load(
    url: str, key: str, clients: int, seconds: float, queries: list[str], why: bool
) -> dict[str, Any]:
    """``clients`` concurrent clients for ``seconds``: requests per second and latency percentiles."""
    latencies: list[float] = []
    errors = 0
    stop = time.perf_counter() + seconds

    async def client(n: int) -> None:
        nonlocal errors
        rng = random.Random(n)
        async with httpx.AsyncClient(base_url=url, headers={"Authorization": f"Bearer {key}"}) as http:
            while time.perf_counter() < stop:
                body = {"query": rng.choice(queries), "why": why}
                t0 = time.perf_counter()
                response = await http.post(f"/v1/banks/{BANK}/retrieve", json=body)
                latencies.append(time.perf_counter() - t0)
                errors += response.status_code != 200

    started = time.perf_counter()
    await asyncio.gather(*(client(n) for n in range(clients)))
    elapsed = time.perf_counter() - started
    ms = sorted(x * 1000 for x in latencies)
    return {
        "clients": clients,
        "why": why,
        "requests": len(ms),
        "errors": errors,
        "rps": len(ms) / elapsed,
        "p50_ms": ms[len(ms) // 2],
        "p99_ms": ms[min(len(ms) - 1, int(len(ms) * 0.99))],
    }


def median_ms(call: Any, queries: list[str], calls: int) -> float:
    call(queries[0])  # warm
    times = []
    for q in queries[:calls]:
        t0 = time.perf_counter()
        call(q)
        times.append(time.perf_counter() - t0)
    return statistics.median(times) * 1000


def in_process_ms(db: Path, state: Path, queries: list[str], calls: int) -> tuple[float, float]:
    """Median ms on the same file in this process: ``ReasoningBank.retrieve_experiences``, and the
    service core's ``retrieve`` with why (no HTTP)."""
    from reasoningbank.server import MemoryService, Principal
    from reasoningbank.server.schemas import RetrieveRequest

    store = SQLiteStore(db)
    lib = median_ms(bank(store).retrieve_experiences, queries, calls)
    service = MemoryService(store, lambda st, scope: bank(st), state / "core")
    who = Principal("bench", "bench", frozenset({BANK}))
    core = median_ms(lambda q: service.retrieve(who, BANK, RetrieveRequest(query=q)), queries, calls)
    service.close()
    return lib, core


def wait_up(url: str, process: subprocess.Popen[bytes]) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if process.poll() is not None:
            sys.exit("the service process exited")
        try:
            if httpx.get(f"{url}/v1/health", timeout=1).status_code == 200:
                return
        except httpx.TransportError:
            pass
        time.sleep(0.2)
    sys.exit("the service did not start")


def run(args: argparse.Namespace, tmp: Path) -> dict[str, Any]:
    db, state = tmp / "bank.db", tmp / "state"
    t0 = time.perf_counter()
    build(db, args.experiences)
    build_s = time.perf_counter() - t0
    _, key = (keys := KeyStore(state)).create("bench", [BANK])
    keys.close()
    rng = random.Random(7)
    queries = [task(rng.randrange(args.experiences)) + " now" for _ in range(500)]
    port = free_port()
    child = [sys.executable, __file__, "--serve", str(port), "--db", str(db), "--state", str(state)]
    process = subprocess.Popen(child)
    url = f"http://127.0.0.1:{port}"
    try:
        wait_up(url, process)
        asyncio.run(load(url, key, 1, 1.0, queries, True))  # warm the server's caches
        rows = [asyncio.run(load(url, key, c, args.seconds, queries, True)) for c in args.concurrency]
        bare = asyncio.run(load(url, key, 1, args.seconds, queries, False))
    finally:
        process.terminate()
        process.wait(30)
    lib, core = in_process_ms(db, state, queries, args.calls)
    single = next((r for r in rows if r["clients"] == 1), rows[0])
    return {
        "machine": f"{os.cpu_count()} cores, {platform.machine()}, Python {platform.python_version()}",
        "experiences": args.experiences,
        "build_s": build_s,
        "load": rows,
        "single_client_without_why": bare,
        "library_ms": lib,
        "service_core_ms": core,
        "overhead_ratio_with_why": single["p50_ms"] / lib,
        "overhead_ratio_without_why": bare["p50_ms"] / lib,
    }


def report(result: dict[str, Any]) -> None:
    built = f"built in {result['build_s']:.1f} s"
    print(f"machine: {result['machine']}; {result['experiences']} experiences ({built})")
    print(f"{'clients':>10} {'req/s':>9} {'p50 ms':>8} {'p99 ms':>8} {'requests':>9} {'errors':>7}")
    for r in [*result["load"], result["single_client_without_why"]]:
        label = f"{r['clients']}" + ("" if r["why"] else " (no why)")
        cells = (
            f"{r['rps']:>9.1f} {r['p50_ms']:>8.2f} {r['p99_ms']:>8.2f} {r['requests']:>9} {r['errors']:>7}"
        )
        print(f"{label:>10} {cells}")
    print(
        f"in process: library retrieve_experiences {result['library_ms']:.2f} ms, service core with why "
        f"{result['service_core_ms']:.2f} ms (medians)"
    )
    with_why, without = result["overhead_ratio_with_why"], result["overhead_ratio_without_why"]
    print(f"REST p50 (1 client) over the library call: x{with_why:.1f} with why, x{without:.1f} without")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--experiences", type=int, default=10_000)
    parser.add_argument("--concurrency", type=int, nargs="+", default=[1, 4, 16])
    parser.add_argument("--seconds", type=float, default=20.0, help="seconds of load per concurrency")
    parser.add_argument("--calls", type=int, default=300, help="library calls for the baseline (median)")
    parser.add_argument("--out", default="service_throughput.json", help="where to write the JSON result")
    parser.add_argument("--serve", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--db", help=argparse.SUPPRESS)
    parser.add_argument("--state", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.serve:
        serve(args.serve, Path(args.db), Path(args.state))
        return
    with tempfile.TemporaryDirectory() as tmp:
        result = run(args, Path(tmp))
    report(result)
    Path(args.out).write_text(json.dumps(result, indent=2) + "\n", encoding="utf-8")
    print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
