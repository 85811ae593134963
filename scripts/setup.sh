#!/usr/bin/env bash
# Installs what r1serve needs on Debian 12 and builds it into build/.
# Idempotent: re-running only installs what is missing and rebuilds.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
SUDO=""
if [ "$(id -u)" != 0 ]; then SUDO=sudo; fi

PKGS=(build-essential cmake ninja-build ccache pkg-config git
      libgtest-dev libgmock-dev libbenchmark-dev
      nlohmann-json3-dev libcli11-dev libspdlog-dev libfmt-dev libyaml-cpp-dev
      libssl-dev libpcre2-dev libboost-dev libboost-system-dev
      clang libclang-rt-14-dev python3)
missing=()
for p in "${PKGS[@]}"; do
  dpkg -s "$p" >/dev/null 2>&1 || missing+=("$p")
done
if ! command -v node >/dev/null 2>&1 || ! command -v npm >/dev/null 2>&1; then
  missing+=(nodejs npm)
fi
if [ ${#missing[@]} -gt 0 ]; then
  echo "setup: installing ${missing[*]}"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq "${missing[@]}"
fi

# llama.cpp as a test/benchmark peer only (never linked into the product):
# prebuilt libraries and its source bundle from the npm package.
PEER=$ROOT/.cache/peer
if [ "${R1_NO_PEER:-0}" != 1 ]; then
  if [ ! -f "$PEER/node_modules/node-llama-cpp/package.json" ]; then
    mkdir -p "$PEER"
    (cd "$PEER" && [ -f package.json ] || (cd "$PEER" && npm init -y >/dev/null))
    (cd "$PEER" && npm i -E --ignore-scripts --no-audit --no-fund node-llama-cpp@3.21.1)
  fi
  if [ ! -f "$PEER/llama.cpp/include/llama.h" ]; then
    rm -rf "$PEER/llama.cpp"
    git clone -q "$PEER/node_modules/node-llama-cpp/llama/gitRelease.bundle" "$PEER/llama.cpp"
  fi
fi

# Each area's extra packages and tools (deploy, ops, web): scripts/setup.d/*.sh,
# sourced in name order with ROOT and SUDO set. Each installs only what is missing.
for hook in "$ROOT"/scripts/setup.d/*.sh; do
  [ -e "$hook" ] || continue
  # shellcheck source=/dev/null
  . "$hook"
done

JOBS=$(nproc)
export CCACHE_BASEDIR="$ROOT" CCACHE_NOHASHDIR=1
cmake -S . -B build -G Ninja -DCMAKE_BUILD_TYPE=Release
cmake --build build -j"$JOBS"
echo "setup: built build/r1serve"
# The demo model `r1serve up` serves without -m (random weights, ~1 min on
# 2 cores, once per cache dir): made now, so that the first `up` answers at
# once. R1SERVE_SKIP_DEMO=1 skips it.
if [ "${R1SERVE_SKIP_DEMO:-0}" != 1 ]; then
  build/r1serve model demo >/dev/null ||
    echo "setup: the demo model was not made now; \`r1serve up\` makes it on first use" >&2
fi
