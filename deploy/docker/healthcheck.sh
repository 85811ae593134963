#!/bin/bash
# Container HEALTHCHECK: GET /ready on the port of the running mode.
#   up, gateway: the proxy (R1SERVE_PORT, default 8000); /ready is relayed to a
#                worker, so it passes once one has loaded its model
#   serve:       the worker itself (R1SERVE_PORT, default 8080)
# The mode is read from the command line of PID 1's child (tini runs the
# entrypoint, which execs `r1serve MODE ...`). R1SERVE_HEALTH_URL overrides.
# Kubernetes ignores HEALTHCHECK: the manifests in deploy/k8s use probes.
set -euo pipefail

url=${R1SERVE_HEALTH_URL:-}
if [ -z "$url" ]; then
  mode=up
  child=$(cut -d' ' -f1 /proc/1/task/1/children 2>/dev/null || true)
  if [ -n "$child" ] && [ -r "/proc/$child/cmdline" ]; then
    mapfile -d '' -t argv < "/proc/$child/cmdline"
    if [ "${#argv[@]}" -gt 1 ]; then mode=${argv[1]}; fi
  fi
  port=${R1SERVE_PORT:-8000}
  if [ "$mode" = serve ]; then port=${R1SERVE_PORT:-8080}; fi
  url="http://127.0.0.1:$port/ready"
fi
exec curl -fsS --max-time 2 -o /dev/null "$url"
