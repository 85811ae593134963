// Renderings of a TcoResult: the itemized text comparison that `r1serve
// cost` prints, and an SVG chart of the cumulative cost of both options
// over the horizon (break-even marked).
//
// Thread contract: pure functions.
#pragma once

#include <string>

#include "tco/model.h"

namespace r1::tco {

struct RenderNotes {
  std::string inputs_source;      // "deploy/cost/brief.yaml", "built-in: the brief's table ..."
  std::string throughput_source;  // "report.json: 812.4 output tokens/s ..."; empty: the inputs'
};

std::string render_text(const TcoResult& r, const RenderNotes& notes);

// A standalone SVG 1.1 document (UTF-8): axes with labelled ticks (months,
// money), a legend, one polyline per series (class "series-local",
// "series-cloud", "series-cloud-list" for the cloud before hidden costs)
// and the break-even month marked (class "break-even") when there is one.
std::string render_svg(const TcoResult& r);

// "3-year" for whole years, else "30-month".
std::string horizon_label(int months);

// Pads to `width` display columns (UTF-8 code points), right-aligned.
std::string pad_left(const std::string& s, size_t width);
std::string pad_right(const std::string& s, size_t width);

}  // namespace r1::tco
