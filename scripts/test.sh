#!/usr/bin/env bash
# Runs the whole suite:
#   1. unit, e2e and peer (llama.cpp differential) tests on the Release build;
#   2. unit tests under AddressSanitizer + UndefinedBehaviorSanitizer;
#   3. the GGUF parser fuzz target for a bounded time (clang/libFuzzer).
# Set R1_FUZZ_SECONDS (default 40 per target) to change the fuzzing time.
set -euo pipefail
cd "$(dirname "$0")/.."
JOBS=$(nproc)
status=0
# ccache hits across clean clones in other folders (CI clones afresh).
export CCACHE_BASEDIR="$PWD" CCACHE_NOHASHDIR=1

echo "== sanitizer build (ASan + UBSan): unit tests"
cmake -S . -B build-asan -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo -DR1_SANITIZE=ON >/dev/null
cmake --build build-asan -j"$JOBS"
ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=print_stacktrace=1 \
  ctest --test-dir build-asan -L unit --output-on-failure -j"$JOBS" || status=1

echo "== fuzz: gguf parser, request parser, cost inputs, URLs, audio decoder, multipart forms, SSML"
CC=clang CXX=clang++ cmake -S . -B build-fuzz -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo \
  -DR1_FUZZ=ON -DR1_TESTS=OFF >/dev/null
FUZZ_TARGETS=(gguf server tco url voice_audio multipart ssml)
cmake --build build-fuzz -j"$JOBS" --target "${FUZZ_TARGETS[@]/%/_fuzz}"
for target in "${FUZZ_TARGETS[@]}"; do
  echo "-- ${target}_fuzz"
  mkdir -p "build-fuzz/corpus/$target"
  if ! ./build-fuzz/tests/fuzz/${target}_fuzz -max_total_time="${R1_FUZZ_SECONDS:-40}" -rss_limit_mb=2048 \
      -print_final_stats=1 "build-fuzz/corpus/$target" "tests/fuzz/corpus/$target" > "build-fuzz/$target.log" 2>&1; then
    tail -n 40 "build-fuzz/$target.log"; status=1
  else
    grep -E "^(#[0-9]+ +DONE|stat::number_of_executed_units)" "build-fuzz/$target.log" || true
  fi
done

echo "== release build: unit, e2e and peer tests"
cmake --build build -j"$JOBS"
ctest --test-dir build --output-on-failure -j"$JOBS" -LE peer || status=1
# The peer tests print their agreement figures (PEER_* lines): keep them.
if ! ctest --test-dir build -L peer -V > build/peer-tests.log 2>&1; then
  status=1
  grep -E "Failed|FAILED|Failure|Expected|Which is|exception|failed \(|No space" build/peer-tests.log | head -n 80 || true
fi
grep -E "PEER_|tests passed|tests failed|Total Test time" build/peer-tests.log || true

# Each area's checks that are not ctest targets (manifests, rules, container):
# scripts/test.d/*.sh, run in name order; a non-zero exit fails the suite.
for hook in scripts/test.d/*.sh; do
  [ -e "$hook" ] || continue
  echo "== $(basename "$hook" .sh)"
  bash "$hook" || { echo "FAILED: $hook"; status=1; }
done

exit $status
