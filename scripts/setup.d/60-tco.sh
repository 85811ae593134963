# TCO calculator (`r1serve cost`, src/tco): xmllint (libxml2-utils) checks
# the SVG chart in tco_test and tests/tco/cost_e2e.sh; rsvg-convert
# (librsvg2-bin) renders the committed chart in scripts/test.d/60-tco.sh.
# Sourced by scripts/setup.sh with ROOT and SUDO set.
_r1_tco_missing=""
command -v xmllint >/dev/null 2>&1 || _r1_tco_missing="$_r1_tco_missing libxml2-utils"
command -v rsvg-convert >/dev/null 2>&1 || _r1_tco_missing="$_r1_tco_missing librsvg2-bin"
if [ -n "$_r1_tco_missing" ]; then
  echo "setup: installing$_r1_tco_missing (TCO chart checks)"
  $SUDO apt-get update -qq
  # shellcheck disable=SC2086
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends $_r1_tco_missing
fi
unset _r1_tco_missing
