"""Peak memory of ``reasoningbank learn`` on a large trajectory file, against the file's size.

Generates a JSONL file of ``--mb`` megabytes (trajectories of about ``--record-kb`` KB each, with
varied queries), then runs ``reasoningbank learn FILE --outcome success --json`` in a child
process (the real command, its bank built with the scripted LLM and the hash embedder, on a
SQLite bank in a temporary directory, stdout discarded) and reads the child's peak resident set
size from the kernel. A child that only imports the CLI and learns a one-record file gives the
baseline (interpreter, libraries). The result is the extra peak over the baseline as a ratio of
the file size; before streaming, 200 MB peaked at 2.1 GB (a ratio near 10). ``--load`` measures
the old way for comparison (the whole file parsed into a list first)::

    nice -n 19 python benchmarks/learn_memory.py --mb 20
    nice -n 19 python benchmarks/learn_memory.py --mb 20 --load

The bank itself grows with what is learned (each experience's vector is cached for search, and
a learn reads up to 200 past experiences of its kind), so the ratio is measured on the file, not
on the bank: keep ``--record-kb`` large enough that the records, not their number, make the size.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

QUERIES = ("buy a {} mug", "book a flight to {}", "find the cheapest {} laptop", "email {} the report")
WORDS = ("red", "oslo", "lisbon", "gaming", "ada", "blue", "quiet", "grace")


def generate(path: Path, megabytes: float, record_kb: float) -> int:
    """Write trajectories until the file holds ``megabytes``; return how many."""
    target, n = int(megabytes * 1_000_000), 0
    pad = "observation text " * max(1, int(record_kb * 1000 / 17 / 4))
    with path.open("w", encoding="utf-8") as f:
        while f.tell() < target:
            word = WORDS[n % len(WORDS)]
            record = {
                "task_id": f"task-{n}",
                "query": QUERIES[n % len(QUERIES)].format(word) + f" #{n}",
                "steps": [
                    {"thought": f"step {k} {word}", "action": f"click({k})", "observation": pad}
                    for k in range(4)
                ],
                "final_answer": "done",
            }
            f.write(json.dumps(record) + "\n")
            n += 1
    return n


def child(path: str, db: str, load: bool) -> None:
    """Run ``learn`` (or, with ``load``, the old whole-file read first) as the CLI does."""
    from reasoningbank import ReasoningBank
    from reasoningbank.cli import common, main
    from reasoningbank.embed import HashEmbedder
    from reasoningbank.llm import ScriptedLLM
    from reasoningbank.stores import SQLiteStore

    reply = (
        "# Memory Item 1\n## Title Check first\n## Description d\n## Content Check the page before acting."
    )

    def build(cfg: Any, *, llm: Any = None) -> ReasoningBank:
        return ReasoningBank.from_preset(SQLiteStore(db), HashEmbedder(), ScriptedLLM(default=reply), "paper")

    common.build_bank = build  # type: ignore[assignment]
    if load:
        from reasoningbank.trajio import load_trajectories

        held = load_trajectories(path)  # what learn did before streaming: everything at once
        print(len(held), file=sys.stderr)
    sys.stdout = open(os.devnull, "w")  # noqa: SIM115 - the child exits right after
    code = main(["learn", path, "--outcome", "success", "--json"])
    sys.exit(code)


def peak_rss(args: list[str]) -> int:
    """Run this script with ``args`` in a child; its peak RSS in bytes."""
    proc = subprocess.Popen([sys.executable, __file__, *args], stderr=subprocess.PIPE)
    _, status, usage = os.wait4(proc.pid, 0)
    proc.returncode = os.waitstatus_to_exitcode(status)
    err = proc.stderr.read().decode() if proc.stderr else ""
    if proc.returncode != 0:
        raise SystemExit(f"child failed ({proc.returncode}): {err}")
    return usage.ru_maxrss * (1 if sys.platform == "darwin" else 1024)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--mb", type=float, default=20.0, help="size of the generated file (MB)")
    parser.add_argument("--record-kb", type=float, default=20.0, help="size of one trajectory (KB)")
    parser.add_argument("--load", action="store_true", help="load the whole file first (the old way)")
    parser.add_argument("--child", nargs=2, metavar=("FILE", "DB"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child(args.child[0], args.child[1], args.load)
        return
    with tempfile.TemporaryDirectory() as tmp:
        big, small = Path(tmp) / "big.jsonl", Path(tmp) / "small.jsonl"
        records = generate(big, args.mb, args.record_kb)
        generate(small, 0.000001, args.record_kb)
        extra = ["--load"] if args.load else []
        base = peak_rss(["--child", str(small), str(Path(tmp) / "base.db"), *extra])
        peak = peak_rss(["--child", str(big), str(Path(tmp) / "bank.db"), *extra])
        size = big.stat().st_size
    result = {
        "mode": "load whole file" if args.load else "stream",
        "file_mb": round(size / 1e6, 1),
        "records": records,
        "baseline_rss_mb": round(base / 1e6, 1),
        "peak_rss_mb": round(peak / 1e6, 1),
        "extra_over_file": round((peak - base) / size, 3),
    }
    print(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
