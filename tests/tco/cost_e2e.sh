#!/usr/bin/env bash
# End-to-end test of `r1serve cost`: the brief's figures with no file and
# with deploy/cost/brief.yaml (same output), the chart (well-formed SVG,
# equal to the committed docs/images/cost-brief.svg), one-line errors, and
# the cost per million tokens from a bench report written by a real
# `r1serve bench serve --json` run against a real `r1serve serve` on the
# tiny model. Usage: cost_e2e.sh path/to/r1serve
set -euo pipefail
R="$1"
ROOT="$(cd "$(dirname "$0")/../.." && pwd)"
T="$(mktemp -d)"
SERVE_PID=""
cleanup() {
  [ -n "$SERVE_PID" ] && kill "$SERVE_PID" 2>/dev/null && wait "$SERVE_PID" 2>/dev/null
  rm -rf "$T"
}
trap cleanup EXIT
fail() { echo "FAIL: $*" >&2; exit 1; }
step() { echo "--- $*"; }
checks=0
has() { grep -qF -- "$2" "$1" || fail "'$2' not in $1: $(cat "$1")"; checks=$((checks + 1)); }

step "defaults: the brief's table"
"$R" cost --svg "$T/default.svg" >"$T/default.txt" 2>"$T/err" || { cat "$T/err"; fail "cost"; }
has "$T/default.txt" "inputs: built-in defaults, the brief's table (the same as deploy/cost/brief.yaml)"
has "$T/default.txt" "  cloud 3-year                      ¥1,800,000            ¥3,450,000"
has "$T/default.txt" "  local 3-year                        ¥990,000              ¥990,000"
has "$T/default.txt" "  hardware purchase             ¥480,000              ¥0              ¥0        ¥480,000"
has "$T/default.txt" "  operations staff              ¥120,000        ¥120,000        ¥120,000        ¥360,000"
has "$T/default.txt" "  network                        ¥50,000         ¥50,000         ¥50,000        ¥150,000"
has "$T/default.txt" "  egress *                      ¥150,000        ¥150,000        ¥150,000        ¥450,000"
has "$T/default.txt" "  outage losses *               ¥400,000        ¥400,000        ¥400,000      ¥1,200,000"
has "$T/default.txt" "break-even: month 6 with hidden costs (month 14 before them)"
has "$T/default.txt" "chart: $T/default.svg"

step "deploy/cost/brief.yaml gives the same comparison and chart"
(cd "$ROOT" && "$R" cost deploy/cost/brief.yaml --svg "$T/brief.svg") >"$T/brief.txt" 2>/dev/null || fail "cost brief.yaml"
diff <(sed '2d;$d' "$T/default.txt") <(sed '2d;$d' "$T/brief.txt") || fail "brief.yaml differs from the defaults"
cmp "$T/default.svg" "$T/brief.svg" || fail "charts differ"
xmllint --noout "$T/brief.svg" || fail "chart is not well-formed XML"
cmp "$T/brief.svg" "$ROOT/docs/images/cost-brief.svg" ||
  fail "docs/images/cost-brief.svg is stale: r1serve cost deploy/cost/brief.yaml --svg docs/images/cost-brief.svg"
checks=$((checks + 3))

step "overrides"
"$R" cost --currency '$' --horizon 5y >"$T/o.txt" 2>/dev/null || fail "cost overrides"
has "$T/o.txt" "over 60 months (5-year TCO)"
has "$T/o.txt" "  cloud 5-year                      \$3,000,000"

step "errors: one line, exit 1 (2 for usage)"
expect_error() {
  local want_rc="$1" want="$2" rc=0
  shift 2
  "$@" >/dev/null 2>"$T/e" || rc=$?
  [ "$rc" -eq "$want_rc" ] || fail "exit $rc (want $want_rc): $* -> $(cat "$T/e")"
  [ "$(wc -l <"$T/e")" -eq 1 ] || fail "expected one stderr line for: $* -> $(cat "$T/e")"
  grep -qF -- "$want" "$T/e" || fail "'$want' not in: $(cat "$T/e")"
  checks=$((checks + 1))
}
printf 'cloud: {price_per_year: 1}\npower: {wats: 5}\n' >"$T/bad.yaml"
expect_error 1 "error: invalid argument: power.wats: unknown key ($T/bad.yaml)" "$R" cost "$T/bad.yaml"
printf 'cloud: {price_per_million_tokens: 3}\n' >"$T/tok.yaml"
expect_error 1 "needs a throughput" "$R" cost "$T/tok.yaml"
printf 'target: http://x\n' >"$T/bad.json"
expect_error 1 "bench report: not valid JSON" "$R" cost --from-bench "$T/bad.json"
expect_error 2 "error:" "$R" cost "$T/missing.yaml"
expect_error 2 "error:" "$R" cost --utilisation 1.5
expect_error 1 "--horizon: must be 1 to 120 months" "$R" cost --horizon 11y
expect_error 2 "--from-bench excludes --tokens-per-s" "$R" cost --from-bench "$T/bad.json" --tokens-per-s 5

step "a real bench serve report"
M="$T/tiny.gguf"
"$R" model synth --preset tiny-qwen2 --type q8_0 -o "$M" --threads 2 2>"$T/err" || { cat "$T/err"; fail "synth"; }
"$R" serve -m "$M" --port 0 --threads 1 2>"$T/serve.log" &
SERVE_PID=$!
url=""
for _ in $(seq 1 300); do  # up to 30 s for "listening" and then "ready" (model loaded)
  url=$(grep -oE 'listening on http://127\.0\.0\.1:[0-9]+' "$T/serve.log" | head -n1 | sed 's/listening on //') || true
  [ -n "$url" ] && grep -q '^serve: ready' "$T/serve.log" && break
  kill -0 "$SERVE_PID" 2>/dev/null || fail "serve exited: $(cat "$T/serve.log")"
  sleep 0.1
done
grep -q '^serve: ready' "$T/serve.log" || fail "serve did not get ready: $(cat "$T/serve.log")"
"$R" bench serve --url "$url" --endpoint completions -n 8 -c 2 --prompt-len 8 --output-len 16 --json \
  >"$T/report.json" 2>"$T/err" || { cat "$T/err"; fail "bench serve"; }
kill "$SERVE_PID"; wait "$SERVE_PID" 2>/dev/null || true; SERVE_PID=""
(cd "$ROOT" && "$R" cost deploy/cost/a40-pair.yaml --from-bench "$T/report.json") >"$T/a40.txt" 2>"$T/err" ||
  { cat "$T/err"; fail "cost --from-bench"; }
has "$T/a40.txt" "throughput: measured, $T/report.json: "
has "$T/a40.txt" "of 8 requests succeeded, concurrency 2, $url/v1/completions"
# Local's cost per million = its 3-year total / tokens in 3 years at the
# measured rate x utilisation 0.7 x 24 h/day (deploy/cost/a40-pair.yaml).
python3 - "$T/report.json" "$T/a40.txt" <<'PY' || fail "cost per million tokens"
import json, re, sys
tps = json.load(open(sys.argv[1]))["output_tokens_per_s"]
text = open(sys.argv[2]).read()
total = float(re.search(r"local 3-year +¥[\d,]+ +¥([\d,]+)", text).group(1).replace(",", ""))
shown = re.search(r"cost per million output tokens: local ¥([\d,.]+)", text).group(1).replace(",", "")
want = total / (tps * 0.7 * 24 * 3600 * 365 / 12 * 36 / 1e6)
assert tps > 0 and abs(float(shown) - want) <= max(0.01 * want, 0.006), (shown, want)
print(f"measured {tps:.1f} tokens/s -> local {shown} per million tokens (expected {want:.4g})")
PY
checks=$((checks + 1))
echo "cost e2e: $checks checks passed"
