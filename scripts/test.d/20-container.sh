#!/usr/bin/env bash
# The container image, built and run for real:
#   1. a Debian 12 base from debootstrap (deploy/docker/make-base.sh; no
#      registry is reachable here), then `podman build -f deploy/Dockerfile`
#      with the host's ccache bind-mounted into the build;
#   2. the image's metadata (non-root user, HEALTHCHECK, STOPSIGNAL, ports,
#      volume) and its shared libraries;
#   3. `up` mode with the tiny demo model synthesized into /models: a chat
#      completion and /api/predict through the container's gateway, the
#      HEALTHCHECK (and that it fails on a closed port), then SIGTERM while
#      a stream is in flight: the stream ends with [DONE], exit status 0;
#   4. `serve` and `gateway` modes as Kubernetes runs them (read-only root,
#      no capabilities, no new privileges, keys from the environment, the
#      gateway config as a file): requests through the gateway to the
#      worker, 401 without the API key, the admin API behind its key;
#   5. `model` mode (the init container): fetch from a loopback URL with a
#      SHA-256 check; a wrong checksum fails and leaves no file.
# Only loopback addresses: every container uses the host network and binds
# 127.0.0.1. Podman in this sandbox needs runc and ulimits within the
# sandbox's hard limits (crun fails here: see the notes at CONTAINERS_CONF).
# R1_SKIP_CONTAINER=1 skips it.
set -euo pipefail
cd "$(dirname "$0")/../.."
ROOT=$PWD
if [ "${R1_SKIP_CONTAINER:-0}" = 1 ]; then echo "20-container: skipped (R1_SKIP_CONTAINER=1)"; exit 0; fi
for tool in podman runc debootstrap curl python3 ccache; do
  command -v "$tool" >/dev/null || { echo "20-container: $tool missing (scripts/setup.d/20-deploy.sh)"; exit 1; }
done

work=$(mktemp -d /tmp/r1-container.XXXXXX)
# Stable tags: the next run reuses their layers (apt installs) as its cache;
# what an earlier run left untagged is pruned before the build.
tag=localhost/r1serve:ci
builder_tag=localhost/r1serve-builder:ci
names=()
http_pid=""
cleanup() {
  local n
  for n in "${names[@]}"; do podman rm -f -v -t 0 "$n" >/dev/null 2>&1 || true; done
  if [ -n "$http_pid" ]; then kill "$http_pid" 2>/dev/null || true; fi
  rm -rf "$work"
}
trap cleanup EXIT

# Podman's defaults for root (nofile 1048576, nproc 4194304) exceed this
# sandbox's hard limits and it lacks CAP_SYS_RESOURCE: crun fails with
# "setrlimit `RLIMIT_NOFILE`: Operation not permitted", and with lower
# limits "cgroups in hybrid mode not supported" (cgroup v1 + v2 mounted);
# runc works. A private containers.conf keeps all of that in this test.
nofile=$(ulimit -Hn); [ "$nofile" = unlimited ] && nofile=65536
nproc=$(ulimit -Hu); if [ "$nproc" = unlimited ] || [ "$nproc" -gt 32768 ]; then nproc=32768; fi
cat > "$work/containers.conf" <<EOF
[containers]
default_ulimits = ["nofile=$nofile:$nofile", "nproc=$nproc:$nproc"]
[engine]
runtime = "runc"
cgroup_manager = "cgroupfs"
events_logger = "file"
EOF
export CONTAINERS_CONF=$work/containers.conf

pass=0
fail=0
check() {  # check DESCRIPTION COMMAND...
  local what=$1; shift
  if "$@" >> "$work/checks.log" 2>&1; then pass=$((pass + 1)); echo "  ok   $what"
  else fail=$((fail + 1)); echo "  FAIL $what"; tail -n 5 "$work/checks.log" | sed 's/^/       /'; fi
}
fails() { ! "$@"; }
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }
wait_ready() {  # wait_ready URL SECONDS: bounded poll for 200
  local i
  for ((i = 0; i < $2 * 4; i++)); do
    if [ "$(curl -s -o /dev/null -w '%{http_code}' "$1" || true)" = 200 ]; then return 0; fi
    sleep 0.25
  done
  return 1
}
json_check() {  # json_check FILE PYTHON_EXPR (d: the parsed JSON)
  python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); sys.exit(0 if eval(sys.argv[2]) else 1)' "$1" "$2"
}
run_bg() {  # run_bg NAME ARGS...: a detached container on the host network
  local n=$1; shift
  names+=("$n")
  # (podman logs that it cannot reach systemd for healthcheck timers: the
  # checks below run the HEALTHCHECK with `podman healthcheck run`.)
  podman run -d --name "$n" --network host "$@" > /dev/null 2>> "$work/podman.log"
}

t0=$SECONDS
echo "-- base image"
deploy/docker/make-base.sh
t_base=$((SECONDS - t0))

echo "-- image build (podman build -f deploy/Dockerfile)"
t1=$SECONDS
ccache_dir=$(ccache -k cache_dir 2>/dev/null || echo "$HOME/.cache/ccache")
mkdir -p "$ccache_dir"
podman image prune -f > /dev/null 2>&1 || true
build=(podman build --pull=never --format docker --network host --volume "$ccache_dir:/ccache"
       --build-arg JOBS="$(nproc)" -f deploy/Dockerfile)
if ! { "${build[@]}" --target builder -t "$builder_tag" . && "${build[@]}" -t "$tag" . ; } > "$work/build.log" 2>&1; then
  tail -n 40 "$work/build.log"; echo "20-container: image build failed"; exit 1
fi
t_build=$((SECONDS - t1))
hits=$(grep -E '^ *(Hits|Misses):' "$work/build.log" | tr -s ' ' | tr '\n' ' ' || true)
echo "   built in ${t_build}s; ccache in the build: ${hits:-no stats}"

echo "-- image metadata"
inspect() { podman image inspect "$tag" --format "$1"; }
check "runs as user 10001:10001" test "$(inspect '{{.Config.User}}')" = 10001:10001
check "HEALTHCHECK set" grep -q healthcheck.sh <<< "$(inspect '{{json .Config.Healthcheck}}')"
check "STOPSIGNAL SIGTERM" test "$(inspect '{{.Config.StopSignal}}')" = SIGTERM
check "EXPOSE 8000 and 8001" test "$(inspect '{{json .Config.ExposedPorts}}' | grep -o '800[01]/tcp' | sort | tr '\n' ' ')" = "8000/tcp 8001/tcp "
check "VOLUME /models" grep -q '"/models"' <<< "$(inspect '{{json .Config.Volumes}}')"
check "tini is PID 1's program" grep -q '/usr/bin/tini' <<< "$(inspect '{{json .Config.Entrypoint}}')"
podman run --rm --entrypoint ldd "$tag" /opt/r1serve/bin/r1serve > "$work/ldd.txt" 2>&1 || true
check "every shared library of r1serve resolves" bash -c "grep -q libstdc++ '$work/ldd.txt' && ! grep -q 'not found' '$work/ldd.txt'"
check "image size under 400 MB" test "$(inspect '{{.Size}}')" -lt 400000000
# Voice in the image: flite speaks, pocketsphinx (and its model) hears it.
heard=$(podman run --rm --entrypoint /bin/sh "$tag" -c \
  'r1serve speak "turn off the lights in the kitchen" -o /tmp/s.wav 2>/dev/null && r1serve transcribe /tmp/s.wav 2>/dev/null' || true)
check "voice: speak then transcribe in the image ($heard)" grep -q "kitchen" <<< "$heard"

echo "-- up mode: demo model, gateway + worker, requests, SIGTERM drain"
t2=$SECONDS
mkdir -p "$work/models" && chown 10001:10001 "$work/models"
port=$(free_port); admin=$(free_port)
run_bg "r1-up-$$" --read-only --tmpfs /tmp --cap-drop ALL -e R1SERVE_HOST=127.0.0.1 -e R1SERVE_PORT="$port" -e R1SERVE_ADMIN_PORT="$admin" \
  -e R1SERVE_DEMO_PRESET=tiny-qwen2 -v "$work/models:/models" "$tag"
check "ready within 120 s" wait_ready "http://127.0.0.1:$port/ready" 120
check "demo model synthesized into the volume" test -s "$work/models/demo-tiny-qwen2.gguf"
curl -s -m 60 "http://127.0.0.1:$port/v1/chat/completions" -H 'content-type: application/json' \
  -d '{"messages":[{"role":"user","content":"hello"}],"max_tokens":8,"temperature":0}' > "$work/chat.json" || true
check "chat completion: 8 tokens, finish length, the demo model" json_check "$work/chat.json" \
  'd["usage"]["completion_tokens"] == 8 and d["choices"][0]["finish_reason"] == "length" and d["model"] == "demo-tiny-qwen2"'
curl -s -m 60 "http://127.0.0.1:$port/api/predict" -H 'content-type: application/json' \
  -d '{"prompt":"hello","max_tokens":4}' -o "$work/predict.json" -w '%{http_code}' > "$work/predict.code" || true
check "/api/predict answers 200 with JSON" bash -c "test \"\$(cat '$work/predict.code')\" = 200 && python3 -m json.tool '$work/predict.json' >/dev/null"
check "HEALTHCHECK passes" podman healthcheck run "r1-up-$$"
check "health script fails on a closed port" fails podman exec -e R1SERVE_HEALTH_URL=http://127.0.0.1:1/ready "r1-up-$$" healthcheck.sh
# A long stream, then SIGTERM in the middle of it.
curl -sN -m 60 "http://127.0.0.1:$port/v1/chat/completions" -H 'content-type: application/json' \
  -d '{"messages":[{"role":"user","content":"hello"}],"max_tokens":1500,"stream":true}' > "$work/stream.txt" &
stream_pid=$!
for ((i = 0; i < 200; i++)); do
  [ "$(grep -c '^data:' "$work/stream.txt" || true)" -ge 20 ] && break
  sleep 0.05
done
at_stop=$(grep -c '^data:' "$work/stream.txt" || true)
s0=$(date +%s%N)
podman stop -t 40 "r1-up-$$" > /dev/null 2>> "$work/podman.log"
stop_ms=$(( ($(date +%s%N) - s0) / 1000000 ))
wait "$stream_pid" || true
at_end=$(grep -c '^data:' "$work/stream.txt" || true)
echo "   SIGTERM after $at_stop events; the stream went on to $at_end; stop took ${stop_ms} ms"
check "SIGTERM came mid-stream" test "$at_stop" -ge 20 -a "$at_stop" -lt "$at_end"
check "the stream in flight finished: [DONE], finish_reason length" \
  bash -c "grep -q '^data: \[DONE\]' '$work/stream.txt' && grep -q '\"finish_reason\":\"length\"' '$work/stream.txt'"
check "exit status 0 after SIGTERM" test "$(podman inspect "r1-up-$$" --format '{{.State.ExitCode}}')" = 0
check "stopped by the signal, not the 40 s kill" test "$stop_ms" -lt 35000
podman logs "r1-up-$$" > "$work/up.log" 2>&1 || true
check "log: gateway stopped on SIGTERM" grep -q "gateway: stopped" "$work/up.log"

echo "-- serve mode, restricted as in Kubernetes"
sport=$(free_port)
run_bg "r1-serve-$$" --read-only --tmpfs /tmp --cap-drop ALL --security-opt no-new-privileges \
  -e R1SERVE_HOST=127.0.0.1 -e R1SERVE_PORT="$sport" -e R1SERVE_MODEL=/models/demo-tiny-qwen2.gguf \
  -e R1SERVE_API_KEY=ci-secret -e R1SERVE_CACHE=/tmp/r1serve -v "$work/models:/models" "$tag" serve --parallel=2
check "worker ready" wait_ready "http://127.0.0.1:$sport/ready" 60
check "no API key: 401" test "$(curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$sport/v1/models")" = 401
check "API key from R1SERVE_API_KEY: 200" \
  test "$(curl -s -o /dev/null -w '%{http_code}' -H 'Authorization: Bearer ci-secret' "http://127.0.0.1:$sport/v1/models")" = 200
check "HEALTHCHECK finds the serve port" podman healthcheck run "r1-serve-$$"
# gateway mode in front of it, as the Kubernetes Deployment runs it (config
# file, admin key from the environment; static endpoint instead of DNS).
gport=$(free_port); gadmin=$(free_port)
printf 'pools:\n  - name: r1\n    endpoints: ["127.0.0.1:%s"]\nports: {listen: %s, admin: %s}\n' \
  "$sport" "$gport" "$gadmin" > "$work/gateway.yaml"
run_bg "r1-gw-$$" --read-only --tmpfs /tmp --cap-drop ALL --security-opt no-new-privileges \
  -e R1SERVE_HOST=127.0.0.1 -e R1SERVE_PORT="$gport" -e R1SERVE_ADMIN_KEY=ci-admin -e R1SERVE_CACHE=/tmp/r1serve \
  -v "$work/gateway.yaml:/etc/r1serve/gateway.yaml:ro" "$tag" gateway
check "gateway routes to the worker" wait_ready "http://127.0.0.1:$gport/ready" 60
curl -s -m 60 "http://127.0.0.1:$gport/v1/chat/completions" -H 'content-type: application/json' \
  -H 'Authorization: Bearer ci-secret' -d '{"messages":[{"role":"user","content":"hi"}],"max_tokens":4}' \
  > "$work/gw-chat.json" || true
check "chat through the gateway with the key: 4 tokens" json_check "$work/gw-chat.json" 'd["usage"]["completion_tokens"] == 4'
check "through the gateway without the key: 401" test "$(curl -s -o /dev/null -w '%{http_code}' \
  -H 'content-type: application/json' -d '{"prompt":"hi"}' "http://127.0.0.1:$gport/v1/completions")" = 401
check "admin API needs the admin key" test "$(curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$gadmin/admin/status")" = 401
check "admin API with the key" test "$(curl -s -o /dev/null -w '%{http_code}' -H 'Authorization: Bearer ci-admin' \
  "http://127.0.0.1:$gadmin/admin/status")" = 200
# SIGTERM to the gateway while a stream runs through it: it drains.
curl -sN -m 60 "http://127.0.0.1:$gport/v1/chat/completions" -H 'content-type: application/json' \
  -H 'Authorization: Bearer ci-secret' \
  -d '{"messages":[{"role":"user","content":"hello"}],"max_tokens":1500,"stream":true}' > "$work/gw-stream.txt" &
stream_pid=$!
for ((i = 0; i < 200; i++)); do
  [ "$(grep -c '^data:' "$work/gw-stream.txt" || true)" -ge 20 ] && break
  sleep 0.05
done
at_stop=$(grep -c '^data:' "$work/gw-stream.txt" || true)
podman stop -t 40 "r1-gw-$$" > /dev/null 2>> "$work/podman.log"
wait "$stream_pid" || true
at_end=$(grep -c '^data:' "$work/gw-stream.txt" || true)
echo "   gateway: SIGTERM after $at_stop events; the stream went on to $at_end"
check "gateway drains: the stream in flight ends with [DONE]" \
  bash -c "[ '$at_stop' -ge 20 ] && [ '$at_stop' -lt '$at_end' ] && grep -q '^data: \[DONE\]' '$work/gw-stream.txt'"
check "gateway exit status 0 after SIGTERM" test "$(podman inspect "r1-gw-$$" --format '{{.State.ExitCode}}')" = 0
podman stop -t 40 "r1-serve-$$" > /dev/null 2>> "$work/podman.log"
check "worker exit status 0 after SIGTERM" test "$(podman inspect "r1-serve-$$" --format '{{.State.ExitCode}}')" = 0

echo "-- model mode (init container): fetch with a checksum"
hport=$(free_port)
python3 -m http.server "$hport" --bind 127.0.0.1 --directory "$work/models" > "$work/http.log" 2>&1 &
http_pid=$!
wait_ready "http://127.0.0.1:$hport/" 10 || true
sum=$(sha256sum "$work/models/demo-tiny-qwen2.gguf" | cut -d' ' -f1)
mkdir -p "$work/fetched" && chown 10001:10001 "$work/fetched"
fetch() {  # fetch SHA256
  podman run --rm --network host --read-only --cap-drop ALL -v "$work/fetched:/models" \
    -e R1SERVE_MODEL=/models/r1.gguf -e R1SERVE_MODEL_URL="http://127.0.0.1:$hport/demo-tiny-qwen2.gguf" \
    -e R1SERVE_MODEL_SHA256="$1" "$tag" model
}
check "wrong SHA-256: fails" fails fetch "$(printf '0%.0s' {1..64})"
check "wrong SHA-256: no file left behind" test -z "$(ls -A "$work/fetched")"
check "fetched and checked" fetch "$sum"
check "fetched file equals the source" cmp "$work/models/demo-tiny-qwen2.gguf" "$work/fetched/r1.gguf"
fetch "$sum" > "$work/fetch2.log" 2>&1 || true
check "second run: model present, nothing fetched" grep -q "r1.gguf present" "$work/fetch2.log"
t_run=$((SECONDS - t2))

echo "20-container: base ${t_base}s, build ${t_build}s, runs ${t_run}s, total $((SECONDS - t0))s"
echo "20-container: $pass passed, $fail failed"
[ "$fail" = 0 ]
