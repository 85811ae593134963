#!/usr/bin/env bash
# Gateway benchmarks -> docs/benchmarks/gateway.md:
#  (a) added latency: p50/p99 of POST /api/predict (max_tokens 1, tiny
#      model) at CONC concurrent connections with `r1serve bench serve`,
#      straight to a worker vs through the gateway in front of that same
#      worker, alternating A/B rounds; medians over rounds and the
#      difference. The closed loop saturates the worker (queueing swamps
#      the gateway's cost), so the same A/B also runs at a rate the worker
#      sustains (RATE requests/s, Poisson) with CONC keep-alive connections
#      held open throughout (`--connections`), requests spread over all of
#      them;
#  (b) crash -> ready: kill -9 the worker of a 1.5B Q4_K_M synthetic model
#      (cached under R1_BENCH_DIR) and time until the gateway reports a
#      healthy replacement (polled every 20 ms; the supervisor's own
#      last_recovery_ms from /admin/status is shown too);
#      CRASHES times, median;
#  (c) the chaos suite (build/tests/e2e/chaos_e2e_test): its CHAOS lines
#      and pass/fail.
#
#   scripts/bench-gateway.sh            full run (~10 min on 2 cores, plus
#                                       ~80 s to synthesize the 1.5B model once)
#   QUICK=1 scripts/bench-gateway.sh    smoke run: CONC=50, 1 round, tiny model
#                                       for (b), one chaos test
#
# Benchmark on a quiet machine: the load generator, the gateway and the
# worker share the cores (the load average is recorded in the report).
#
# Environment (defaults in brackets; QUICK in parentheses):
#   BUILD_DIR [build]  R1SERVE [$BUILD_DIR/r1serve]  SKIP_BUILD=1: no build
#   R1_BENCH_DIR [$BUILD_DIR/bench-models]   synthesized models (kept)
#   CONC [1000] (50)  REQUESTS [20000] (500)  ROUNDS [3] (1)
#   RATE [150] (50)  RATE_REQUESTS [RATE x 20]  RATE_ROUNDS [9] (1)
#   WORKER_ARGS ["--threads 1 --parallel 64 --queue 8192 --ctx 256"]
#   CRASH_PRESET [r1-distill-qwen-1.5b] (tiny-qwen2)  CRASH_TYPE [q4_k_m] (q8_0)
#   CRASHES [3] (1)  BACKOFF_BASE [100ms]  the supervisor's first-restart delay
#   CHAOS_FILTER [*] (Chaos.KillNine*)  RUN_CHAOS [1]  RUN_CRASH [1]
#   OUT_DIR [docs/benchmarks] (R1_BENCH_DIR/quick)
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/.." && pwd)"
cd "$ROOT"

QUICK=${QUICK:-0}
if [ "$QUICK" = 1 ]; then
  CONC=${CONC:-50} REQUESTS=${REQUESTS:-500} ROUNDS=${ROUNDS:-1} CRASHES=${CRASHES:-1}
  CRASH_PRESET=${CRASH_PRESET:-tiny-qwen2} CRASH_TYPE=${CRASH_TYPE:-q8_0}
  CHAOS_FILTER=${CHAOS_FILTER:-Chaos.KillNine*}
  RATE=${RATE:-50} RATE_ROUNDS=${RATE_ROUNDS:-1}
fi
BUILD_DIR=${BUILD_DIR:-build}
R1SERVE=${R1SERVE:-$BUILD_DIR/r1serve}
R1_BENCH_DIR=${R1_BENCH_DIR:-$BUILD_DIR/bench-models}
CONC=${CONC:-1000}
REQUESTS=${REQUESTS:-20000}
ROUNDS=${ROUNDS:-3}
RATE=${RATE:-150}
RATE_REQUESTS=${RATE_REQUESTS:-$((RATE * 20))}
RATE_ROUNDS=${RATE_ROUNDS:-9}
WORKER_ARGS=${WORKER_ARGS:---threads 1 --parallel 64 --queue 8192 --ctx 256}
CRASH_PRESET=${CRASH_PRESET:-r1-distill-qwen-1.5b}
CRASH_TYPE=${CRASH_TYPE:-q4_k_m}
CRASHES=${CRASHES:-3}
BACKOFF_BASE=${BACKOFF_BASE:-100ms}
CHAOS_FILTER=${CHAOS_FILTER:-*}
RUN_CHAOS=${RUN_CHAOS:-1}
CHAOS_TEST=${CHAOS_TEST:-$BUILD_DIR/tests/e2e/chaos_e2e_test}
if [ "$QUICK" = 1 ]; then OUT_DIR=${OUT_DIR:-$R1_BENCH_DIR/quick}; fi
OUT_DIR=${OUT_DIR:-docs/benchmarks}

BENCH_NAME=bench-gateway
# shellcheck source=lib/bench_common.sh
. "$ROOT/scripts/lib/bench_common.sh"
for tool in jq curl awk; do command -v "$tool" >/dev/null || die "$tool is required"; done

WORK=$(mktemp -d "${TMPDIR:-/tmp}/bench-gateway.XXXXXX")
GW_PID=""
stop_gateway() {
  if [ -n "$GW_PID" ] && kill -0 "$GW_PID" 2>/dev/null; then
    kill -TERM "$GW_PID" 2>/dev/null || true
    wait "$GW_PID" 2>/dev/null || true
  fi
  GW_PID=""
}
trap 'stop_gateway; rm -rf "$WORK"' EXIT

# 1000 client sockets + 1000 proxied ones + upstream ones: raise the limit.
ulimit -n 65536 2>/dev/null || ulimit -n "$(ulimit -Hn)" 2>/dev/null || true

build() {
  local targets=(r1serve)
  [ "$RUN_CHAOS" = 1 ] && targets+=(chaos_e2e_test)
  bench_build "${targets[@]}"
}

# synth PRESET TYPE -> path (cached).
synth() {
  bench_synth "$1" "$2" "$R1_BENCH_DIR/$1-$2.gguf"
  echo "$R1_BENCH_DIR/$1-$2.gguf"
}

# start_gateway NAME MODEL: one pool, one replica; sets GW_PID, GW_PORT, ADMIN.
start_gateway() {
  local yaml="$WORK/$1.yaml" args=""
  for a in $WORKER_ARGS; do args+="\"$a\", "; done
  cat > "$yaml" <<EOF
ports: {listen: 0, admin: 0}
pools:
  - {name: $1, model: "$2", replicas: 1, args: [${args%, }]}
health: {interval: 100ms, timeout: 90ms, healthy_threshold: 1, unhealthy_threshold: 2, startup_grace: 300s}
supervisor: {backoff_base: $BACKOFF_BASE, backoff_max: 5s, crash_loop_count: 100, stop_grace: 10s}
EOF
  "$R1SERVE" gateway --config "$yaml" 2> "$WORK/$1.log" &
  GW_PID=$!
  local i
  for i in $(seq 600); do
    grep -q "admin listening on" "$WORK/$1.log" && grep -q "gateway listening on" "$WORK/$1.log" && break
    kill -0 "$GW_PID" 2>/dev/null || { tail -n 20 "$WORK/$1.log" >&2; die "the gateway exited"; }
    sleep 0.1
  done
  GW_PORT=$(grep -m1 -o "gateway listening on http://[^ ]*" "$WORK/$1.log" | sed 's/.*://')
  ADMIN="http://127.0.0.1:$(grep -m1 -o "admin listening on http://[^ ]*" "$WORK/$1.log" | sed 's/.*://')"
  [ -n "$GW_PORT" ] || die "no gateway port in $WORK/$1.log"
}

status_json() { curl -s --max-time 2 "$ADMIN/admin/status" || echo '{}'; }

# wait_healthy [OLD_PID]: until the replica is healthy (with a pid != OLD_PID).
wait_healthy() {
  local i
  for i in $(seq 30000); do
    if status_json | jq -e --argjson old "${1:-0}" \
        '.replicas[0] | select(.healthy == true and .pid != $old and .pid > 0)' >/dev/null 2>&1; then
      return 0
    fi
    sleep 0.02
  done
  die "the replica never got healthy"
}

median() { sort -g | awk '{v[NR]=$1} END {if (NR == 0) print "nan"; else if (NR % 2) print v[(NR+1)/2]; else print (v[NR/2]+v[NR/2+1])/2}'; }

# bench_round URL OUT.json
bench_round() {
  "$R1SERVE" bench serve --url "$1" --endpoint predict --output-len 1 --prompt-len 16 \
    -c "$CONC" -n "$REQUESTS" --timeout 300 --json > "$2" 2> "$2.log" ||
    { tail -n 5 "$2.log" >&2; die "bench serve failed against $1"; }
}

# rate_round URL OUT.json: RATE requests/s over CONC connections held open.
rate_round() {
  "$R1SERVE" bench serve --url "$1" --endpoint predict --output-len 1 --prompt-len 16 \
    --connections "$CONC" --rate "$RATE" -n "$RATE_REQUESTS" --seed "$3" --timeout 60 --json > "$2" 2> "$2.log" ||
    { tail -n 5 "$2.log" >&2; die "bench serve --rate failed against $1"; }
}

latency_section() {
  local model port
  model=$(synth tiny-qwen2 q8_0)
  start_gateway latency "$model"
  wait_healthy
  port=$(status_json | jq -r '.replicas[0].port')
  local direct="http://127.0.0.1:$port" gateway="http://127.0.0.1:$GW_PORT"
  log "(a) warm-up; then $ROUNDS A/B rounds of $REQUESTS requests at $CONC connections"
  REQUESTS=$((CONC * 2)) bench_round "$direct" "$WORK/warm_direct.json"
  REQUESTS=$((CONC * 2)) bench_round "$gateway" "$WORK/warm_gateway.json"
  local r target
  for r in $(seq "$ROUNDS"); do
    for target in direct gateway; do
      local url=$direct
      [ "$target" = gateway ] && url=$gateway
      bench_round "$url" "$WORK/a_${target}_$r.json"
      log "  round $r $target: $(jq -r '"p50 \(.e2el_ms.p50|.*100|round/100) ms, p99 \(.e2el_ms.p99|.*100|round/100) ms, \(.requests_per_s|round) req/s, failed \(.failed), rejected \(.rejected // 0)"' "$WORK/a_${target}_$r.json")"
    done
  done
  log "(a2) $RATE_ROUNDS A/B rounds of $RATE_REQUESTS requests at $RATE req/s over $CONC held connections"
  for r in $(seq "$RATE_ROUNDS"); do
    for target in direct gateway; do
      local url=$direct
      [ "$target" = gateway ] && url=$gateway
      rate_round "$url" "$WORK/r_${target}_$r.json" "$r"
      log "  round $r $target: $(jq -r '"p50 \(.e2el_ms.p50|.*100|round/100) ms, p99 \(.e2el_ms.p99|.*100|round/100) ms, \(.connections) connections, failed \(.failed), rejected \(.rejected // 0)"' "$WORK/r_${target}_$r.json")"
    done
  done
  # The gateway's own histogram: request read -> upstream chosen (first try).
  curl -s --max-time 5 "$ADMIN/metrics" | grep '^r1_gateway_added_latency_seconds' > "$WORK/added_hist.txt" || true
  stop_gateway
}

# field TARGET JQ [SET] -> median over the rounds of SET (a: closed loop,
# r: at RATE), 2 decimals
field() { for f in "$WORK"/"${3:-a}"_"$1"_*.json; do jq -r "$2" "$f"; done | median | awk '{printf "%.2f", $1}'; }
# paired JQ -> median over rounds of (gateway - direct), 3 decimals
paired() {
  local r
  for r in $(seq "$RATE_ROUNDS"); do
    echo "$(jq -r "$1" "$WORK/r_gateway_$r.json") $(jq -r "$1" "$WORK/r_direct_$r.json")"
  done | awk '{print $1 - $2}' | median | awk '{printf "%.3f", $1}'
}

crash_section() {
  local model
  model=$(synth "$CRASH_PRESET" "$CRASH_TYPE")
  cat "$model" > /dev/null  # page cache: a restart maps a resident file
  start_gateway crash "$model"
  wait_healthy
  log "(b) $CRASHES x kill -9 of the $CRASH_PRESET $CRASH_TYPE worker"
  local k
  for k in $(seq "$CRASHES"); do
    local pid t0 t1 sup
    pid=$(status_json | jq -r '.replicas[0].pid')
    t0=$(date +%s%N)
    kill -9 "$pid"
    wait_healthy "$pid"
    t1=$(date +%s%N)
    sup=$(status_json | jq -r '.replicas[0].last_recovery_ms // "n/a"')
    echo "$(( (t1 - t0) / 1000000 )) $sup" >> "$WORK/crash.txt"
    log "  crash $k: ready after $(( (t1 - t0) / 1000000 )) ms (supervisor last_recovery_ms: $sup)"
  done
  stop_gateway
}

chaos_section() {
  : > "$WORK/chaos.txt"
  if [ "$RUN_CHAOS" != 1 ] || [ ! -x "$CHAOS_TEST" ]; then
    echo "(not run: RUN_CHAOS=$RUN_CHAOS, $CHAOS_TEST)" > "$WORK/chaos.txt"
    return 0
  fi
  log "(c) chaos suite: $CHAOS_TEST --gtest_filter=$CHAOS_FILTER"
  local rc=0
  "$CHAOS_TEST" --gtest_filter="$CHAOS_FILTER" --gtest_color=no > "$WORK/chaos.log" 2>&1 || rc=$?
  grep -E "^CHAOS |^\[ +(OK|FAILED) +\]|PASSED|FAILED TEST" "$WORK/chaos.log" | awk '!seen[$0]++' > "$WORK/chaos.txt" || true
  echo "exit status $rc" >> "$WORK/chaos.txt"
}

report() {
  local out="$OUT_DIR/gateway.md"
  mkdir -p "$OUT_DIR"
  local d50 d99 g50 g99
  d50=$(field direct .e2el_ms.p50) d99=$(field direct .e2el_ms.p99)
  g50=$(field gateway .e2el_ms.p50) g99=$(field gateway .e2el_ms.p99)
  {
    echo "# Gateway benchmarks"
    echo
    echo "Produced by \`scripts/bench-gateway.sh\`$([ "$QUICK" = 1 ] && echo " (QUICK=1 smoke run: not representative)") on $(date -u +%Y-%m-%d)."
    echo
    echo "- machine: $(lscpu | sed -n 's/^Model name: *//p' | head -n1), $(nproc) cores"
    echo "- load average: $LOAD_BEFORE (start), $(cut -d' ' -f1-3 /proc/loadavg) (end)"
    echo "- commit: $(git rev-parse --short HEAD 2>/dev/null || echo unknown)$(git diff --quiet 2>/dev/null || echo ' (+ local changes)')"
    echo
    echo "## (a) Added latency of the gateway"
    echo
    echo "\`r1serve bench serve --endpoint predict --output-len 1 --prompt-len 16 -c $CONC -n $REQUESTS\`"
    echo "against one worker (tiny-qwen2 q8_0, \`$WORKER_ARGS\`) directly and through"
    echo "\`r1serve gateway\` in front of that same worker; A/B rounds alternate"
    echo "(after one warm-up each); figures are medians over $ROUNDS rounds, in ms."
    echo "With many connections the worker queues: the latency is mostly queueing time,"
    echo "and the gateway's own cost shows as the difference."
    echo
    echo "| path | p50 | p99 | requests/s | failed | rejected |"
    echo "|---|---|---|---|---|---|"
    echo "| direct | $d50 | $d99 | $(field direct .requests_per_s) | $(field direct .failed | cut -d. -f1) | $(field direct '.rejected // 0' | cut -d. -f1) |"
    echo "| gateway | $g50 | $g99 | $(field gateway .requests_per_s) | $(field gateway .failed | cut -d. -f1) | $(field gateway '.rejected // 0' | cut -d. -f1) |"
    echo "| **added** | **$(awk -v a="$g50" -v b="$d50" 'BEGIN {printf "%.2f", a - b}')** | **$(awk -v a="$g99" -v b="$d99" 'BEGIN {printf "%.2f", a - b}')** | | | |"
    echo
    echo "At a rate the worker sustains: \`--connections $CONC --rate $RATE -n $RATE_REQUESTS\`"
    echo "(Poisson arrivals; all $CONC keep-alive connections opened before the run and"
    echo "held to its end, requests spread over them round robin); medians over"
    echo "$RATE_ROUNDS alternating A/B rounds, in ms; \"added\" is the median of the"
    echo "per-round differences:"
    echo
    echo "| path | p50 | p90 | p99 | connections | failed | rejected |"
    echo "|---|---|---|---|---|---|---|"
    local t
    for t in direct gateway; do
      echo "| $t | $(field $t .e2el_ms.p50 r) | $(field $t .e2el_ms.p90 r) | $(field $t .e2el_ms.p99 r) | $(field $t .connections r | cut -d. -f1) | $(field $t .failed r | cut -d. -f1) | $(field $t '.rejected // 0' r | cut -d. -f1) |"
    done
    echo "| **added** | **$(paired .e2el_ms.p50)** | **$(paired .e2el_ms.p90)** | **$(paired .e2el_ms.p99)** | | | |"
    echo
    echo "Per round, p99 direct / gateway (ms): $(for r in $(seq "$RATE_ROUNDS"); do printf '%s/%s ' "$(jq -r '.e2el_ms.p99|.*100|round/100' "$WORK/r_direct_$r.json")" "$(jq -r '.e2el_ms.p99|.*100|round/100' "$WORK/r_gateway_$r.json")"; done)"
    echo
    echo "The gateway's own \`r1_gateway_added_latency_seconds\` histogram (request read ->"
    echo "upstream chosen, first attempt; all rounds and warm-ups), cumulative share of"
    echo "requests per bucket:"
    echo
    echo "| le (s) | requests | share |"
    echo "|---|---|---|"
    awk -F'[{}" ]+' '/_bucket/ {le=$3; n=$NF; b[++k]=le; c[k]=n} /_count/ {tot=$NF}
      END {for (i = 1; i <= k; i++) printf "| %s | %d | %.4f |\n", b[i], c[i], (tot > 0 ? c[i] / tot : 0)}' \
      "$WORK/added_hist.txt"
    echo
    echo "## (b) Crash -> ready"
    echo
    echo "kill -9 of the only worker (synthetic \`$CRASH_PRESET\` $CRASH_TYPE, file in the page"
    echo "cache) until /admin/status shows a healthy replacement (polled every 20 ms;"
    echo "health interval 100 ms, supervisor backoff_base $BACKOFF_BASE: the first restart"
    echo "waits that long; the default 1s adds the difference). $CRASHES runs, median:"
    echo "**$(awk '{print $1}' "$WORK/crash.txt" | median) ms** (runs: $(awk '{print $1}' "$WORK/crash.txt" | paste -sd' ') ms;"
    echo "the supervisor's own last_recovery_ms (crash reaped -> replacement healthy):"
    echo "$(awk '{print $2}' "$WORK/crash.txt" | paste -sd' ') ms)."
    echo
    echo "## (c) Chaos suite"
    echo
    echo "\`$CHAOS_TEST --gtest_filter=$CHAOS_FILTER\` (tests/e2e/chaos_test.cpp,"
    echo "chaos_rollout_test.cpp: kill -9 and SIGSTOP mid-stream, breaker to a backup"
    echo "pool, rolling update and canary rollback under load, bad configs and models):"
    echo
    echo '```'
    cat "$WORK/chaos.txt"
    echo '```'
  } > "$out"
  log "wrote $out"
  cat "$out"
}

LOAD_BEFORE=$(cut -d' ' -f1-3 /proc/loadavg)
build
[ -x "$R1SERVE" ] || die "no $R1SERVE"
"$R1SERVE" gateway --help >/dev/null 2>&1 || die "$R1SERVE has no gateway command"
latency_section
[ "${RUN_CRASH:-1}" = 1 ] && crash_section || echo "(not run)" > "$WORK/crash.txt"
chaos_section
report
