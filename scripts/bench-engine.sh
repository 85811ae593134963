#!/usr/bin/env bash
# Engine speed: r1serve vs llama.cpp on synthetic R1-Distill-Qwen-1.5B-shaped
# models (random weights run at the speed of real ones), prefill (pp) and
# decode (tg), 1 and 2 threads, plus batched decode and decode at a KV-cache
# depth (tg128@d4096: 4096 cached positions, filled untimed, before the
# decode steps); medians, ratios and decode as a share of the memory-bandwidth
# roofline.
#
#   scripts/bench-engine.sh              full run (~15-25 min on 2 cores)
#   QUICK=1 scripts/bench-engine.sh      smoke run: pp64 tg16, depth 512, 1 round
#
# Protocol (see apps/r1serve/cmd_bench.h): every invocation loads the model,
# warms up (one prefill + one decode step), then times --reps repetitions;
# r1serve (A) and llama.cpp (B, bench/llama_bench_peer) run alternately,
# A B A B ..., ROUNDS times per configuration. A figure is the median over
# rounds of each run's median. Model files are read once (cat > /dev/null)
# before each round so that page-in never shows in the figures.
# Benchmark on a quiet machine: on 2 cores any other busy process ruins the
# 2-thread figures (the load average is recorded in the report).
#
# Environment (defaults in brackets):
#   BUILD_DIR [build]        build tree; built incrementally unless SKIP_BUILD=1
#   R1_BENCH_DIR [$BUILD_DIR/bench-models]  synthesized models (kept)
#   PRESET [r1-distill-qwen-1.5b]   TYPES ["q4_k_m q8_0"]   THREADS ["1 2"]
#   PP [512]  TG [128]  BATCH [4] (0: no batched decode)  ROUNDS [3]  REPS [2]
#   DEPTH [4096] (empty or 0: no decode-at-depth row; the fill of DEPTH
#     tokens runs, untimed, once per repetition of that row)
#   DEPTH_THREADS [$THREADS]  DEPTH_TYPES [$TYPES]  where the depth row runs
#   BUSY [1] (0: no row "tg +busy": decode on every thread with a competing
#     busy process, to compare with the 1-thread figure)
#   ENGINES ["r1serve llama.cpp"]   MEMBW_MIB [1024]
#   OUT_DIR [docs/benchmarks; QUICK: $R1_BENCH_DIR/quick]  engine.md, engine.csv
#   R1SERVE, MEMBW, LLAMA_BENCH      binaries (default: in BUILD_DIR)
#   QUICK=1                          PP=64 TG=16 DEPTH=512 ROUNDS=1 REPS=1 MEMBW_MIB=256
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/.." && pwd)"
cd "$ROOT"

if [ "${QUICK:-0}" = 1 ]; then
  PP=${PP:-64} TG=${TG:-16} DEPTH=${DEPTH-512} ROUNDS=${ROUNDS:-1} REPS=${REPS:-1} MEMBW_MIB=${MEMBW_MIB:-256}
fi
BUILD_DIR=${BUILD_DIR:-build}
R1_BENCH_DIR=${R1_BENCH_DIR:-$BUILD_DIR/bench-models}
PRESET=${PRESET:-r1-distill-qwen-1.5b}
TYPES=${TYPES:-q4_k_m q8_0}
THREADS=${THREADS:-1 2}
PP=${PP:-512}
TG=${TG:-128}
BATCH=${BATCH:-4}
DEPTH=${DEPTH-4096}
DEPTH=${DEPTH:-0}
BUSY=${BUSY:-1}
ROUNDS=${ROUNDS:-3}
REPS=${REPS:-2}
ENGINES=${ENGINES:-r1serve llama.cpp}
MEMBW_MIB=${MEMBW_MIB:-1024}
if [ "${QUICK:-0}" = 1 ]; then OUT_DIR=${OUT_DIR:-$R1_BENCH_DIR/quick}; fi
OUT_DIR=${OUT_DIR:-docs/benchmarks}
R1SERVE=${R1SERVE:-$BUILD_DIR/r1serve}
MEMBW=${MEMBW:-$BUILD_DIR/bench/membw}
LLAMA_BENCH=${LLAMA_BENCH:-$BUILD_DIR/bench/llama_bench_peer}

BENCH_NAME=bench-engine
# shellcheck source=lib/bench_common.sh
. "$ROOT/scripts/lib/bench_common.sh"
has_engine() { [[ " $ENGINES " == *" $1 "* ]]; }

build() {
  bench_build r1serve membw
  bench_build llama_bench_peer || log "llama_bench_peer not built (no llama.cpp peer? run scripts/setup.sh)"
}

check_tools() {
  [ -x "$R1SERVE" ] || die "no r1serve at $R1SERVE"
  [ -x "$MEMBW" ] || die "no membw at $MEMBW"
  if has_engine llama.cpp && [ ! -x "$LLAMA_BENCH" ]; then
    log "no llama_bench_peer at $LLAMA_BENCH: measuring r1serve only"
    ENGINES=r1serve
  fi
  command -v python3 >/dev/null || die "python3 is needed for the report"
}

synth_models() {
  mkdir -p "$R1_BENCH_DIR"
  for type in $TYPES; do
    bench_synth "$PRESET" "$type" "$R1_BENCH_DIR/$PRESET-$type.gguf"
  done
}

# run_one ENGINE MODEL THREADS PP TG BATCH DEPTH [BUSY]: appends one JSON
# line to $RESULTS. BUSY=1: a competing busy process (a shell spin loop)
# runs alongside, as when another program takes a core.
run_one() {
  local engine=$1 model=$2 threads=$3 pp=$4 tg=$5 batch=$6 depth=$7 busy=${8:-0} bin out busy_pid=""
  bin=$R1SERVE
  local args=(-m "$model" -t "$threads" --pp "$pp" --tg "$tg" --batch "$batch" --reps "$REPS" --json)
  if [ "$depth" -gt 0 ]; then args+=(--depth "$depth"); fi
  if [ "$engine" = llama.cpp ]; then
    bin=$LLAMA_BENCH
  else
    args=(bench "${args[@]}")
  fi
  if [ "$busy" = 1 ]; then
    sh -c 'while :; do :; done' &
    busy_pid=$!
  fi
  if ! out=$("$bin" "${args[@]}" 2>"$WORK/stderr"); then
    [ -n "$busy_pid" ] && kill "$busy_pid"
    cat "$WORK/stderr" >&2
    die "$engine failed on $model (threads $threads, pp $pp, tg $tg, batch $batch, depth $depth)"
  fi
  if [ -n "$busy_pid" ]; then
    kill "$busy_pid"
    wait "$busy_pid" 2>/dev/null || true
    out=$(python3 -c 'import json,sys; j=json.loads(sys.argv[1]); j["busy"]=1; print(json.dumps(j))' "$out")
  fi
  echo "$out" >>"$RESULTS"
  python3 -c 'import json,sys; j=json.loads(sys.argv[1]); print("  %-9s %-7s t%d b%d d%d  pp %8.2f  tg %8.2f tok/s  rss %6.0f MB" % (j["engine"], j["type"], j["threads"], j["batch"], j.get("depth", 0), j["pp_tps"], j["tg_tps"], j["rss_mb"]))' "$out" >&2
}

# Alternates the engines ROUNDS times for one configuration.
alternate() {
  local model=$1 threads=$2 pp=$3 tg=$4 batch=$5 depth=${6:-0} busy=${7:-0}
  for ((round = 1; round <= ROUNDS; round++)); do
    cat "$model" >/dev/null
    for engine in $ENGINES; do
      run_one "$engine" "$model" "$threads" "$pp" "$tg" "$batch" "$depth" "$busy"
    done
  done
}

measure() {
  local threads_args=()
  for t in $THREADS; do threads_args+=(-t "$t"); done
  log "memory bandwidth ($MEMBW_MIB MiB)"
  "$MEMBW" --size-mib "$MEMBW_MIB" "${threads_args[@]}" --json 2>/dev/null >"$WORK/membw.json" ||
    die "membw failed"
  uptime >"$WORK/load_before"
  for type in $TYPES; do
    local model="$R1_BENCH_DIR/$PRESET-$type.gguf"
    for t in $THREADS; do
      log "$PRESET $type, $t thread(s): pp$PP tg$TG x $ROUNDS rounds"
      alternate "$model" "$t" "$PP" "$TG" 1
      if [ "$BATCH" -gt 1 ]; then
        log "$PRESET $type, $t thread(s): tg$TG at batch $BATCH"
        alternate "$model" "$t" 0 "$TG" "$BATCH"
      fi
      if [ "$DEPTH" -gt 0 ] && [[ " ${DEPTH_THREADS:-$THREADS} " == *" $t "* ]] &&
        [[ " ${DEPTH_TYPES:-$TYPES} " == *" $type "* ]]; then
        log "$PRESET $type, $t thread(s): tg$TG at depth $DEPTH"
        alternate "$model" "$t" 0 "$TG" 1 "$DEPTH"
      fi
      if [ "$BUSY" = 1 ] && [ "$t" -gt 1 ]; then
        log "$PRESET $type, $t thread(s): tg$TG with a competing busy process"
        alternate "$model" "$t" 0 "$TG" 1 0 1
      fi
    done
  done
  uptime >"$WORK/load_after"
}

machine_facts() {
  bench_facts "\"preset\": \"$PRESET\", \"pp\": $PP, \"tg\": $TG, \"batch\": $BATCH, \"depth\": $DEPTH,
 \"rounds\": $ROUNDS, \"reps\": $REPS" >"$WORK/facts.json"
}

report() {
  mkdir -p "$OUT_DIR"
  python3 -c "$REPORT_PY" "$RESULTS" "$WORK/membw.json" "$WORK/facts.json" "$OUT_DIR"
  log "wrote $OUT_DIR/engine.md and $OUT_DIR/engine.csv"
}

# The report: medians per (type, threads, test), ratios, roofline shares;
# writes OUT_DIR/engine.md and engine.csv and prints the tables.
REPORT_PY=$(cat <<'PY'
import csv, json, statistics, sys
results_path, membw_path, facts_path, out_dir = sys.argv[1:5]
runs = [json.loads(l) for l in open(results_path) if l.strip()]
bw = json.load(open(membw_path))
facts = json.load(open(facts_path))
gbps = {int(k): v for k, v in bw["gbps_by_threads"].items()}

def key(r, what):
    b, d = r["batch"], r.get("depth", 0)
    test = "pp%d" % r["n_pp"] if what == "pp" else ("tg%d" % r["n_tg"] + (" x%d" % b if b > 1 else ""))
    return (r["type"], r["threads"], test + ("@d%d" % d if d > 0 else "") + (" +busy" if r.get("busy") else ""))

cells, extra, read_bytes, kv_pos, shape = {}, {}, {}, {}, {}
for r in runs:
    if r["engine"] == "r1serve":
        read_bytes[r["type"]] = r["weights_read_bytes"]
        kv_pos[r["type"]] = r.get("kv_bytes_per_pos", 0)
    for what in ("pp", "tg"):
        if r["n_" + what] > 0:
            cells.setdefault(key(r, what), {}).setdefault(r["engine"], []).append(r[what + "_tps"])
            shape[key(r, what)] = (r["batch"], r.get("depth", 0), r["n_tg"])
    e = extra.setdefault((r["type"], r["engine"]), {"load_s": [], "rss_mb": [], "model_bytes": r["model_bytes"]})
    e["load_s"].append(r["load_s"]); e["rss_mb"].append(r["rss_mb"])

def med(v): return statistics.median(v) if v else None
def fmt(x, f="%.2f"): return f % x if x is not None else "n/a"

rows = []
for (typ, thr, test), by in sorted(cells.items(), key=lambda kv: (kv[0][0], kv[0][1], kv[0][2])):
    ours, peer = med(by.get("r1serve", [])), med(by.get("llama.cpp", []))
    roof = None
    if test.startswith("tg") and thr in gbps and typ in read_bytes:
        batch, depth, n_tg = shape[(typ, thr, test)]
        # At a depth, each sequence's attention also reads K and V of
        # depth + (tg + 1) / 2 positions per step on average.
        kv = batch * (depth + (n_tg + 1) / 2) * kv_pos.get(typ, 0) if depth > 0 else 0
        roof = batch * gbps[thr] * 1e9 / (read_bytes[typ] + kv)
    pct = lambda v: 100 * v / roof if v is not None and roof else None
    rows.append(dict(type=typ, threads=thr, test=test, r1serve_tps=ours, llama_tps=peer,
                     ratio=ours / peer if ours and peer else None, roofline_tps=roof,
                     r1serve_roofline_pct=pct(ours), llama_roofline_pct=pct(peer),
                     runs=len(by.get("r1serve", []))))

md = ["# Engine speed: r1serve vs llama.cpp", "",
      "Generated by `scripts/bench-engine.sh` on %s." % facts["date"], "",
      "- CPU: %s, %d cores; kernel %s; commit %s" % (facts["cpu"], facts["cores"], facts["kernel"], facts["commit"]),
      "- load average before / after: %s / %s" % (facts["load_before"], facts["load_after"]),
      "- model: synthetic `%s` (random weights, real shapes); pp%d, tg%d, batched decode x%d" %
      (facts["preset"], facts["pp"], facts["tg"], facts["batch"]),
      "- protocol: load, warm-up, %d reps per run; r1serve and llama.cpp alternate, %d rounds; "
      "figure = median over rounds of each run's median" % (facts["reps"], facts["rounds"]),
      "- read bandwidth (%s, %d MiB): %s" % (bw["isa"], bw["size_mib"],
          ", ".join("%d thread%s %.1f GB/s" % (t, "" if t == 1 else "s", g) for t, g in sorted(gbps.items()))),
      "- roofline = batch x bandwidth / bytes read per decode step (all weights but token_embd, one row of it)",
      "- tg%d@d%d: decode after %d cached positions (filled untimed in each repetition); its roofline "
      "adds the K and V rows attention reads (fp16, depth + (tg+1)/2 positions on average)" %
      (facts["tg"], facts["depth"], facts["depth"]) if facts.get("depth") else "- no decode-at-depth row (DEPTH=0)",
      "", "| type | threads | test | r1serve tok/s | llama.cpp tok/s | ratio | roofline tok/s | r1serve % roof | llama.cpp % roof |",
      "|---|---|---|---|---|---|---|---|---|"]
for r in rows:
    md.append("| %s | %d | %s | %s | %s | %s | %s | %s | %s |" % (
        r["type"], r["threads"], r["test"], fmt(r["r1serve_tps"]), fmt(r["llama_tps"]),
        fmt(r["ratio"]), fmt(r["roofline_tps"], "%.1f"), fmt(r["r1serve_roofline_pct"], "%.0f%%"),
        fmt(r["llama_roofline_pct"], "%.0f%%")))
md += ["", "| type | engine | model MiB | load s (median) | peak RSS MiB (max) |", "|---|---|---|---|---|"]
for (typ, eng), e in sorted(extra.items()):
    md.append("| %s | %s | %.0f | %.3f | %.0f |" % (typ, eng, e["model_bytes"] / 2**20, med(e["load_s"]), max(e["rss_mb"])))
open(out_dir + "/engine.md", "w").write("\n".join(md) + "\n")

fields = ["date", "cpu", "cores", "type", "threads", "test", "r1serve_tps", "llama_tps", "ratio",
          "roofline_tps", "r1serve_roofline_pct", "llama_roofline_pct", "runs"]
with open(out_dir + "/engine.csv", "w", newline="") as f:
    w = csv.DictWriter(f, fieldnames=fields)
    w.writeheader()
    for r in rows:
        w.writerow({k: (round(v, 3) if isinstance(v, float) else v) for k, v in
                    dict(r, date=facts["date"], cpu=facts["cpu"], cores=facts["cores"]).items()})
print("\n".join(md[2:]))
PY
)

build
check_tools
WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT
RESULTS="$WORK/results.jsonl"
: >"$RESULTS"
synth_models
measure
machine_facts
report
