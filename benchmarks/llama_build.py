"""Tokens per second of the installed llama-cpp-python build, for comparing builds on one host.

Run it once per build (each build in its own Python environment), alternating, on an idle
machine; compare the medians as a ratio::

    python benchmarks/llama_build.py --model qwen2.5-coder-1.5b --runs 5          # portable build
    /path/to/other-venv/bin/python benchmarks/llama_build.py --model qwen2.5-coder-1.5b --runs 5

Each run evaluates the same ~600-token prompt from an empty cache and generates 128 tokens
greedily; llama.cpp's own timers give prompt and generation speed. The line printed first
is the build's CPU features (llama_print_system_info), so a result names what it measured.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
from pathlib import Path
from typing import Any

PROMPT_UNIT = (
    "The agent typed the username into the first field, then typed the password into the "
    "second field, and finally pressed the login button to submit the form. "
)


def measure(llm: Any, prompt: str, gen_tokens: int) -> dict[str, float]:
    llm.reset()
    tokens = llm.tokenize(prompt.encode())
    start = time.perf_counter()
    llm.eval(tokens)
    prompt_s = time.perf_counter() - start
    start = time.perf_counter()
    made = 0
    for tok in llm.generate([], temp=0.0, reset=False):
        made += 1
        if made >= gen_tokens or tok == llm.token_eos():
            break
    gen_s = time.perf_counter() - start
    return {
        "prompt_tokens": len(tokens),
        "prompt_tok_s": len(tokens) / prompt_s,
        "gen_tokens": made,
        "gen_tok_s": made / gen_s,
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", default="qwen2.5-coder-1.5b", help="a bundled model name or a .gguf path")
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--gen-tokens", type=int, default=128)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args(argv)

    import llama_cpp

    from reasoningbank.llm.gguf import assemble_model

    path = Path(args.model) if args.model.endswith(".gguf") else assemble_model(args.model)
    info = llama_cpp.llama_print_system_info().decode().strip()
    print(f"build: {info}", file=sys.stderr)
    llm = llama_cpp.Llama(str(path), n_ctx=2048, n_threads=args.threads, verbose=False)
    prompt = PROMPT_UNIT * 20
    measure(llm, prompt, 8)  # warm-up: page the weights in
    runs = [measure(llm, prompt, args.gen_tokens) for _ in range(args.runs)]
    result = {
        "build": info,
        "model": path.name,
        "runs": runs,
        "median_prompt_tok_s": statistics.median(r["prompt_tok_s"] for r in runs),
        "median_gen_tok_s": statistics.median(r["gen_tok_s"] for r in runs),
    }
    if args.json:
        print(json.dumps(result, indent=2))
    else:
        print(
            f"prompt {result['median_prompt_tok_s']:.1f} tok/s, generation {result['median_gen_tok_s']:.1f} "
            f"tok/s (median of {args.runs}; {runs[0]['prompt_tokens']} prompt tokens)"
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
