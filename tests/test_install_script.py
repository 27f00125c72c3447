"""scripts/install.sh chooses llama.cpp's instruction sets for the CPU and checks the installed build.

The shell functions are run on their own with a made-up CPU flag list and a made-up build (no build,
no pip): the choice must never include AMX, must use AVX-512 only where the CPU has it, and the check
must refuse a cached wheel built for another CPU.
"""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

SCRIPT = Path(__file__).resolve().parents[1] / "scripts" / "install.sh"
HASWELL = "fpu sse sse2 avx avx2 fma f16c bmi2"
ZEN4 = HASWELL + " avx512f avx512dq avx512bw avx512vl avx512_vnni avx512_bf16 avx512vbmi"
XEON_AMX = ZEN4 + " amx_tile amx_int8 amx_bf16 avx_vnni"
V3 = "CPU : SSE3 = 1 | AVX = 1 | AVX2 = 1 | F16C = 1 | FMA = 1 | BMI2 = 1 | OPENMP = 1 |"
AVX512 = V3.replace(
    "BMI2 = 1 |", "BMI2 = 1 | AVX512 = 1 | AVX512_VBMI = 1 | AVX512_VNNI = 1 | AVX512_BF16 = 1 |"
)
NATIVE_XEON = AVX512 + " AVX_VNNI = 1 | AMX_INT8 = 1 |"


def _functions() -> str:
    text = SCRIPT.read_text()
    start = text.index("SAFE_CMAKE_ARGS=")
    end = text.index("build_llama() {")
    return text[start:end].replace("HOST_FLAGS=", "HOST_FLAGS_FROM_PROC=")


def run(flags: str, build: str, command: str) -> subprocess.CompletedProcess[str]:
    script = f"HOST_FLAGS=\" {flags} \"\n{_functions()}\nllama_build() {{ echo '{build}'; }}\n{command}\n"
    return subprocess.run(["bash", "-c", script], capture_output=True, text=True, check=False)


def test_the_choice_never_includes_amx_and_uses_avx512_only_where_present() -> None:
    for flags in (ZEN4, XEON_AMX):
        args = run(flags, "", "host_cmake_args").stdout
        assert "-DGGML_AVX512=ON" in args and "-DGGML_AVX512_BF16=ON" in args
        assert "-DGGML_AMX_INT8=OFF" in args and "-DGGML_NATIVE=OFF" in args and "AMX_INT8=ON" not in args
    args = run(HASWELL, "", "host_cmake_args").stdout
    assert "-DGGML_AVX512=OFF" in args and "-DGGML_AVX2=ON" in args


@pytest.mark.parametrize(
    ("flags", "build", "intended"),
    [
        (ZEN4, AVX512, True),
        (XEON_AMX, AVX512, True),
        (XEON_AMX, NATIVE_XEON, False),  # the cached native wheel that crashed
        (ZEN4, V3, False),  # works, but leaves this CPU's AVX-512 unused: rebuilt once
        (HASWELL, V3, True),
        (HASWELL, AVX512, False),  # a wheel built on another host: would not run here
        (ZEN4, "", False),  # not installed
    ],
)
def test_the_installed_build_is_checked_against_the_choice(flags: str, build: str, intended: bool) -> None:
    result = run(flags, build, "llama_build_is_intended && echo yes || echo no")
    assert result.stdout.strip() == ("yes" if intended else "no"), result.stderr
