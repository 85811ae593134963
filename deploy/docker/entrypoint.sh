#!/bin/bash
# r1serve container entrypoint. PID 1 is tini, which forwards SIGTERM to this
# script; every mode ends in `exec`, so the signal reaches r1serve itself,
# which drains (stops accepting, finishes streams) and exits 0.
#
# Usage: entrypoint.sh [up|serve|gateway|model] [extra r1serve flags...]
#        entrypoint.sh COMMAND [ARGS...]      (anything else: run it)
#
# Environment:
#   R1SERVE_MODEL         GGUF path to serve (default: the demo model below)
#   R1SERVE_MODEL_URL     fetched into R1SERVE_MODEL when that file is missing
#   R1SERVE_MODEL_SHA256  checked after the fetch (recommended with a URL)
#   R1SERVE_DEMO_PRESET   demo model preset (default r1-distill-qwen-1.5b, the
#                         demo of `r1serve up`; tiny-qwen2 starts in seconds)
#   R1SERVE_DEMO_TYPE     demo model file type (default: q4_k_m for the 1.5B
#                         shape, else the synth default)
#   R1SERVE_MODELS_DIR    where the demo model goes (default /models)
#   R1SERVE_HOST          bind address (default 0.0.0.0)
#   R1SERVE_PORT          up/gateway proxy 8000; serve 8080
#   R1SERVE_ADMIN_PORT    up: admin API (default 8001)
#   R1SERVE_ADMIN_KEY     admin API Bearer key (read by r1serve); in `up` mode
#                         off loopback without one, a random key is written to
#                         $R1SERVE_CACHE/admin-key
#   R1SERVE_API_KEY       one client API key the workers accept (read by r1serve)
#   R1SERVE_GATEWAY_CONFIG gateway mode: the YAML (default /etc/r1serve/gateway.yaml)
set -euo pipefail

models_dir=${R1SERVE_MODELS_DIR:-/models}
demo_preset=${R1SERVE_DEMO_PRESET:-r1-distill-qwen-1.5b}
host=${R1SERVE_HOST:-0.0.0.0}
partial=""  # a model being fetched or synthesized (removed on failure)

log() { echo "entrypoint: $*" >&2; }

model_path() {
  if [ -n "${R1SERVE_MODEL:-}" ]; then
    echo "$R1SERVE_MODEL"
  else
    echo "$models_dir/demo-$demo_preset.gguf"
  fi
}

# Fetches or synthesizes into a temporary name, then renames: a start that is
# killed halfway leaves no truncated model behind for the next one.
ensure_model() {
  local model
  model=$(model_path)
  if [ -s "$model" ]; then
    log "model $model present"
    return 0
  fi
  mkdir -p "$(dirname "$model")"
  partial="$model.partial.$$"
  trap 'rm -f "$partial"' EXIT
  if [ -n "${R1SERVE_MODEL_URL:-}" ]; then
    log "fetching $R1SERVE_MODEL_URL -> $model"
    curl -fsSL --retry 3 -o "$partial" "$R1SERVE_MODEL_URL"
    if [ -n "${R1SERVE_MODEL_SHA256:-}" ]; then
      echo "$R1SERVE_MODEL_SHA256  $partial" | sha256sum --check --quiet -
    fi
  elif [ -n "${R1SERVE_MODEL:-}" ]; then
    log "R1SERVE_MODEL=$model does not exist and R1SERVE_MODEL_URL is unset"
    return 1
  else
    local type=${R1SERVE_DEMO_TYPE:-}
    if [ -z "$type" ] && [ "$demo_preset" = r1-distill-qwen-1.5b ]; then type=q4_k_m; fi
    log "no R1SERVE_MODEL: synthesizing the demo model ($demo_preset, RANDOM weights) -> $model"
    r1serve model synth --preset "$demo_preset" ${type:+--type "$type"} -o "$partial"
  fi
  mv -f "$partial" "$model"
  trap - EXIT
}

# `up` off loopback needs an admin key: make one rather than fail to start.
ensure_admin_key() {
  case "$host" in 127.*|localhost|::1) return 0 ;; esac
  if [ -n "${R1SERVE_ADMIN_KEY:-}" ]; then return 0; fi
  local file=${R1SERVE_CACHE:-$models_dir/.r1serve}/admin-key
  mkdir -p "$(dirname "$file")"
  if [ ! -s "$file" ]; then
    (umask 077 && od -An -N24 -tx1 /dev/urandom | tr -d ' \n' > "$file")
  fi
  R1SERVE_ADMIN_KEY=$(cat "$file")
  export R1SERVE_ADMIN_KEY
  log "admin API key: in $file (set R1SERVE_ADMIN_KEY to choose one)"
}

mode=${1:-up}
if [ $# -gt 0 ]; then shift; fi
case "$mode" in
  up)
    ensure_model
    ensure_admin_key
    exec r1serve up -m "$(model_path)" --host "$host" \
      --port "${R1SERVE_PORT:-8000}" --admin-port "${R1SERVE_ADMIN_PORT:-8001}" "$@"
    ;;
  serve)
    ensure_model
    exec r1serve serve -m "$(model_path)" --host "$host" --port "${R1SERVE_PORT:-8080}" "$@"
    ;;
  gateway)
    exec r1serve gateway --config "${R1SERVE_GATEWAY_CONFIG:-/etc/r1serve/gateway.yaml}" \
      --host "$host" "$@"
    ;;
  model)
    ensure_model
    r1serve model inspect "$(model_path)" > /dev/null
    log "model $(model_path) is a readable GGUF"
    ;;
  *)
    exec "$mode" "$@"
    ;;
esac
