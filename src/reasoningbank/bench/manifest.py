"""The manifest of a run (``run.json``): what it holds, and the check that lets a run resume.

A run directory is resumed only with the settings it was started with: the
manifest of the new invocation is compared with the recorded one, key by key,
except for keys that may differ (the creation time, package versions). The
methods may differ: every method has its own bank and records, so a method
added to a run runs on the same stream.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import platform
import time
from collections.abc import Sequence
from importlib import metadata
from pathlib import Path
from typing import Any

from ..config import SECTIONS, ConfigError, get_preset, to_sections
from ..embed import Embedder
from ..lessons import Lesson
from ..llm import LLM
from .envs.base import TaskSpec
from .methods import CURATED_KINDS, parse_method
from .records import RunManifest, TaskRef
from .rundir import MANIFEST, read_json, write_json_atomic
from .settings import RunSettings

# Manifest keys that may legitimately differ between a run and its resumption.
_VOLATILE_KEYS = frozenset({"created_at", "versions"})
# Keys added to the manifest later: compared only when the run recorded them too.
_OPTIONAL_KEYS = frozenset(
    {
        "prompt_fingerprint",
        "record_version",
        "judge_checks",
        "judge_passed_p_success",
        "agent_actions",
        "lessons",  # a curated arm added to a run that had none records it then
    }
)
# Preset sections added after runs were recorded. A recorded preset without one ran as the section's
# defaults do (they are the behaviour from before the section), so it compares as having them.
_LATER_SECTIONS = ("scale",)


class ManifestMismatchError(ValueError):
    """The run directory was created with a different configuration (a usage error in the CLI)."""


def prompt_fingerprint() -> dict[str, str]:
    """Short hashes of every text the models are shown: the prompt templates, and
    the agent's instructions with the action grammar. A run refuses to resume when
    they changed, so one run never mixes two versions of a prompt."""
    from ..prompts import available_prompts, get_prompt
    from .agent import ACTION_JSON_SCHEMA, BASE_INSTRUCTIONS, JSON_FORMAT, XML_FORMAT
    from .envs.actions import ACTION_GRAMMAR

    def digest(text: str) -> str:
        return hashlib.sha256(text.encode("utf-8")).hexdigest()[:16]

    templates = "\n".join(f"## {n}\n{get_prompt(n).source}" for n in available_prompts())
    agent = json.dumps([BASE_INSTRUCTIONS, XML_FORMAT, JSON_FORMAT, ACTION_GRAMMAR, ACTION_JSON_SCHEMA])
    return {"templates": digest(templates), "agent": digest(agent)}


def versions() -> dict[str, str]:
    """Python's and the relevant packages' versions (recorded, not compared)."""
    out = {"python": platform.python_version()}
    for dist in ("reasoningbank", "litellm", "miniwob", "sentence-transformers"):
        try:
            out[dist] = metadata.version(dist)
        except metadata.PackageNotFoundError:
            continue
    return out


def lessons_fingerprint(lessons: Sequence[Lesson]) -> dict[str, Any]:
    """What the manifest records of the lessons that seed the curated arms: how many, and a hash
    of their text, so a run never resumes with other lessons than it started with."""
    text = json.dumps([ls.model_dump(mode="json") for ls in lessons], sort_keys=True, ensure_ascii=False)
    return {"count": len(lessons), "sha256": hashlib.sha256(text.encode("utf-8")).hexdigest()}


def validate_run(tasks: Sequence[TaskSpec], methods: Sequence[str]) -> None:
    """Raise ValueError naming the problem when ``tasks`` and ``methods`` cannot make a run."""
    if not tasks:
        raise ValueError("run_stream needs at least one task")
    if not methods:
        raise ValueError("run_stream needs at least one method")
    if len(set(methods)) != len(methods):
        raise ValueError(f"methods are repeated: {list(methods)}")
    for m in methods:
        parse_method(m)
    ids = [t.task_id for t in tasks]
    if len(set(ids)) != len(ids):
        raise ValueError("task ids in the stream must be unique (same family and seed twice?)")


def manifest_model(settings: RunSettings, llm: LLM | None) -> str:
    """The model name the manifest records: the settings', else the LLM's."""
    if settings.model is not None:
        return settings.model
    if llm is None:
        raise ValueError("RunSettings.model must name the model when there is no LLM yet")
    return str(getattr(llm, "model", ""))


def build_manifest(
    tasks: Sequence[TaskSpec],
    methods: Sequence[str],
    embedder: Embedder,
    settings: RunSettings,
    *,
    model: str,
) -> RunManifest:
    """The manifest of a run with these settings (validates them first)."""
    validate_run(tasks, methods)
    kwargs = dict(settings.agent_kwargs)
    fields: dict[str, Any] = {
        "model": model,
        "preset": get_preset(settings.preset).model_dump(mode="json"),
        "embedder": embedder.name,
        "methods": list(methods),
        "tasks": [TaskRef(family=t.family, seed=t.seed) for t in tasks],
        "max_steps": settings.max_steps,
        "agent_kwargs": {k: kwargs[k] for k in sorted(kwargs)},
        "prompt_fingerprint": prompt_fingerprint(),
        "versions": versions(),
        "created_at": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
        # The environment's evidence for the judge, and the agent's actions for screening lessons.
        "judge_checks": [getattr(c, "__name__", repr(c)) for c in settings.evidence.checks],
        "judge_passed_p_success": settings.evidence.passed_p_success,
        "agent_actions": list(settings.agent_actions),
    }
    if settings.scaling is not None:  # only scaled runs carry it, so older manifests still compare
        fields["scaling"] = dataclasses.asdict(settings.scaling)
    needs_lessons = [m for m in methods if parse_method(m)[0] in CURATED_KINDS]
    if needs_lessons and not settings.lessons:
        raise ValueError(
            f"method {needs_lessons[0]!r} needs a lessons file (--lessons FILE): its bank is seeded from it"
        )
    if settings.lessons:  # only runs seeded from lessons carry it, so older manifests still compare
        fields["lessons"] = lessons_fingerprint(settings.lessons)
    return RunManifest.model_validate({**fields, **settings.manifest_extra})


def _comparable(manifest: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in manifest.items() if k not in _VOLATILE_KEYS}


def _sectioned_preset(manifest: dict[str, Any]) -> dict[str, Any]:
    """``manifest`` with a preset recorded under flat keys (runs before the sections) moved into
    its sections, as a manifest records it now. No default is filled in, except a whole section
    added since (:data:`_LATER_SECTIONS`) that the recorded preset lacks."""
    preset = manifest.get("preset")
    if not isinstance(preset, dict):
        return manifest
    try:
        sectioned = to_sections(preset)
    except ConfigError:
        return manifest  # a key this version does not know: it compares unequal, as it should
    for name in _LATER_SECTIONS:
        if name not in sectioned:
            sectioned[name] = SECTIONS[name]().model_dump(mode="json")
    return {**manifest, "preset": json.loads(json.dumps(sectioned))}


def check_manifest(run_dir: Path, manifest: RunManifest) -> list[str] | None:
    """Verify ``manifest`` against the run in ``run_dir`` without writing anything.

    Returns None when the run has no manifest yet (a new run), else the methods
    that ``manifest`` adds to the run (possibly none). Raises
    :class:`ManifestMismatchError` naming the differing keys when the settings
    differ (a subset of the methods can be resumed).
    """
    path = run_dir / MANIFEST
    if not path.exists():
        return None
    old = read_json(path)
    if not isinstance(old, dict):
        raise ManifestMismatchError(f"{path} is not a JSON object")
    # Round-trip the new manifest through JSON so tuples/lists compare equal.
    new_cmp = _comparable(json.loads(json.dumps(manifest.model_dump(mode="json"))))
    old_cmp = _sectioned_preset(_comparable(old))
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


def check_or_write_manifest(run_dir: Path, manifest: RunManifest) -> bool:
    """Write the manifest of a new run, or verify it matches an existing one.

    Returns True when an existing run is being resumed; raises
    :class:`ManifestMismatchError` as :func:`check_manifest` does. Methods
    added to the run are appended to its manifest, which then lists every
    method the run has seen.
    """
    path = run_dir / MANIFEST
    added = check_manifest(run_dir, manifest)
    if added is None:
        write_json_atomic(path, manifest.model_dump(mode="json"))
        return False
    if added:
        old = read_json(path)
        new = {"methods": [*old.get("methods", []), *added]}
        if manifest.model_extra and "lessons" in manifest.model_extra and "lessons" not in old:
            new["lessons"] = manifest.model_extra["lessons"]  # the added arms were seeded from them
        write_json_atomic(path, {**old, **new})
    return True


def check_resume(
    run_dir: str | Path,
    tasks: Sequence[TaskSpec],
    methods: Sequence[str],
    embedder: Embedder,
    settings: RunSettings,
) -> bool:
    """Check, writing nothing, that :func:`~reasoningbank.bench.runner.run_stream` with the
    same arguments may use ``run_dir``.

    Lets a caller refuse bad settings or a mismatched resume before it starts
    anything costly (a model server). ``settings.model`` must be set. Returns
    True when ``run_dir`` holds a run to resume; raises ValueError (or its
    :class:`ManifestMismatchError`) as ``run_stream`` would.
    """
    manifest = build_manifest(tasks, methods, embedder, settings, model=manifest_model(settings, None))
    return check_manifest(Path(run_dir), manifest) is not None
