"""Serve a local GGUF model with llama.cpp on loopback, and a client bound to it.

:class:`LlamaServer` runs llama-cpp-python's OpenAI-compatible server on
loopback for the life of a ``with`` block; :func:`local_llm` assembles a
bundled model (:mod:`.gguf`), serves it and yields a
:class:`~reasoningbank.llm.litellm_client.LiteLLMClient` bound to it.
"""

from __future__ import annotations

import contextlib
import ctypes
import importlib.util
import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import IO, Any

from .endpoint import is_loopback_host
from .gguf import ModelAssemblyError, assemble_model
from .litellm_client import LiteLLMClient


class ModelServerError(RuntimeError):
    """The local model server failed to start or answer."""


def describe_exit(code: int) -> str:
    """``"was killed by signal SIGSEGV (11)"`` for a negative return code, else ``"exited with code N"``."""
    if code < 0:
        try:
            name = signal.Signals(-code).name
        except ValueError:
            name = "an unknown signal"
        return f"was killed by signal {name} ({-code})"
    return f"exited with code {code}"


_is_loopback = is_loopback_host


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
        self._temp_log = False  # the log is ours to delete after a clean stop
        self._died: int | None = None  # exit code of a server that died under us

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
            self._temp_log = True
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
                self._died = code
                raise ModelServerError(
                    f"local model {self.model_alias!r}: the llama.cpp server {describe_exit(code)} before "
                    f"it was ready; log {self.log_path}:\n{_tail(self.log_path) if self.log_path else ''}"
                )
            if self._probe():
                return
            time.sleep(delay)
            delay = min(delay * 1.5, 0.5)
        raise ModelServerError(
            f"llama.cpp server at {self.api_base} did not answer within {self.startup_timeout:.0f}s; "
            f"log {self.log_path}:\n{_tail(self.log_path) if self.log_path else ''}"
        )

    def check_alive(self) -> None:
        """Raise :class:`ModelServerError`, in one line, if the server has died since it started.

        Clients call this when a request fails, so a crashed server (e.g. a llama.cpp
        build that faults on this CPU) is reported at once instead of as connection
        errors retried until they run out.
        """
        if self._proc is None or self._proc.poll() is None:
            return
        self._died = self._proc.returncode
        raise ModelServerError(
            f"local model {self.model_alias!r} died: the llama.cpp server {describe_exit(self._died)}; "
            f"log: {self.log_path}"
        )

    def stop(self, grace: float = 10.0) -> None:
        proc, self._proc = self._proc, None
        if proc is not None and proc.poll() is not None and proc.returncode != 0:
            self._died = proc.returncode
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
        if self._temp_log and self._died is None and self.log_path is not None:
            # A log we made in the temp folder is kept only when the server died: its path
            # is in the error message. After a clean stop it is debris.
            self.log_path.unlink(missing_ok=True)

    def __enter__(self) -> LlamaServer:
        return self.start()

    def __exit__(self, *exc_info: object) -> None:
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
        client_kwargs.setdefault("health_check", server.check_alive)
        yield LiteLLMClient(server.model_alias, api_base=server.api_base, **client_kwargs)


__all__ = ["LlamaServer", "ModelAssemblyError", "ModelServerError", "describe_exit", "free_port", "local_llm"]
