#!/usr/bin/env bash
# Voice end to end: the `speak` and `transcribe` commands (a round trip,
# every output format, several voices, Mandarin through espeak-ng, and their
# errors), then `r1serve up --voice` (gateway + a worker) answering the
# official openai npm client (tests/e2e/openai/audio_e2e.mjs).
# Usage: voice_e2e.sh R1SERVE_BINARY OPENAI_NPM_DIR
set -euo pipefail
BIN=$1
NPM=$2
T=$(mktemp -d)
UP_PID=""
cleanup() {
  [ -n "$UP_PID" ] && kill -9 "$UP_PID" 2>/dev/null || true
  pkill -9 -P "$$" 2>/dev/null || true
  rm -rf "$T"
}
trap cleanup EXIT
# shellcheck source=e2e_lib.sh
. "$(dirname "$0")/e2e_lib.sh"

# words_match REF HYP MAX_ERRORS: at most MAX_ERRORS reference words missing.
words_match() {
  local missing=0 w
  for w in $1; do grep -qw "$w" <<<"$2" || missing=$((missing + 1)); done
  [ "$missing" -le "$3" ] || fail "'$2' misses $missing words of '$1'"
}

step "speak -> transcribe round trips"
REF="please call me tomorrow morning about the meeting"
for voice in slt rms awb kal16; do
  "$BIN" speak "$REF" --voice "$voice" -o "$T/$voice.wav" 2>/dev/null
  hyp=$("$BIN" transcribe "$T/$voice.wav" 2>/dev/null)
  echo "$voice: $hyp"
  words_match "$REF" "$hyp" 3
done
for f in flac ogg mp3; do
  "$BIN" speak "$REF" -o "$T/x.$f" 2>/dev/null
  [ -s "$T/x.$f" ] || fail "speak -o x.$f wrote nothing"
  hyp=$("$BIN" transcribe "$T/x.$f" 2>/dev/null)
  echo "$f: $hyp"
  words_match "$REF" "$hyp" 3  # a broken decode misses most of the 8
done
sox "$T/slt.wav" -r 44100 -c 2 "$T/stereo44k.wav"
words_match "$REF" "$("$BIN" transcribe "$T/stereo44k.wav" 2>/dev/null)" 3
"$BIN" transcribe --format srt "$T/slt.wav" 2>/dev/null | grep -qE '^00:00:0[0-9],[0-9]{3} --> ' || fail "srt"
"$BIN" transcribe --format verbose_json "$T/slt.wav" 2>/dev/null | grep -q '"words"' || fail "verbose_json words"
out=$("$BIN" transcribe "$T/slt.wav" "$T/rms.wav" 2>/dev/null)
[ "$(grep -c '^==> ' <<<"$out")" = 2 ] || fail "two files: $out"

step "voices: the list, SSML, Mandarin (espeak-ng, pinyin)"
"$BIN" speak --list-voices >"$T/voices" 2>/dev/null
for v in slt kal16 cmn-latn-pinyin; do grep -q "^$v " "$T/voices" || fail "voice $v not listed"; done
"$BIN" speak "ni3 hao3, jin1 tian1 tian1 qi4 hen3 hao3" --voice cmn-latn-pinyin -o "$T/zh.wav" 2>/dev/null
[ "$(stat -c %s "$T/zh.wav")" -gt 20000 ] || fail "Mandarin speech too short"
"$BIN" speak --ssml '<speak>one <break time="800ms"/> two</speak>' -o "$T/ssml.wav" 2>/dev/null
"$BIN" speak 'one two' -o "$T/plain.wav" 2>/dev/null
[ "$(stat -c %s "$T/ssml.wav")" -gt "$(( $(stat -c %s "$T/plain.wav") + 16000 ))" ] || fail "SSML break added no silence"

step "bad input: one error line each"
head -c 5000 /dev/urandom >"$T/noise.bin"
expect_error "$BIN" transcribe "$T/noise.bin"
expect_error "$BIN" transcribe "$T/missing.wav"
expect_error "$BIN" transcribe --language zh "$T/slt.wav"
expect_error "$BIN" transcribe --format docx "$T/slt.wav"
expect_error "$BIN" speak "hi" --voice nobody -o "$T/n.wav"
expect_error "$BIN" speak "hi" --format aiff -o "$T/n.aiff"
expect_error "$BIN" speak --ssml '<speak><prosody rate="fast">unclosed</speak>' -o "$T/n.wav"

step "r1serve up --voice and the official openai client"
"$BIN" model synth --preset tiny-qwen2 --type q8_0 -o "$T/tiny.gguf" >/dev/null 2>&1 || fail "synth"
"$BIN" up -m "$T/tiny.gguf" --voice --port 0 --admin-port 0 --state-file "$T/state.json" >"$T/up.log" 2>&1 &
UP_PID=$!
port=""
for _ in $(seq 1 300); do
  port=$(sed -n 's|^gateway listening on http://127.0.0.1:\([0-9]*\).*|\1|p' "$T/up.log" | head -n 1)
  [ -n "$port" ] && break
  kill -0 "$UP_PID" 2>/dev/null || { tail -n 20 "$T/up.log"; fail "up exited"; }
  sleep 0.1
done
[ -n "$port" ] || fail "up did not listen"
for _ in $(seq 1 300); do
  curl -sf "http://127.0.0.1:$port/v1/models" | grep -q pocketsphinx && break
  sleep 0.2
done
node "$(dirname "$0")/openai/audio_e2e.mjs" "http://127.0.0.1:$port/v1" "$NPM/node_modules/openai" ||
  { tail -n 30 "$T/up.log"; fail "openai client checks"; }
kill -TERM "$UP_PID"
wait "$UP_PID" || true
UP_PID=""
echo "VOICE_E2E passed"
