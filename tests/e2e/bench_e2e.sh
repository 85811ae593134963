#!/usr/bin/env bash
# End-to-end test of `r1serve bench` and scripts/bench-engine.sh (QUICK mode)
# on a tiny synthetic model: JSON figures are present and positive, batched
# decode works, a bad model path is one "error:" line, and the benchmark
# script writes its report (membw and llama_bench_peer when they are built).
# Usage: bench_e2e.sh path/to/r1serve [path/to/membw] [path/to/llama_bench_peer]
set -euo pipefail
R="$1"
MEMBW_BIN="${2:-}"
LLAMA_BIN="${3:-}"
ROOT="$(cd "$(dirname "$0")/../.." && pwd)"
T="$(mktemp -d)"
trap 'rm -rf "$T"' EXIT
# shellcheck source=e2e_lib.sh
. "$(dirname "$0")/e2e_lib.sh"

# json_check JSON PYTHON-EXPR: the expression (over j) must hold.
json_check() {
  python3 -c 'import json,sys; j=json.loads(sys.argv[1]); sys.exit(0 if eval(sys.argv[2]) else 1)' \
    "$1" "$2" || fail "JSON check '$2' failed on: $1"
}

step synth
mkdir -p "$T/models"
M="$T/models/tiny-qwen2-q8_0.gguf"
"$R" model synth --preset tiny-qwen2 --type q8_0 -o "$M" --threads 2 2>"$T/err" ||
  { cat "$T/err"; fail "synth"; }

step "bench --json"
out=$("$R" bench -m "$M" --json --pp 16 --tg 4 -t 1 2>"$T/err") || { cat "$T/err"; fail "bench"; }
[ "$(printf '%s\n' "$out" | wc -l)" -eq 1 ] || fail "bench --json printed more than one line: $out"
json_check "$out" 'j["pp_tps"] > 0 and j["tg_tps"] > 0 and j["rss_mb"] > 0 and j["load_s"] > 0'
json_check "$out" 'j["threads"] == 1 and j["batch"] == 1 and j["type"] == "q8_0" and j["arch"] == "qwen2"'
json_check "$out" 'j["n_params"] > 0 and 0 < j["weights_read_bytes"] < j["model_bytes"] and j["kv_bytes"] > 0'
json_check "$out" 'len(j["pp_s"]) == 3 and len(j["tg_s"]) == 3'

step "bench --batch 2"
out=$("$R" bench -m "$M" --json --pp 0 --tg 4 --batch 2 --reps 1 -t 1 2>"$T/err") ||
  { cat "$T/err"; fail "bench --batch 2"; }
json_check "$out" 'j["batch"] == 2 and j["tg_tps"] > 0 and j["pp_tps"] == 0'

step "bench text output"
"$R" bench -m "$M" --pp 8 --tg 2 --reps 1 -t 1 >"$T/text" 2>/dev/null || fail "bench (text)"
grep -q '^pp8 ' "$T/text" && grep -q '^tg2 ' "$T/text" && grep -q 'peak RSS' "$T/text" ||
  fail "bench text output: $(cat "$T/text")"

step errors
expect_error "$R" bench -m "$T/missing.gguf" --json
expect_error "$R" bench -m "$M" --batch 0
expect_error "$R" bench -m "$M" --reps 0

if [ -z "$MEMBW_BIN" ] || [ ! -x "$MEMBW_BIN" ]; then
  echo "bench e2e: membw not built, skipping scripts/bench-engine.sh"
  echo "bench e2e: all passed"
  exit 0
fi

step "membw --json"
out=$("$MEMBW_BIN" --size-mib 64 --reps 1 -t 1 --json 2>/dev/null) || fail "membw"
json_check "$out" 'j["gbps_by_threads"]["1"] > 0'

step "scripts/bench-engine.sh (QUICK, tiny-qwen2)"
engines="r1serve"
[ -n "$LLAMA_BIN" ] && [ -x "$LLAMA_BIN" ] && engines="r1serve llama.cpp"
QUICK=1 SKIP_BUILD=1 PRESET=tiny-qwen2 TYPES=q8_0 THREADS=1 BATCH=2 MEMBW_MIB=64 \
  ENGINES="$engines" R1_BENCH_DIR="$T/models" OUT_DIR="$T/report" \
  R1SERVE="$R" MEMBW="$MEMBW_BIN" LLAMA_BENCH="${LLAMA_BIN:-none}" \
  bash "$ROOT/scripts/bench-engine.sh" >"$T/script_out" 2>"$T/script_err" ||
  { cat "$T/script_err"; fail "bench-engine.sh"; }
grep -q '| q8_0 | 1 | pp64 |' "$T/report/engine.md" || fail "no pp row: $(cat "$T/report/engine.md")"
grep -q '| q8_0 | 1 | tg16 x2 |' "$T/report/engine.md" || fail "no batched row"
grep -q '| q8_0 | 1 | tg16@d512 |' "$T/report/engine.md" || fail "no depth row"
[ "$(wc -l <"$T/report/engine.csv")" -eq 5 ] || fail "engine.csv: $(cat "$T/report/engine.csv")"
if [[ "$engines" == *llama.cpp* ]]; then
  grep -q '| llama.cpp |' "$T/report/engine.md" || fail "no llama.cpp figures"
fi
echo "bench e2e: all passed"
