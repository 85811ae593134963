#!/usr/bin/env bash
# Monitoring (deploy/prometheus, deploy/grafana, docs/alerts.md):
#   1. promtool check config / check rules;
#   2. promtool test rules (deploy/prometheus/tests: every alert firing and
#      not firing at its thresholds) and the static checks of the rules,
#      their runbooks and the dashboard (tests/monitoring/check_static.py);
#   3. end to end: a real Prometheus against a real `r1serve up` (faults
#      fire alerts that then resolve; every dashboard query returns data;
#      promtool check metrics on real /metrics output).
# Run by scripts/test.sh from the repo root after the release build.
# Needs promtool and prometheus (scripts/setup.d/30-monitoring.sh), node.
set -uo pipefail
cd "$(dirname "$0")/../.."
R1SERVE=${R1SERVE:-build/r1serve}
status=0
step() { echo "-- $*"; }
fail() { echo "FAILED: $*"; status=1; }

for tool in promtool prometheus node python3; do
  command -v "$tool" >/dev/null 2>&1 || { echo "FAILED: $tool not installed (scripts/setup.d/30-monitoring.sh)"; exit 1; }
done

step "promtool check config and rules"
promtool check config deploy/prometheus/prometheus.yml || fail "check config prometheus.yml"
# prometheus-kubernetes.yml: Debian's Prometheus has no Kubernetes discovery;
# check_static.py checks it with its kubernetes_sd_configs swapped for static ones.
promtool check rules deploy/prometheus/rules/*.yml || fail "check rules"

step "promtool test rules"
start=$SECONDS
unit_log=$(mktemp)
if promtool test rules deploy/prometheus/tests/*.yml > "$unit_log" 2>&1; then
  echo "promtool test rules: $(grep -c 'SUCCESS' "$unit_log") of $(ls deploy/prometheus/tests/*.yml | wc -l) files passed" \
       "($(grep -c 'eval_time' deploy/prometheus/tests/*.yml | awk -F: '{n += $2} END {print n}') alert evaluations) in $((SECONDS - start))s"
else
  cat "$unit_log"; fail "promtool test rules"
fi
rm -f "$unit_log"

step "static checks (rules, runbooks, dashboard, provisioning)"
python3 tests/monitoring/check_static.py . || fail "static checks"

step "end to end: Prometheus + r1serve up"
if [ -x "$R1SERVE" ]; then
  node tests/monitoring/e2e/monitoring_e2e.mjs --r1serve "$R1SERVE" --root . || fail "monitoring e2e"
else
  fail "no $R1SERVE (build it first)"
fi

exit $status
