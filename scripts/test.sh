#!/usr/bin/env bash
# Runs the whole suite:
#   1. unit, e2e and peer (llama.cpp differential) tests on the Release build;
#   2. unit tests under AddressSanitizer + UndefinedBehaviorSanitizer;
#   3. the GGUF parser fuzz target for a bounded time (clang/libFuzzer).
# Set R1_FUZZ_SECONDS (default 60) to change the fuzzing time.
set -euo pipefail
cd "$(dirname "$0")/.."
JOBS=$(nproc)
status=0

echo "== sanitizer build (ASan + UBSan): unit tests"
cmake -S . -B build-asan -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo -DR1_SANITIZE=ON >/dev/null
cmake --build build-asan -j"$JOBS"
ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=print_stacktrace=1 \
  ctest --test-dir build-asan -L unit --output-on-failure -j"$JOBS" || status=1

echo "== fuzz: gguf parser"
CC=clang CXX=clang++ cmake -S . -B build-fuzz -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo \
  -DR1_FUZZ=ON -DR1_TESTS=OFF >/dev/null
cmake --build build-fuzz -j"$JOBS" --target gguf_fuzz
mkdir -p build-fuzz/corpus/gguf
./build-fuzz/tests/fuzz/gguf_fuzz -max_total_time="${R1_FUZZ_SECONDS:-60}" -rss_limit_mb=2048 \
  -print_final_stats=1 build-fuzz/corpus/gguf tests/fuzz/corpus/gguf 2>&1 | tail -n 12 || status=1

echo "== release build: unit, e2e and peer tests"
cmake --build build -j"$JOBS"
ctest --test-dir build --output-on-failure -j"$JOBS" -LE peer || status=1
ctest --test-dir build --output-on-failure -L peer || status=1

exit $status
