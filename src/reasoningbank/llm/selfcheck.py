"""Check that the installed llama.cpp build can run one completion on this CPU.

A build compiled for another CPU (``-march=native`` on a different host, or
llama.cpp's AMX path on an Intel Xeon whose kernel does not grant AMX state)
loads fine and then crashes at the first completion. The check runs that first
completion in a child process, so a crash is reported in one line (the signal
and the build's CPU features) instead of killing the caller.
"""

from __future__ import annotations

import json
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

from .local import describe_exit

_CHILD = r"""
import json, sys, time
import llama_cpp
info = llama_cpp.llama_print_system_info().decode().strip()
print(json.dumps({"build": info}), flush=True)
llm = llama_cpp.Llama(sys.argv[1], n_ctx=512, n_threads=2, verbose=False)
start = time.perf_counter()
out = llm.create_chat_completion(
    messages=[{"role": "user", "content": "Reply with the single word: ready"}], max_tokens=8, temperature=0.0
)
seconds = time.perf_counter() - start
usage = out["usage"]
print(json.dumps({"text": out["choices"][0]["message"]["content"], "seconds": seconds,
                  "completion_tokens": usage["completion_tokens"], "prompt_tokens": usage["prompt_tokens"]}),
      flush=True)
"""


@dataclass(frozen=True)
class SelfCheck:
    ok: bool
    build: str  # llama.cpp's CPU features ("" when it could not even say)
    message: str  # one line: what happened
    seconds: float = 0.0


def check_completion(model_path: str | Path, *, timeout: float = 600.0) -> SelfCheck:
    """Load ``model_path`` with the installed llama-cpp-python and run one short completion."""
    started = time.perf_counter()
    try:
        proc = subprocess.run(
            [sys.executable, "-c", _CHILD, str(model_path)],
            capture_output=True,
            text=True,
            timeout=timeout,
            check=False,
        )
    except subprocess.TimeoutExpired:
        return SelfCheck(False, "", f"no completion within {timeout:.0f}s")
    lines = [json.loads(ln) for ln in proc.stdout.splitlines() if ln.startswith("{")]
    build = next((str(ln["build"]) for ln in lines if "build" in ln), "")
    done = next((ln for ln in lines if "text" in ln), None)
    elapsed = time.perf_counter() - started
    if proc.returncode != 0 or done is None:
        tail = (proc.stderr.strip().splitlines() or [""])[-1][:200]
        where = "before loading the model" if not build else "at the first completion"
        message = f"the llama.cpp build {describe_exit(proc.returncode)} {where}"
        if tail:
            message += f" ({tail})"
        return SelfCheck(False, build, message, elapsed)
    rate = done["completion_tokens"] / done["seconds"] if done["seconds"] > 0 else 0.0
    message = (
        f"one completion in {done['seconds']:.1f}s ({done['prompt_tokens']} prompt tokens, "
        f"{done['completion_tokens']} generated, {rate:.1f} tokens/s): {done['text'].strip()!r}"
    )
    return SelfCheck(True, build, message, elapsed)
