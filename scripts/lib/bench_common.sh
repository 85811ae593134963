# Shared by scripts/bench-*.sh (sourced after BENCH_NAME, BUILD_DIR and,
# for bench_synth, R1SERVE and JOBS are set): messages, the build of the
# targets a benchmark needs, synthesized models cached on disk, and the
# machine facts every report starts with.

log() { echo "$BENCH_NAME: $*" >&2; }
die() { echo "$BENCH_NAME: error: $*" >&2; exit 1; }

# bench_build TARGET...: configures BUILD_DIR (Release) the first time and
# builds the targets; SKIP_BUILD=1 builds nothing.
bench_build() {
  [ "${SKIP_BUILD:-0}" = 1 ] && return 0
  if [ ! -f "$BUILD_DIR/CMakeCache.txt" ]; then
    cmake -S . -B "$BUILD_DIR" -G Ninja -DCMAKE_BUILD_TYPE=Release >/dev/null
  fi
  log "building $* in $BUILD_DIR"
  cmake --build "$BUILD_DIR" -j"${JOBS:-2}" --target "$@" >&2
}

# bench_synth PRESET TYPE FILE: synthesizes FILE once (synth writes
# FILE.partial and renames it when complete, so a cut run leaves no FILE).
bench_synth() {
  [ -s "$3" ] && return 0
  mkdir -p "$(dirname "$3")"
  log "synthesizing $3"
  "$R1SERVE" model synth --preset "$1" --type "$2" -o "$3" -t "${JOBS:-2}" 2>&1 | grep -v '^#' >&2 || true
  [ -s "$3" ] || die "synth of $1 $2 failed"
}

# bench_facts FIELDS: a JSON object of the date, CPU, cores, kernel, commit
# and the load averages in WORK/load_before and WORK/load_after, followed
# by FIELDS (a JSON fragment: "key": value, ...).
bench_facts() {
  local cpu
  cpu=$(lscpu 2>/dev/null | sed -n 's/^Model name:[[:space:]]*//p' | head -n1)
  cat <<JSON
{"date": "$(date -u +%Y-%m-%dT%H:%MZ)", "cpu": "${cpu:-unknown}", "cores": $(nproc),
 "kernel": "$(uname -r)", "commit": "$(git rev-parse --short HEAD 2>/dev/null || echo unknown)",
 "load_before": "$(sed 's/.*load average: //' "$WORK/load_before")",
 "load_after": "$(sed 's/.*load average: //' "$WORK/load_after")",
 $1}
JSON
}
