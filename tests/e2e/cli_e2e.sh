#!/usr/bin/env bash
# End-to-end test of the r1serve CLI on a tiny synthetic model:
# synth, tokenize, eval, run (deterministic), model inspect, chat, and the
# error paths (one "error: ..." line on stderr, non-zero exit).
# Usage: cli_e2e.sh path/to/r1serve
set -euo pipefail
R="$1"
T="$(mktemp -d)"
trap 'rm -rf "$T"' EXIT
# shellcheck source=e2e_lib.sh
. "$(dirname "$0")/e2e_lib.sh"

step synth
"$R" model synth --preset tiny-qwen2 --type q8_0 -o "$T/m.gguf" --threads 2 2>"$T/err" ||
  { cat "$T/err"; fail "synth"; }
[ -s "$T/m.gguf" ] || fail "synth wrote nothing"

step tokenize
ids=$("$R" tokenize -m "$T/m.gguf" "Hello world" 2>/dev/null)
[ "$ids" = "[9707,1879]" ] || fail "tokenize: got $ids"
ids=$("$R" tokenize -m "$T/m.gguf" --parse-special --add-bos "<｜User｜>Hi" 2>/dev/null)
[ "$ids" = "[151646,151644,13048]" ] || fail "tokenize special: got $ids"
printf '["a b", "<think>"]' >"$T/in.json"
out=$("$R" tokenize -m "$T/m.gguf" --json-in "$T/in.json" 2>/dev/null)
[ "$out" = "[[64,293],[151648]]" ] || fail "tokenize --json-in: got $out"

step eval
printf '[151646, 9707, 1879, 11, 1879]' >"$T/ids.json"
argmax=$("$R" eval -m "$T/m.gguf" --tokens "$T/ids.json" --logits-out "$T/out.f32" --threads 2 2>/dev/null)
size=$(stat -c %s "$T/out.f32")
[ "$size" -eq $((5 * 151936 * 4)) ] || fail "eval: logits file has $size bytes"
[[ "$argmax" =~ ^\[[0-9]+(,[0-9]+){4}\]$ ]] || fail "eval: argmax $argmax"

step run
a=$("$R" run -m "$T/m.gguf" -p "Hello" -n 8 --temp 0 --threads 2 2>"$T/run_err")
b=$("$R" run -m "$T/m.gguf" -p "Hello" -n 8 --temp 0 --threads 1 2>/dev/null)
[ -n "$a" ] || fail "run printed nothing"
[ "$a" = "$b" ] || fail "run is not deterministic: '$a' vs '$b'"
grep -q "tok/s" "$T/run_err" || fail "run printed no timings"
grep -q "generation: 8 tokens" "$T/run_err" || grep -q "stop: eog" "$T/run_err" ||
  fail "run: unexpected stats $(cat "$T/run_err")"

step chat
printf 'Hi\n/reset\nHello again\n/exit\n' |
  "$R" chat -m "$T/m.gguf" -n 4 --temp 0 --threads 2 >"$T/chat_out" 2>"$T/chat_err" ||
  fail "chat failed: $(cat "$T/chat_err")"
[ "$(grep -c "tok/s" "$T/chat_err")" -eq 2 ] || fail "chat: expected two turns"

step inspect
"$R" model inspect "$T/m.gguf" --tensors >"$T/inspect" 2>/dev/null || fail "inspect"
grep -q "general.architecture" "$T/inspect" || fail "inspect: no metadata"
grep -q "output.weight" "$T/inspect" || fail "inspect: no tensors"

step errors
echo "this is not a model" >"$T/text.txt"
expect_error "$R" run -m "$T/missing.gguf" -p hi
expect_error "$R" run -m "$T/text.txt" -p hi
expect_error "$R" model inspect "$T/text.txt"
expect_error "$R" tokenize -m "$T/missing.gguf" hi
expect_error "$R" model synth --preset no-such-preset -o "$T/x.gguf"
expect_error "$R" model synth --preset tiny-qwen2 --type q9_9 -o "$T/x.gguf"
expect_error "$R" eval -m "$T/m.gguf" --tokens "$T/text.txt" --logits-out "$T/o.f32"
expect_error "$R" run -m "$T/m.gguf" -p hi --temp abc
expect_error "$R" run -m "$T/m.gguf" -p hi --temp -1
expect_error "$R" run -m "$T/m.gguf" -p hi --template no-such-template
expect_error "$R" bogus-command
# A KV cache of 2^24 positions x 1024 values x 2 layers x K,V x fp16 = 128 GiB.
"$R" model synth --preset tiny-qwen2 --type q8_0 --n-ctx 16777216 --n-head-kv 4 --head-dim 256 \
  -o "$T/big.gguf" 2>/dev/null || fail "synth big-context model"
expect_error "$R" run -m "$T/big.gguf" -p hi --ctx 16777216
[ ! -e "$T/x.gguf" ] || fail "failed synth left a file"
echo "e2e: all passed"
