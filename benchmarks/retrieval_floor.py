"""The retrieval similarity floor (``retrieve.min_score``) on paraphrased tasks: recall, precision per floor.

Run: ``PYTHONPATH=src python benchmarks/retrieval_floor.py`` (the bundled all-MiniLM-L6-v2, offline, on
CPU; about a minute on 2 cores). ``--embedder hash`` runs the same table with the hashing embedder.

The data, ``benchmarks/data/paraphrase_retrieval.jsonl``, written for this benchmark and held apart
from every other tuning: 48 lessons (16 web forms, 16 shell/SWE bugs, 16 data tasks), each stored
as a hand-written item whose query is the task it was learned from, each with 2 paraphrased tasks
of the same kind (other words, other values) that should retrieve it; and 30 unrelated tasks that
should retrieve nothing. Every lesson and every unrelated task carries its ``split``, fixed before
any number was computed: even-numbered lessons and unrelated tasks are ``calibration``, odd ones
``report``. The bank holds all 48 lessons; only the queries are split.

Per floor, on each split, with the preset's k = 1 (what the agent is shown):

* recall@1: paraphrases whose top hit is their lesson and passes the floor;
* recall@3: paraphrases whose lesson is among the 3 best hits passing the floor;
* precision: of the top hits that pass the floor (paraphrases and unrelated tasks), the share that
  is the right lesson;
* unrelated shown: unrelated tasks whose top hit passes the floor (each one a wrong lesson shown).

The rule, fixed before the run: the floor is the one with the highest F1 of recall@1 and precision
on ``calibration`` (ties: the higher floor); the ``report`` row at that floor is the number quoted.
Each preset's query handling is used (small-local masks quoted values; paper does not).
"""

from __future__ import annotations

import argparse
import json
import platform
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from reasoningbank import ReasoningBank
from reasoningbank.config import get_preset
from reasoningbank.embed import make_embedder
from reasoningbank.stores import open_store

DATA = Path(__file__).parent / "data" / "paraphrase_retrieval.jsonl"
FLOORS = [round(0.05 * n, 2) for n in range(0, 20)]
SPLITS = ("calibration", "report")


@dataclass(frozen=True)
class Probe:
    """One query: the lesson it should find (None: none), its split, and the 3 best hits."""

    expected: str | None
    split: str
    hits: tuple[tuple[str, float], ...]


def load(path: Path) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    rows = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]
    return [r for r in rows if r["type"] == "lesson"], [r for r in rows if r["type"] == "unrelated"]


def probes(preset: str, embedder: str) -> list[Probe]:
    lessons, unrelated = load(DATA)
    p = get_preset(preset).with_overrides({"retrieve": {"min_score": 0.0}})
    bank = ReasoningBank(open_store("memory://"), make_embedder(embedder), preset=p)
    owner: dict[str, str] = {}
    for lesson in lessons:
        item = bank.add_item(lesson["title"], lesson["title"], query=lesson["query"])
        owner[str(item.experience_id)] = lesson["id"]
    asks = [(q, les["id"], les["split"]) for les in lessons for q in les["paraphrases"]]
    asks += [(u["query"], None, u["split"]) for u in unrelated]
    out = []
    for query, expected, split in asks:
        hits = bank.retrieve_experiences(query, 3)
        out.append(Probe(expected, split, tuple((owner[h.experience.id], h.score) for h in hits)))
    bank.close()
    return out


def row(ps: list[Probe], floor: float) -> dict[str, float]:
    positives = [p for p in ps if p.expected is not None]
    shown = [p for p in ps if p.hits and p.hits[0][1] >= floor]
    right = [p for p in shown if p.hits[0][0] == p.expected]
    at3 = [p for p in positives if any(i == p.expected and s >= floor for i, s in p.hits)]
    recall = len(right) / len(positives)
    precision = len(right) / len(shown) if shown else 1.0
    f1 = 2 * recall * precision / (recall + precision) if recall + precision else 0.0
    wrong_unrelated = sum(1 for p in shown if p.expected is None)
    return {
        "floor": floor,
        "recall@1": recall,
        "recall@3": len(at3) / len(positives),
        "precision": precision,
        "f1": f1,
        "unrelated_shown": wrong_unrelated / sum(1 for p in ps if p.expected is None),
    }


def table(preset: str, rows: dict[str, list[dict[str, float]]]) -> str:
    head = "| floor | " + " | ".join(f"{s} R@1 / R@3 / P / unrelated shown" for s in SPLITS) + " |"
    lines = [f"preset {preset}", head, "|---|" + "---|" * len(SPLITS)]
    for n, floor in enumerate(FLOORS):
        cells = [
            f"{r['recall@1']:.2f} / {r['recall@3']:.2f} / {r['precision']:.2f} / {r['unrelated_shown']:.2f}"
            for r in (rows[s][n] for s in SPLITS)
        ]
        lines.append(f"| {floor:.2f} | " + " | ".join(cells) + " |")
    return "\n".join(lines)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--embedder", default="local", help="local (all-MiniLM-L6-v2) or hash")
    ap.add_argument("--presets", nargs="+", default=["small-local", "paper"])
    args = ap.parse_args()
    print(f"machine: {platform.machine()}, {platform.python_version()}, embedder {args.embedder}")
    for preset in args.presets:
        start = time.perf_counter()
        ps = probes(preset, args.embedder)
        rows = {s: [row([p for p in ps if p.split == s], f) for f in FLOORS] for s in SPLITS}
        best = max(rows["calibration"], key=lambda r: (round(r["f1"], 6), r["floor"]))
        rep = rows["report"][FLOORS.index(best["floor"])]
        print(table(preset, rows))
        print(
            f"chosen on calibration: floor {best['floor']:.2f} (F1 {best['f1']:.2f}); report half at it: "
            f"recall@1 {rep['recall@1']:.2f}, recall@3 {rep['recall@3']:.2f}, precision "
            f"{rep['precision']:.2f}, unrelated shown {rep['unrelated_shown']:.2f} "
            f"({time.perf_counter() - start:.1f} s)\n"
        )


if __name__ == "__main__":
    main()
