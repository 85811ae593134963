#!/usr/bin/env bash
# TCO chart (docs/images/cost-brief.svg, shown in the README): well-formed
# XML with both series and the break-even mark, and it renders with a real
# SVG renderer (rsvg-convert) to a PNG of the chart's size. That the file
# is what `r1serve cost deploy/cost/brief.yaml --svg` writes today is
# checked by the e2e_cost ctest (tests/tco/cost_e2e.sh).
set -euo pipefail
SVG=docs/images/cost-brief.svg
T="$(mktemp -d)"
trap 'rm -rf "$T"' EXIT
xmllint --noout "$SVG"
count() { xmllint --xpath "count($1)" "$SVG"; }
for series in series-local series-cloud series-cloud-list; do
  [ "$(count "//*[local-name()=\"polyline\"][@class=\"$series\"]")" = 1 ] || { echo "no $series in $SVG"; exit 1; }
done
[ "$(count '//*[@class="break-even"]')" = 1 ] || { echo "no break-even mark in $SVG"; exit 1; }
rsvg-convert -o "$T/chart.png" "$SVG"
python3 - "$T/chart.png" <<'PY'
import struct, sys
data = open(sys.argv[1], "rb").read()
assert data[:8] == b"\x89PNG\r\n\x1a\n", "not a PNG"
w, h = struct.unpack(">II", data[16:24])
assert (w, h) == (880, 500), (w, h)
assert len(data) > 10000, f"PNG only {len(data)} bytes"
print(f"tco: {sys.argv[1].split('/')[-1]} {w}x{h}, {len(data)} bytes")
PY
echo "tco: cost-brief.svg well-formed, 3 series + break-even, renders (5 checks)"
