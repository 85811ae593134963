# Monitoring (deploy/prometheus, deploy/grafana): Debian's Prometheus gives
# promtool (check/test rules, check metrics) and the server the end-to-end
# test runs as a child process (scripts/test.d/30-monitoring.sh). Its
# service is never started: invoke-rc.d is told not to (policy-rc.d), and
# on a systemd host the unit is stopped and disabled again.
# python3-yaml: the dashboard/provisioning checks parse YAML.
# Sourced by scripts/setup.sh with ROOT and SUDO set.
if ! dpkg -s python3-yaml >/dev/null 2>&1; then
  echo "setup: installing python3-yaml (monitoring checks)"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends python3-yaml
fi
if ! command -v promtool >/dev/null 2>&1 || ! command -v prometheus >/dev/null 2>&1; then
  echo "setup: installing prometheus (promtool + server for the monitoring tests)"
  _r1_policy_added=0
  if [ ! -e /usr/sbin/policy-rc.d ]; then
    printf '#!/bin/sh\nexit 101\n' | $SUDO tee /usr/sbin/policy-rc.d >/dev/null
    $SUDO chmod +x /usr/sbin/policy-rc.d
    _r1_policy_added=1
  fi
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends prometheus
  if [ "$_r1_policy_added" = 1 ]; then $SUDO rm -f /usr/sbin/policy-rc.d; fi
  if command -v systemctl >/dev/null 2>&1 && [ -d /run/systemd/system ]; then
    $SUDO systemctl disable --now prometheus >/dev/null 2>&1 || true
  fi
  unset _r1_policy_added
fi
