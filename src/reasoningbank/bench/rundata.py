"""A recorded run, loaded for reading: its manifest and every method's task records.

The report, the plots and re-judging read runs through :func:`load_run`.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from pydantic import ValidationError

from .records import RunManifest, TaskRecord, read_task_records
from .rundir import MANIFEST, RECORDS, read_json


@dataclass
class RunData:
    run_dir: Path
    manifest: RunManifest
    records: dict[str, list[TaskRecord]]  # method -> records ordered by index

    @property
    def methods(self) -> list[str]:
        return list(self.records)

    @property
    def families(self) -> list[str]:
        seen: dict[str, None] = {}
        for t in self.manifest.tasks:
            seen.setdefault(t.family, None)
        for recs in self.records.values():
            for r in recs:
                seen.setdefault(r.family, None)
        return list(seen)


def read_manifest(root: Path) -> RunManifest:
    """The manifest of the run in ``root`` (FileNotFoundError when it is not a run)."""
    path = root / MANIFEST
    if not path.exists():
        raise FileNotFoundError(f"{root} is not a benchmark run directory: {MANIFEST} is missing")
    data = read_json(path)
    if not isinstance(data, dict):
        raise ValueError(f"{path} is not a JSON object")
    try:
        return RunManifest.model_validate(data)
    except ValidationError as exc:
        raise ValueError(f"{path} is not a valid run manifest: {exc}") from exc


def load_run(run_dir: str | Path, methods: list[str] | None = None) -> RunData:
    """Read ``run.json`` and every method's ``records.jsonl`` (only ``methods``,
    in that order, when given: a report on part of a run, e.g. two presets)."""
    root = Path(run_dir)
    only = list(dict.fromkeys(methods)) if methods else None
    manifest = read_manifest(root)
    names = list(manifest.methods)
    for sub in sorted(p.name for p in root.iterdir() if (p / RECORDS).exists()):
        if sub not in names:
            names.append(sub)
    if only is not None:
        missing = [m for m in only if m not in names]
        if missing:
            raise ValueError(
                f"{root} has no records of method(s) {', '.join(missing)}; it has: {', '.join(names)}"
            )
        names = list(only)
    records = {m: sorted(read_task_records(root / m / RECORDS), key=lambda r: r.index) for m in names}
    return RunData(root, manifest, records)
