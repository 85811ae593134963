#!/usr/bin/env bash
# Voice benchmark of src/voice (issue 11), driven by bench/voice_bench (one
# thread): the corpus bench/voice_sentences.txt spoken by every flite voice
# (slt, rms, awb, kal16, kal) and espeak-ng en-us (a child process), then
#   a. WER per condition: clean, white and babble noise at 20 and 10 dB SNR,
#      each with the WebRTC front end's NS off / low / moderate / high (HPF
#      on); clean WER per voice;
#   b. recognition RTF (decode time / audio time, one core), p50 / p95;
#   c. streaming: front end + VAD + recognizer fed live in 10 ms frames; end
#      event -> final text p50 / p95, and the VAD's detection delay apart;
#   d. TTS: synthesize() -> first audio chunk per voice, synthesis RTF.
# Conditions alternate utterance by utterance in ROUNDS rounds; timing
# figures carry per-round medians. Writes OUT_DIR/voice.md and voice.json.
#
#   scripts/bench-voice.sh              default run (~20-25 min on 2 cores)
#   QUICK=1 scripts/bench-voice.sh      smoke run (report under $BUILD_DIR/bench-voice/quick)
#   RECORD=x.json scripts/bench-voice.sh   report from an existing record, no run
#
# Sizes: pocketsphinx decodes at RTF ~0.3 (clean) to ~1.5 (babble) on this
# machine, so 100+ utterances in all 20 conditions would take ~1.5 h. The
# defaults give the key conditions (clean and white 20 dB, NS off and
# moderate) PER_CONDITION utterances and the other 16 MINOR; the report
# says so. PER_CONDITION=120 MINOR=120 STREAM=120 HANGOVERS=300,200 is the
# everything-at-100+ run.
#
# Environment (defaults in brackets):
#   BUILD_DIR [build]  SKIP_BUILD [0]  VOICES [slt,rms,awb,kal16,kal,en-us]
#   SENTENCES [bench/voice_sentences.txt]  LIMIT [0: all]
#   PER_CONDITION [100]  MINOR [16]  STREAM [80]  ROUNDS [3]  HANGOVERS [300]
#   OUT_DIR [docs/benchmarks; QUICK: $BUILD_DIR/bench-voice/quick]
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/.." && pwd)"
cd "$ROOT"

BUILD_DIR=${BUILD_DIR:-build}
VOICES=${VOICES:-slt,rms,awb,kal16,kal,en-us}
SENTENCES=${SENTENCES:-bench/voice_sentences.txt}
LIMIT=${LIMIT:-0}
PER_CONDITION=${PER_CONDITION:-100}
MINOR=${MINOR:-16}
STREAM=${STREAM:-80}
ROUNDS=${ROUNDS:-3}
HANGOVERS=${HANGOVERS:-300}
if [ "${QUICK:-0}" = 1 ]; then OUT_DIR=${OUT_DIR:-$BUILD_DIR/bench-voice/quick}; fi
OUT_DIR=${OUT_DIR:-docs/benchmarks}
BENCH=$BUILD_DIR/bench/voice_bench

BENCH_NAME=bench-voice
# shellcheck source=lib/bench_common.sh
. "$ROOT/scripts/lib/bench_common.sh"
command -v python3 >/dev/null || die "python3 is needed for the report"

WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT
mkdir -p "$OUT_DIR"

if [ -n "${RECORD:-}" ]; then
  [ -s "$RECORD" ] || die "no record at $RECORD"
  cp "$RECORD" "$WORK/voice.json"
  uptime >"$WORK/load_before"
  cp "$WORK/load_before" "$WORK/load_after"
  for f in load_before load_after; do
    [ -s "$(dirname "$RECORD")/$f" ] && cp "$(dirname "$RECORD")/$f" "$WORK/$f"
  done
else
  bench_build voice_bench
  args=(--sentences "$SENTENCES" --limit "$LIMIT" --voices "$VOICES" --per-condition "$PER_CONDITION"
        --minor "$MINOR" --stream "$STREAM" --rounds "$ROUNDS" --hangovers "$HANGOVERS")
  [ "${QUICK:-0}" = 1 ] && args+=(--quick)
  uptime >"$WORK/load_before"
  log "running voice_bench ${args[*]}"
  "$BENCH" "${args[@]}" --json "$WORK/voice.json" >&2 || die "voice_bench failed"
  uptime >"$WORK/load_after"
fi

bench_facts '"tool": "voice_bench"' >"$WORK/facts.json"
"$BENCH" --report "$WORK/voice.json" >"$WORK/tables.md" 2>/dev/null || die "voice_bench --report failed"
cp "$WORK/voice.json" "$OUT_DIR/voice.json"
python3 "$ROOT/scripts/lib/voice_report.py" "$WORK/voice.json" "$WORK/facts.json" "$WORK/tables.md" \
  "$OUT_DIR/voice.json" >"$OUT_DIR/voice.md"
log "wrote $OUT_DIR/voice.md and $OUT_DIR/voice.json"
