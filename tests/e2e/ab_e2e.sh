#!/usr/bin/env bash
# The brief's load test against `r1serve up` with its defaults (port 8000)
# and the tiny model. The brief writes
#   ab -n 1000 -c 100 http://localhost:8000/api/predict -p test_data.json -T 'application/json'
# but ab (apr_getopt) stops reading options at the URL and answers "wrong
# number of arguments" to that order, so the same options go before the URL.
# ab (apache2-utils) is a client we did not write. Every answer must be a
# 2xx, with no connect, receive or exception failures. ab also counts a
# "Length" failure for every body whose length differs from the first one's:
# generated text varies in length, so those are reported, not failed.
# Prints AB_QPS and AB_P99_MS for the README table.
# Usage: ab_e2e.sh R1SERVE_BINARY DATA_JSON
set -euo pipefail
BIN=$1
DATA=$2
TMP=$(mktemp -d)
UP_PID=""
cleanup() {
  [ -n "$UP_PID" ] && kill -9 "$UP_PID" 2>/dev/null || true
  rm -rf "$TMP"
}
trap cleanup EXIT
fail() { echo "FAIL: $*"; [ -f "$TMP/up.log" ] && tail -n 30 "$TMP/up.log"; exit 1; }

command -v ab >/dev/null || fail "ab not installed (apache2-utils; scripts/setup.d/10-loadtest.sh)"
if (exec 3<>/dev/tcp/127.0.0.1/8000) 2>/dev/null; then
  fail "port 8000 is in use: the brief's command needs r1serve up on its default port"
fi
"$BIN" model synth --preset tiny-qwen2 --type q8_0 -o "$TMP/tiny.gguf" >/dev/null 2>&1 || fail "synth"
"$BIN" up -m "$TMP/tiny.gguf" --state-file "$TMP/state.json" >"$TMP/up.log" 2>&1 &
UP_PID=$!
for _ in $(seq 1 200); do
  grep -q "^gateway listening on http://127.0.0.1:8000" "$TMP/up.log" && break
  kill -0 "$UP_PID" 2>/dev/null || fail "r1serve up exited"
  sleep 0.05
done
grep -q "^gateway listening on http://127.0.0.1:8000" "$TMP/up.log" || fail "up did not listen on :8000"

# At once: the worker may still be loading; the gateway holds the requests.
cp "$DATA" "$TMP/test_data.json"
(cd "$TMP" && ab -n 1000 -c 100 -p test_data.json -T 'application/json' http://localhost:8000/api/predict) \
  >"$TMP/ab.txt" 2>&1 || { cat "$TMP/ab.txt"; fail "ab exited non-zero"; }
sed -n '/^Concurrency Level/,$p' "$TMP/ab.txt"

complete=$(awk '/^Complete requests:/ {print $3}' "$TMP/ab.txt")
non2xx=$(awk '/^Non-2xx responses:/ {print $3}' "$TMP/ab.txt")
failed_line=$(grep -E '^ +\(Connect: ' "$TMP/ab.txt" || true)
[ "$complete" = 1000 ] || fail "complete requests: $complete of 1000"
[ -z "$non2xx" ] || fail "$non2xx non-2xx responses"
if [ -n "$failed_line" ]; then
  echo "$failed_line" | grep -qE 'Connect: 0, Receive: 0, Length: [0-9]+, Exceptions: 0' \
    || fail "failed requests other than ab's length check: $failed_line"
fi
qps=$(awk '/^Requests per second:/ {print $4}' "$TMP/ab.txt")
p99=$(awk '$1 == "99%" {print $2}' "$TMP/ab.txt")
echo "AB_QPS $qps"
echo "AB_P99_MS $p99"
echo "AB_NON2XX 0"

kill -TERM "$UP_PID"
status=0
wait "$UP_PID" || status=$?
UP_PID=""
[ "$status" = 0 ] || fail "up exited with $status on SIGTERM"
echo "1 passed, 0 failed"
