#!/usr/bin/env bash
# Serving benchmarks of `r1serve serve`, driven by `r1serve bench serve`:
#   a. aggregate generation tokens/s (output tokens / wall time, prefill
#      included), 1 stream vs STREAMS concurrent streams (serve --parallel
#      STREAMS) on the 1.5B Q4_K_M synthetic model; also the steady-state
#      decode rate, streams x 1 / ITL p50;
#   b. CONNS concurrent connections on /api/predict (tiny model): each request
#      ends in success or a clean 429 (anything else is a failure); server
#      RSS (before, peak, after); error lines in the server's stderr;
#   c. server overhead per token: engine decode time per token
#      (`r1serve bench --pp 0 --tg TG`) vs the median inter-token latency of
#      one stream through the server, same model and threads, alternated
#      A B A B ROUNDS times, medians;
#   d. server RSS over RSS_REQUESTS /api/predict requests (tiny model),
#      sampled every RSS_EVERY requests: least-squares slope in KB per 1,000,
#      of the anonymous RSS (what a leak grows) and of the whole RSS (which
#      also counts the mmapped model's pages as new tokens touch them,
#      bounded by the file size).
#
#   scripts/bench-serve.sh              full run (~10-15 min on 2 cores)
#   QUICK=1 scripts/bench-serve.sh      smoke run (report under $R1_BENCH_DIR/quick)
#
# Random-weight models rarely emit EOS and the API has no ignore_eos: the
# report gives the tokens generated against the tokens asked for.
# Benchmark on a quiet machine (the report records the load average).
#
# Environment (defaults in brackets):
#   BUILD_DIR [build]   built incrementally unless SKIP_BUILD=1
#   R1_BENCH_DIR [$BUILD_DIR/bench-models]   synthesized models (kept; shared with bench-engine.sh)
#   PRESET [r1-distill-qwen-1.5b]  TYPE [q4_k_m]   THREADS [nproc]
#   STREAMS [8]  OUT_LEN [128]  PROMPT_LEN [16]  REQS_PER_STREAM [2]  (a)
#     (128 output tokens: vLLM benchmark_serving's default; R1's answers,
#     reasoning included, usually run far longer)
#   CONNS [1000]  CONN_REQUESTS [3 x CONNS]  PREDICT_TOKENS [4]       (b: --queue CONNS/4)
#   TG [128]  ROUNDS [3]                                               (a, c)
#   RSS_REQUESTS [10000]  RSS_EVERY [500]  RSS_CONC [16]              (d)
#   TESTS ["a b c d"]   OUT_DIR [docs/benchmarks; QUICK: $R1_BENCH_DIR/quick]
#   QUICK=1   OUT_LEN=16 REQS_PER_STREAM=1 CONNS=200 TG=16 ROUNDS=1 RSS_REQUESTS=1000
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/.." && pwd)"
cd "$ROOT"

if [ "${QUICK:-0}" = 1 ]; then
  OUT_LEN=${OUT_LEN:-16} REQS_PER_STREAM=${REQS_PER_STREAM:-1} CONNS=${CONNS:-200}
  TG=${TG:-16} ROUNDS=${ROUNDS:-1} RSS_REQUESTS=${RSS_REQUESTS:-1000}
fi
BUILD_DIR=${BUILD_DIR:-build}
R1_BENCH_DIR=${R1_BENCH_DIR:-$BUILD_DIR/bench-models}
PRESET=${PRESET:-r1-distill-qwen-1.5b}
TYPE=${TYPE:-q4_k_m}
THREADS=${THREADS:-$(nproc)}
STREAMS=${STREAMS:-8}
OUT_LEN=${OUT_LEN:-128}
PROMPT_LEN=${PROMPT_LEN:-16}
REQS_PER_STREAM=${REQS_PER_STREAM:-2}
CONNS=${CONNS:-1000}
CONN_REQUESTS=${CONN_REQUESTS:-$((3 * CONNS))}
PREDICT_TOKENS=${PREDICT_TOKENS:-4}
TG=${TG:-128}
ROUNDS=${ROUNDS:-3}
RSS_REQUESTS=${RSS_REQUESTS:-10000}
RSS_EVERY=${RSS_EVERY:-500}
RSS_CONC=${RSS_CONC:-16}
TESTS=${TESTS:-a b c d}
if [ "${QUICK:-0}" = 1 ]; then OUT_DIR=${OUT_DIR:-$R1_BENCH_DIR/quick}; fi
OUT_DIR=${OUT_DIR:-docs/benchmarks}
R1SERVE=${R1SERVE:-$BUILD_DIR/r1serve}
BIG="$R1_BENCH_DIR/$PRESET-$TYPE.gguf"
TINY="$R1_BENCH_DIR/tiny-qwen2-q8_0.gguf"

BENCH_NAME=bench-serve
# shellcheck source=lib/bench_common.sh
. "$ROOT/scripts/lib/bench_common.sh"
has_test() { [[ " $TESTS " == *" $1 "* ]]; }

build() { bench_build r1serve; }

synth() { bench_synth "$@"; }  # PRESET TYPE FILE

# start_server NAME MODEL ARGS...: sets PID and PORT; stderr in $WORK/NAME.log.
start_server() {
  local name=$1 model=$2
  shift 2
  cat "$model" >/dev/null
  "$R1SERVE" serve -m "$model" --host 127.0.0.1 --port 0 --threads "$THREADS" "$@" \
    2>"$WORK/$name.log" &
  PID=$!
  PORT=
  for _ in $(seq 600); do
    PORT=$(sed -n 's|.*listening on http://127.0.0.1:\([0-9]*\).*|\1|p' "$WORK/$name.log" | head -n1)
    [ -n "$PORT" ] && break
    kill -0 "$PID" 2>/dev/null || break
    sleep 0.1
  done
  [ -n "$PORT" ] || { cat "$WORK/$name.log" >&2; die "server $name did not start"; }
  for _ in $(seq 600); do
    [ "$(curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$PORT/ready")" = 200 ] && return 0
    sleep 0.1
  done
  die "server $name not ready"
}

stop_server() {
  kill -TERM "$PID" 2>/dev/null || true
  wait "$PID" 2>/dev/null || true
}

rss_kb() { awk -v p="$(getconf PAGESIZE)" '{ printf "%d\n", $2 * p / 1024 }' "/proc/$1/statm"; }
hwm_kb() { awk '/^VmHWM:/ { print $2 }' "/proc/$1/status"; }
# Anonymous (heap, stacks) and file-backed (the mmapped model: its pages
# count once touched, e.g. the embedding rows of tokens seen so far) RSS.
anon_kb() { awk '/^RssAnon:/ { print $2 }' "/proc/$1/status"; }
file_kb() { awk '/^RssFile:/ { print $2 }' "/proc/$1/status"; }
error_lines() { grep -Ec '\[(error|critical)\]|^error:' "$WORK/$1.log" || true; }

# load ARGS...: one `bench serve --json` run against the current server.
load() {
  "$R1SERVE" bench serve --url "http://127.0.0.1:$PORT" --json "$@" 2>>"$WORK/loadgen.log" ||
    { tail -n 5 "$WORK/loadgen.log" >&2; die "bench serve $* failed"; }
}

# engine_totals: the server's decode-step totals from /metrics, as JSON
# {"steps", "forward_s", "busy_s"}.
engine_totals() {
  curl -s "http://127.0.0.1:$PORT/metrics" | python3 -c 'import json, sys
v = {}
for line in sys.stdin:
    for key, name in (("steps", "steps"), ("forward_s", "forward_seconds"), ("busy_s", "busy_seconds")):
        if line.startswith("r1serve_engine_%s_total{kind=\"decode\"} " % name):
            v[key] = float(line.split()[-1])
print(json.dumps(v))'
}

# record TEST JSON [KEY=VALUE ...]: one result line.
record() {
  python3 -c 'import json,sys; j=json.loads(sys.argv[2]); j["test"]=sys.argv[1]
for kv in sys.argv[3:]:
    k, v = kv.split("=", 1); j[k] = json.loads(v)
print(json.dumps(j))' "$@" >>"$RESULTS"
}

test_streams() {
  local n1=$REQS_PER_STREAM n8=$((STREAMS * REQS_PER_STREAM)) out
  start_server streams "$BIG" --parallel "$STREAMS" --ctx 1024
  log "a. warm-up, then 1 vs $STREAMS streams x $ROUNDS rounds ($OUT_LEN tokens each)"
  load -c "$STREAMS" -n "$STREAMS" --output-len 4 --prompt-len "$PROMPT_LEN" >/dev/null
  for ((round = 1; round <= ROUNDS; round++)); do
    for c in 1 "$STREAMS"; do
      local n=$n1
      [ "$c" = 1 ] || n=$n8
      out=$(load -c "$c" -n "$n" --output-len "$OUT_LEN" --prompt-len "$PROMPT_LEN" --seed "$round")
      record streams "$out" "round=$round" "asked_tokens=$((n * OUT_LEN))"
      log "  $c stream(s): $(echo "$out" | python3 -c 'import json,sys; j=json.load(sys.stdin); print("%.2f tok/s, %d/%d ok" % (j["output_tokens_per_s"], j["succeeded"], j["total"]))')"
    done
  done
  stop_server
  record streams_log '{}' "error_lines=$(error_lines streams)"
}

test_connections() {
  # A queue shorter than CONNS: some requests must get a clean 429.
  start_server conns "$TINY" --parallel 16 --queue $((CONNS / 4 + 1)) --ctx 256 --http-threads 2
  load -c 16 -n 64 --endpoint predict --output-len "$PREDICT_TOKENS" --prompt-len 8 >/dev/null
  local before peak_file=$WORK/conns.rss out
  before=$(rss_kb "$PID")
  (while kill -0 "$PID" 2>/dev/null; do rss_kb "$PID" 2>/dev/null; sleep 0.2; done) >"$peak_file" &
  local sampler=$!
  log "b. $CONNS connections, $CONN_REQUESTS requests on /api/predict"
  out=$(load -c "$CONNS" -n "$CONN_REQUESTS" --endpoint predict --output-len "$PREDICT_TOKENS" \
    --prompt-len 8 --timeout 300)
  local after hwm sampled
  after=$(rss_kb "$PID")
  hwm=$(hwm_kb "$PID")
  kill "$sampler" 2>/dev/null || true
  wait "$sampler" 2>/dev/null || true
  sampled=$(sort -n "$peak_file" | tail -n1)
  stop_server
  record conns "$out" "rss_before_kb=$before" "rss_after_kb=$after" "rss_peak_kb=${sampled:-0}" \
    "vm_hwm_kb=${hwm:-0}" "error_lines=$(error_lines conns)" "conns=$CONNS"
}

test_overhead() {
  start_server overhead "$BIG" --parallel 1 --ctx 1024
  load -c 1 -n 1 --output-len 4 --prompt-len "$PROMPT_LEN" >/dev/null
  log "c. engine tg$TG vs one server stream, $THREADS thread(s), $ROUNDS rounds"
  local out
  for ((round = 1; round <= ROUNDS; round++)); do
    out=$("$R1SERVE" bench -m "$BIG" -t "$THREADS" --pp 0 --tg "$TG" --reps 1 --json 2>>"$WORK/engine.log") ||
      die "r1serve bench failed"
    record engine "$out" "round=$round"
    local before after
    before=$(engine_totals)
    out=$(load -c 1 -n 2 --output-len "$TG" --prompt-len "$PROMPT_LEN" --seed "$round")
    after=$(engine_totals)
    record overhead "$out" "round=$round" "engine_before=$before" "engine_after=$after"
  done
  stop_server
  record overhead_log '{}' "error_lines=$(error_lines overhead)"
}

test_rss() {
  start_server rss "$TINY" --parallel 16 --queue 64 --ctx 256 --http-threads 2
  # Warm-up: RSS grows over the first ~1,500 requests (KV pages touched on
  # first use, allocator arenas), then plateaus.
  log "d. warm-up ($((2 * RSS_EVERY)) requests), then RSS over $RSS_REQUESTS requests, sampled every $RSS_EVERY"
  load -c "$RSS_CONC" -n $((2 * RSS_EVERY)) --endpoint predict --output-len "$PREDICT_TOKENS" \
    --prompt-len 8 --seed 999999 >/dev/null
  record rss_sample '{}' "done=0" "rss_kb=$(rss_kb "$PID")" "anon_kb=$(anon_kb "$PID")" "file_kb=$(file_kb "$PID")"
  local done=0 out
  while [ "$done" -lt "$RSS_REQUESTS" ]; do
    out=$(load -c "$RSS_CONC" -n "$RSS_EVERY" --endpoint predict --output-len "$PREDICT_TOKENS" \
      --prompt-len 8 --seed "$done")
    done=$((done + RSS_EVERY))
    record rss_sample "$out" "done=$done" "rss_kb=$(rss_kb "$PID")" "anon_kb=$(anon_kb "$PID")" \
      "file_kb=$(file_kb "$PID")"
  done
  stop_server
  record rss_log '{}' "error_lines=$(error_lines rss)"
}

machine_facts() {
  bench_facts "\"quick\": ${QUICK:-0}, \"threads\": $THREADS, \"big_model\": \"$PRESET $TYPE\", \"streams\": $STREAMS,
 \"out_len\": $OUT_LEN, \"prompt_len\": $PROMPT_LEN, \"reqs_per_stream\": $REQS_PER_STREAM,
 \"conns\": $CONNS, \"conn_requests\": $CONN_REQUESTS, \"predict_tokens\": $PREDICT_TOKENS, \"tg\": $TG,
 \"rounds\": $ROUNDS, \"rss_requests\": $RSS_REQUESTS, \"rss_every\": $RSS_EVERY, \"rss_conc\": $RSS_CONC,
 \"fd_limit\": $(ulimit -n)" >"$WORK/facts.json"
}

# The report: medians over rounds; writes OUT_DIR/serve.md and serve.csv and
# prints the summary table.
REPORT_PY=$(cat <<'PY'
import csv, json, statistics, sys
results_path, facts_path, out_dir = sys.argv[1:4]
runs = [json.loads(l) for l in open(results_path) if l.strip()]
f = json.load(open(facts_path))
by = lambda t: [r for r in runs if r["test"] == t]
med = lambda v: statistics.median(v) if v else None
rows, md_parts = [], []

def row(test, metric, value, unit, target="", met=None):
    rows.append(dict(test=test, metric=metric, value=value, unit=unit, target=target,
                     met="" if met is None else ("yes" if met else "no")))

def fmt(v, spec="%.2f"):
    return "n/a" if v is None else (spec % v if isinstance(v, float) else str(v))

streams = by("streams")
if streams:
    one = [r for r in streams if r["concurrency"] == 1]
    many = [r for r in streams if r["concurrency"] != 1]
    t1, tn = med([r["output_tokens_per_s"] for r in one]), med([r["output_tokens_per_s"] for r in many])
    ratio = tn / t1 if t1 and tn else None
    got = sum(r["output_tokens"] for r in streams); asked = sum(r["asked_tokens"] for r in streams)
    bad = sum(r["failed"] + r["rejected"] for r in streams)
    row("a", "tokens/s, 1 stream", t1, "tok/s")
    row("a", "tokens/s, %d streams" % f["streams"], tn, "tok/s")
    row("a", "ratio %d streams / 1" % f["streams"], ratio, "x", ">= 3", ratio is not None and ratio >= 3)
    # Steady-state decode rate: streams x tokens per second of one stream
    # (1 / ITL p50), without the prefill in the wall time.
    d1 = 1000.0 / med([r["itl_ms"]["p50"] for r in one]) if one else None
    dn = f["streams"] * 1000.0 / med([r["itl_ms"]["p50"] for r in many]) if many else None
    row("a", "decode rate, 1 / %d streams (streams x 1000 / ITL p50)" % f["streams"],
        "%s / %s" % (fmt(d1), fmt(dn)), "tok/s")
    row("a", "decode-rate ratio", dn / d1 if d1 and dn else None, "x")
    row("a", "tokens generated / asked", "%d / %d" % (got, asked), "tokens")
    row("a", "requests not succeeded", bad, "requests", "0", bad == 0)
    for label, rs in (("1 stream", one), ("%d streams" % f["streams"], many)):
        row("a", "TTFT p50, %s" % label, med([r["ttft_ms"]["p50"] for r in rs]), "ms")
        row("a", "ITL p50 / p99, %s" % label, "%s / %s" % (fmt(med([r["itl_ms"]["p50"] for r in rs])),
            fmt(med([r["itl_ms"]["p99"] for r in rs]))), "ms")

for c in by("conns"):
    clean = c["failed"] == 0 and c["succeeded"] + c["rejected"] == c["total"]
    row("b", "connections established", c["connections"], "sockets", ">= %d" % c["conns"],
        c["connections"] >= c["conns"])
    row("b", "requests: succeeded / rejected (429) / failed", "%d / %d / %d" % (
        c["succeeded"], c["rejected"], c["failed"]), "requests", "failed 0", clean)
    row("b", "failures by kind", json.dumps(c["errors"]) if c["errors"] else "none", "")
    row("b", "requests/s (succeeded)", c["requests_per_s"], "req/s")
    row("b", "e2e p50 / p99", "%s / %s" % (fmt(c["e2el_ms"]["p50"]), fmt(c["e2el_ms"]["p99"])), "ms")
    row("b", "server RSS before / sampled peak / after", "%.1f / %.1f / %.1f" % (
        c["rss_before_kb"] / 1024, c["rss_peak_kb"] / 1024, c["rss_after_kb"] / 1024), "MiB")
    row("b", "server VmHWM (peak since start)", c["vm_hwm_kb"] / 1024, "MiB")
    row("b", "server stderr error lines", c["error_lines"], "lines", "0", c["error_lines"] == 0)

eng, ovh = by("engine"), by("overhead")
if eng and ovh:
    tpot = med([1000.0 / r["tg_tps"] for r in eng])
    itl = med([r["itl_ms"]["p50"] for r in ovh])
    pct = 100.0 * (itl - tpot) / tpot if tpot and itl else None
    row("c", "engine decode time per token (tg%d)" % f["tg"], tpot, "ms")
    row("c", "server ITL p50, one stream", itl, "ms")
    row("c", "server TPOT p50, one stream", med([r["tpot_ms"]["p50"] for r in ovh]), "ms")
    row("c", "overhead (ITL - engine) / engine", pct, "%", "< 2", pct is not None and pct < 2)
    row("c", "per round: engine ms / ITL p50 ms", ", ".join("%.2f/%.2f" % (1000.0 / e["tg_tps"], o["itl_ms"]["p50"])
        for e, o in zip(eng, ovh)), "ms")
    # The same run seen from inside the server: its own decode steps (one
    # token each with one stream) against what the client waited per token.
    # Immune to the run-to-run drift of the A/B above; it cannot see a
    # forward pass slowed by the HTTP threads competing for the cores.
    def per_step(o, key):
        b, a = o.get("engine_before", {}), o.get("engine_after", {})
        steps = a.get("steps", 0) - b.get("steps", 0)
        return 1000.0 * (a.get(key, 0) - b.get(key, 0)) / steps if steps > 0 else None
    fwd = [per_step(o, "forward_s") for o in ovh]
    busy = [per_step(o, "busy_s") for o in ovh]
    if all(x is not None for x in fwd + busy):
        in_run = [100.0 * (o["itl_ms"]["p50"] - f_) / f_ for o, f_ in zip(ovh, fwd)]
        thread = [100.0 * (b_ - f_) / f_ for b_, f_ in zip(busy, fwd)]
        row("c", "server's own decode step: forward / whole step", "%s / %s" % (fmt(med(fwd)), fmt(med(busy))), "ms")
        row("c", "engine thread outside the forward pass (sampling, detokenizing, events)", med(thread), "%")
        row("c", "overhead in the same run: (ITL p50 - forward per decode step) / forward", med(in_run), "%",
            "< 2", med(in_run) < 2)
        row("c", "per round: same-run overhead", ", ".join("%.2f" % x for x in in_run), "%")

def slope(pts):
    if len(pts) < 2: return None
    mx, my = statistics.fmean(x for x, _ in pts), statistics.fmean(y for _, y in pts)
    return sum((x - mx) * (y - my) for x, y in pts) / sum((x - mx) ** 2 for x, _ in pts)

samples = by("rss_sample")
if len(samples) >= 2:
    pts = [(s["done"] / 1000.0, float(s["rss_kb"])) for s in samples]
    ys = [y for _, y in pts]
    bad = sum(s.get("failed", 0) + s.get("rejected", 0) for s in samples)
    row("d", "requests (after the warm-up)", samples[-1]["done"], "requests")
    row("d", "RSS first / last", "%d / %d" % (ys[0], ys[-1]), "KB")
    row("d", "RSS slope (least squares)", slope(pts), "KB per 1,000 requests")
    row("d", "RSS slope, second half of the samples", slope(pts[len(pts) // 2:]), "KB per 1,000 requests")
    row("d", "samples (KB)", " ".join("%d" % y for y in ys), "")
    if all("anon_kb" in s for s in samples):
        anon = [(s["done"] / 1000.0, float(s["anon_kb"])) for s in samples]
        a_slope = slope(anon)
        row("d", "anonymous RSS first / last", "%d / %d" % (anon[0][1], anon[-1][1]), "KB")
        row("d", "anonymous RSS slope (heap: what a leak grows)", a_slope, "KB per 1,000 requests",
            "< 100", a_slope is not None and a_slope < 100)
        row("d", "file-backed RSS first / last (model pages touched)", "%d / %d" % (
            samples[0]["file_kb"], samples[-1]["file_kb"]), "KB")
    row("d", "requests not succeeded", bad, "requests", "0", bad == 0)

logs = [r["error_lines"] for r in runs if r["test"].endswith("_log")]
if logs:
    row("all", "error lines, other servers (a, c, d)", sum(logs), "lines", "0", sum(logs) == 0)

names = {"a": "a. Throughput: 1 vs %d streams (%s, %d threads, %d tokens per request)" % (
             f["streams"], f["big_model"], f["threads"], f["out_len"]),
         "b": "b. %d concurrent connections on /api/predict (tiny-qwen2 q8_0, %d requests, max_tokens %d)" % (
             f["conns"], f["conn_requests"], f["predict_tokens"]),
         "c": "c. Server overhead per token (%s, %d threads, tg%d, %d rounds)" % (
             f["big_model"], f["threads"], f["tg"], f["rounds"]),
         "d": "d. Server RSS over %d /api/predict requests (tiny-qwen2 q8_0, concurrency %d, every %d)" % (
             f["rss_requests"], f["rss_conc"], f["rss_every"]),
         "all": "Server logs"}
md = ["# Serving benchmarks", "",
      "Generated by `scripts/bench-serve.sh`%s on %s." % (" (QUICK=1: smoke sizes)" if f["quick"] else "", f["date"]), "",
      "- CPU: %s, %d cores; kernel %s; commit %s; open-file limit %d" % (f["cpu"], f["cores"], f["kernel"], f["commit"], f["fd_limit"]),
      "- load average before / after: %s / %s" % (f["load_before"], f["load_after"]),
      "- models: synthetic (random weights, real shapes); the load generator is `r1serve bench serve`"]
for test in ("a", "b", "c", "d", "all"):
    rs = [r for r in rows if r["test"] == test]
    if not rs: continue
    md += ["", "## " + names[test], "", "| metric | value | unit | target | met |", "|---|---|---|---|---|"]
    md += ["| %s | %s | %s | %s | %s |" % (r["metric"], fmt(r["value"]), r["unit"], r["target"], r["met"]) for r in rs]
open(out_dir + "/serve.md", "w").write("\n".join(md) + "\n")
with open(out_dir + "/serve.csv", "w", newline="") as fh:
    w = csv.DictWriter(fh, fieldnames=["date", "cpu", "cores", "quick", "test", "metric", "value", "unit", "target", "met"])
    w.writeheader()
    for r in rows:
        w.writerow(dict(r, date=f["date"], cpu=f["cpu"], cores=f["cores"], quick=f["quick"],
                        value=round(r["value"], 3) if isinstance(r["value"], float) else r["value"]))
print("\n".join(md[2:]))
PY
)

build
[ -x "$R1SERVE" ] || die "no r1serve at $R1SERVE"
command -v python3 >/dev/null || die "python3 is needed for the report"
command -v curl >/dev/null || die "curl is needed (readiness checks)"
# Children inherit it: the server and the load generator each hold CONNS sockets.
ulimit -n "$(ulimit -Hn)" 2>/dev/null || true
WORK=$(mktemp -d)
trap 'kill -TERM ${PID:-} 2>/dev/null || true; rm -rf "$WORK"' EXIT
RESULTS="$WORK/results.jsonl"
: >"$RESULTS"
if has_test a || has_test c; then synth "$PRESET" "$TYPE" "$BIG"; fi
if has_test b || has_test d; then synth tiny-qwen2 q8_0 "$TINY"; fi
uptime >"$WORK/load_before"
has_test a && test_streams
has_test b && test_connections
has_test c && test_overhead
has_test d && test_rss
uptime >"$WORK/load_after"
machine_facts
mkdir -p "$OUT_DIR"
python3 -c "$REPORT_PY" "$RESULTS" "$WORK/facts.json" "$OUT_DIR"
log "wrote $OUT_DIR/serve.md and $OUT_DIR/serve.csv"
