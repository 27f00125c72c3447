"""On-disk layout of a benchmark run: the manifest, per-method JSONL records and
the pending-episode file that makes a run resumable.

Layout::

    run_dir/run.json                 manifest (config + versions)
    run_dir/<method>/records.jsonl   one JSON object per finished task
    run_dir/<method>/trajectories.jsonl  the trajectory of every finished task (no score)
    run_dir/<method>/pending.json    the episode being learned (crash recovery)
    run_dir/<method>/bank.db         the method's memory bank (SQLite)

Every record line is written with write + flush + fsync, so a crash leaves at
most a torn last line, which :func:`read_records` drops.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

from ..models import Usage

MANIFEST = "run.json"
RECORDS = "records.jsonl"
TRAJECTORIES = "trajectories.jsonl"
PENDING = "pending.json"
BANK = "bank.db"

# Manifest keys that may legitimately differ between a run and its resumption.
_VOLATILE_KEYS = frozenset({"created_at", "versions"})
# Keys added to the manifest later: compared only when the run recorded them too.
_OPTIONAL_KEYS = frozenset({"prompt_fingerprint"})


class ManifestMismatchError(ValueError):
    """The run directory was created with a different configuration (a usage error in the CLI)."""


def method_dir(run_dir: Path, method: str) -> Path:
    return run_dir / method


def usage_dict(usage: Usage) -> dict[str, Any]:
    """The token accounting of one LLM role, as stored in a record."""
    return {
        "calls": usage.calls,
        "prompt_tokens": usage.prompt_tokens,
        "completion_tokens": usage.completion_tokens,
        "total_tokens": usage.total_tokens,
        "cost": usage.cost,
        "seconds": round(usage.seconds, 4),
    }


def append_record(path: Path, record: dict[str, Any]) -> None:
    """Append one JSON line durably (write, flush, fsync)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    line = json.dumps(record, ensure_ascii=False, sort_keys=True) + "\n"
    with path.open("a", encoding="utf-8") as fh:
        fh.write(line)
        fh.flush()
        os.fsync(fh.fileno())


def read_records(path: Path) -> list[dict[str, Any]]:
    """All complete records of a JSONL file; a torn last line is ignored.

    A malformed line anywhere but at the end is an error (the file was edited
    or corrupted, and silently dropping it would skew the results).
    """
    if not path.exists():
        return []
    lines = path.read_text(encoding="utf-8").splitlines()
    out: list[dict[str, Any]] = []
    for n, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        try:
            obj = json.loads(line)
        except json.JSONDecodeError as exc:
            if n == len(lines):
                break  # torn write at crash time: the task will be redone
            raise ValueError(f"{path}: line {n} is not valid JSON ({exc.msg})") from exc
        if not isinstance(obj, dict):
            raise ValueError(f"{path}: line {n} is not a JSON object")
        out.append(obj)
    return out


def write_text_atomic(path: Path, text: str) -> None:
    """Write text to a temporary file, fsync it, then rename over ``path``: a crash
    leaves either the old file or the new one, never half of one."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".tmp")
    with tmp.open("w", encoding="utf-8") as fh:
        fh.write(text)
        fh.flush()
        os.fsync(fh.fileno())
    os.replace(tmp, path)


def write_json_atomic(path: Path, obj: Any) -> None:
    """Write JSON atomically (see :func:`write_text_atomic`)."""
    write_text_atomic(path, json.dumps(obj, ensure_ascii=False, indent=2, sort_keys=True))


def read_json(path: Path) -> Any:
    with path.open(encoding="utf-8") as fh:
        return json.load(fh)


def _comparable(manifest: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in manifest.items() if k not in _VOLATILE_KEYS}


def check_manifest(run_dir: Path, manifest: dict[str, Any]) -> list[str] | None:
    """Verify ``manifest`` against the run in ``run_dir`` without writing anything.

    Returns None when the run has no manifest yet (a new run), else the methods
    that ``manifest`` adds to the run (possibly none). Raises
    :class:`ManifestMismatchError` naming the differing keys when the settings
    differ. The methods may differ: every method has its own bank and records,
    so a method added to a run is run on the same stream (and a subset can be
    resumed).
    """
    path = run_dir / MANIFEST
    if not path.exists():
        return None
    old = read_json(path)
    if not isinstance(old, dict):
        raise ManifestMismatchError(f"{path} is not a JSON object")
    # Round-trip the new manifest through JSON so tuples/lists compare equal.
    new_cmp = _comparable(json.loads(json.dumps(manifest)))
    old_cmp = _comparable(old)
    for key in _OPTIONAL_KEYS - set(old_cmp):
        new_cmp.pop(key, None)
    old_methods = [str(m) for m in old_cmp.pop("methods", [])]
    new_methods = [str(m) for m in new_cmp.pop("methods", [])]
    if new_cmp != old_cmp:
        keys = sorted(k for k in set(new_cmp) | set(old_cmp) if new_cmp.get(k) != old_cmp.get(k))
        details = "; ".join(f"{k}: run has {old_cmp.get(k)!r}, now {new_cmp.get(k)!r}" for k in keys)
        raise ManifestMismatchError(
            f"refusing to resume {run_dir}: its {MANIFEST} was written with a different "
            f"configuration ({details}). Use a new --run-dir or the original settings."
        )
    return [m for m in new_methods if m not in old_methods]


def check_or_write_manifest(run_dir: Path, manifest: dict[str, Any]) -> bool:
    """Write the manifest of a new run, or verify it matches an existing one.

    Returns True when an existing run is being resumed; raises
    :class:`ManifestMismatchError` as :func:`check_manifest` does. Methods
    added to the run are appended to its manifest, which then lists every
    method the run has seen.
    """
    path = run_dir / MANIFEST
    added = check_manifest(run_dir, manifest)
    if added is None:
        write_json_atomic(path, manifest)
        return False
    if added:
        old = read_json(path)
        write_json_atomic(path, {**old, "methods": [*old.get("methods", []), *added]})
    return True
