"""Seconds per episode of the ReasoningBank arm: this code against an earlier commit, in one sitting.

Both run the same MiniWoB++ tasks (same families and seeds) with the bundled model, one after the
other on the same machine; the result is the ratio of their mean seconds per episode (agent steps,
judging and extraction included). The earlier commit runs from a git worktree, with its own code
and the packages installed now::

    python benchmarks/episode_speed.py --baseline 3bf45a6 --episodes 2 --seed 30 --out /tmp/speed

Run it on an idle machine: anything else computing beside it slows llama.cpp by an order of
magnitude. Seeds 0-19 are the calibration and report streams; the default seed is outside both.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

FAMILIES = "enter-text,login-user,enter-password,click-checkboxes,focus-text,click-option"
REPO = Path(__file__).resolve().parents[1]


def bench_command(run_dir: Path, args: argparse.Namespace) -> list[str]:
    return [
        sys.executable,
        "-m",
        "reasoningbank",
        "bench",
        "miniwob",
        "--methods",
        "reasoningbank",
        "--tasks",
        args.tasks,
        "--episodes",
        str(args.episodes),
        "--seed",
        str(args.seed),
        "--run-dir",
        str(run_dir),
        "--no-progress",
    ]


def run_arm(name: str, src: Path, run_dir: Path, args: argparse.Namespace) -> list[dict[str, float]]:
    env = {**os.environ, "PYTHONPATH": str(src), "HF_HUB_OFFLINE": "1"}
    print(f"[{name}] running {args.episodes} episode(s) x {len(args.tasks.split(','))} families", flush=True)
    subprocess.run(bench_command(run_dir, args), env=env, check=True, stdout=subprocess.DEVNULL)
    records = [
        json.loads(line) for line in (run_dir / "reasoningbank" / "records.jsonl").read_text().splitlines()
    ]
    return [
        {
            "seconds": float(r["seconds"]),
            "action": float(r["llm"]["action"]["seconds"]),
            "judge": float(r["llm"]["judge"]["seconds"]),
            "extraction": float(r["llm"]["extraction"]["seconds"]),
            "success": float(r["success"]),
        }
        for r in records
    ]


def summary(rows: list[dict[str, float]]) -> dict[str, float]:
    return {key: statistics.mean(r[key] for r in rows) for key in rows[0]}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--baseline", default="3bf45a6", help="the earlier commit (default: compare8's)")
    parser.add_argument("--tasks", default=FAMILIES)
    parser.add_argument("--episodes", type=int, default=2)
    parser.add_argument("--seed", type=int, default=30)
    parser.add_argument("--out", type=Path, default=None, help="where both runs go (default: a temp dir)")
    args = parser.parse_args(argv)
    out = args.out or Path(tempfile.mkdtemp(prefix="reasoningbank-speed-"))
    worktree = out / "baseline-src"
    if not worktree.exists():
        subprocess.run(
            ["git", "-C", str(REPO), "worktree", "add", "--detach", str(worktree), args.baseline], check=True
        )
    try:
        old = run_arm(f"baseline {args.baseline}", worktree / "src", out / "baseline", args)
        new = run_arm("this code", REPO / "src", out / "current", args)
    finally:
        subprocess.run(["git", "-C", str(REPO), "worktree", "remove", "--force", str(worktree)], check=False)
    old_s, new_s = summary(old), summary(new)
    result = {
        "baseline": args.baseline,
        "episodes": len(new),
        "baseline_mean": old_s,
        "current_mean": new_s,
        "ratio": new_s["seconds"] / old_s["seconds"],
    }
    (out / "speed.json").write_text(json.dumps(result, indent=2))
    print("| code | episodes | s / episode | action s | judge s | extraction s | success |")
    print("|---|---|---|---|---|---|---|")
    for name, rows, s in ((args.baseline, old, old_s), ("this code", new, new_s)):
        print(
            f"| {name} | {len(rows)} | {s['seconds']:.1f} | {s['action']:.1f} | {s['judge']:.1f} | "
            f"{s['extraction']:.1f} | {s['success']:.0%} |"
        )
    print(f"\nratio (this code / baseline): {result['ratio']:.2f}  ({out / 'speed.json'})")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
