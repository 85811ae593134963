#include <algorithm>
#include <cmath>
#include <cstdio>

#include "tco/money.h"
#include "tco/render.h"

namespace r1::tco {
namespace {

constexpr double kWidth = 880, kHeight = 500;
constexpr double kLeft = 96, kRight = 850, kTop = 70, kBottom = 430;
constexpr const char* kLocalColor = "#1f77b4";
constexpr const char* kCloudColor = "#d62728";

std::string f1(double v) {
  char buf[32];
  std::snprintf(buf, sizeof(buf), "%.1f", v);
  return buf;
}

std::string escape(const std::string& s) {
  std::string out;
  for (char c : s) {
    switch (c) {
      case '&': out += "&amp;"; break;
      case '<': out += "&lt;"; break;
      case '>': out += "&gt;"; break;
      case '"': out += "&quot;"; break;
      default: out += c;
    }
  }
  return out;
}

// A 1, 2, 2.5 or 5 x 10^k step giving at most ~6 intervals up to `max`.
double nice_step(double max) {
  const double raw = std::max(max, 1.0) / 6.0;
  const double base = std::pow(10.0, std::floor(std::log10(raw)));
  for (double m : {1.0, 2.0, 2.5, 5.0}) {
    if (m * base >= raw) return m * base;
  }
  return 10 * base;
}

int month_step(int horizon) {
  for (int s : {1, 2, 3, 6, 12, 24}) {
    if (horizon / s <= 8) return s;
  }
  return 24;
}

struct Frame {
  int horizon = 1;
  double y_max = 1;
  double y_step = 1;
  double x(double t) const { return kLeft + (kRight - kLeft) * t / horizon; }
  double y(double v) const { return kBottom - (kBottom - kTop) * v / y_max; }
};

std::string text(double x, double y, const std::string& s, const std::string& attrs) {
  return "<text x=\"" + f1(x) + "\" y=\"" + f1(y) + "\" " + attrs + ">" + escape(s) + "</text>\n";
}

std::string line(double x1, double y1, double x2, double y2, const std::string& attrs) {
  return "<line x1=\"" + f1(x1) + "\" y1=\"" + f1(y1) + "\" x2=\"" + f1(x2) + "\" y2=\"" + f1(y2) +
         "\" " + attrs + "/>\n";
}

std::string axes(const Frame& f, const std::string& cur) {
  std::string out = "<g class=\"axes\" font-size=\"12\" fill=\"#333\">\n";
  const int ticks = static_cast<int>(std::round(f.y_max / f.y_step));
  for (int i = 0; i <= ticks; ++i) {
    const double v = f.y_step * i;
    out += line(kLeft, f.y(v), kRight, f.y(v), "stroke=\"#e4e4e4\"");
    out += text(kLeft - 8, f.y(v) + 4, money_short(v, cur), "text-anchor=\"end\"");
  }
  const int ms = month_step(f.horizon);
  for (int t = 0; t <= f.horizon; t += ms) {
    out += line(f.x(t), kBottom, f.x(t), kBottom + 5, "stroke=\"#333\"");
    out += text(f.x(t), kBottom + 20, std::to_string(t), "text-anchor=\"middle\"");
  }
  out += line(kLeft, kBottom, kRight, kBottom, "stroke=\"#333\"");
  out += line(kLeft, kTop, kLeft, kBottom, "stroke=\"#333\"");
  out += text((kLeft + kRight) / 2, kBottom + 42, "month", "text-anchor=\"middle\" font-size=\"13\"");
  out += text(0, 0, "cumulative cost (" + cur + ")",
              "text-anchor=\"middle\" font-size=\"13\" transform=\"translate(22 " + f1((kTop + kBottom) / 2) +
                  ") rotate(-90)\"");
  return out + "</g>\n";
}

// Purchases show as vertical steps: at a purchase month the line first
// reaches the amount before it, then jumps.
std::string polyline(const Frame& f, const SideCost& side, const std::vector<double>& cum, bool hidden_items,
                     const std::string& attrs) {
  std::string points;
  for (int t = 0; t <= f.horizon; ++t) {
    double jump = 0;
    for (const LineItem& item : side.items) {
      if (item.hidden && !hidden_items) continue;
      for (int m : item.purchase_months) jump += m == t ? item.purchase : 0;
    }
    if (jump > 0) points += f1(f.x(t)) + "," + f1(f.y(cum[t] - jump)) + " ";
    points += f1(f.x(t)) + "," + f1(f.y(cum[t])) + " ";
  }
  points.pop_back();
  return "<polyline " + attrs + " fill=\"none\" stroke-width=\"2.5\" points=\"" + points + "\"/>\n";
}

std::string legend_entry(double y, const std::string& color, const std::string& dash, const std::string& label) {
  std::string out = line(kLeft + 16, y, kLeft + 46, y,
                         "stroke=\"" + color + "\" stroke-width=\"2.5\"" + dash);
  return out + text(kLeft + 54, y + 4, label, "");
}

std::string legend(const TcoResult& r) {
  const std::string& cur = r.inputs.currency;
  std::string out = "<g class=\"legend\" font-size=\"13\" fill=\"#222\">\n";
  out += "<rect x=\"" + f1(kLeft + 8) + "\" y=\"" + f1(kTop + 8) +
         "\" width=\"380\" height=\"70\" fill=\"white\" fill-opacity=\"0.9\" stroke=\"#ccc\"/>\n";
  out += legend_entry(kTop + 26, kCloudColor, "", "cloud, with hidden costs (" + money(r.cloud.total, cur) + ")");
  out += legend_entry(kTop + 46, kCloudColor, " stroke-dasharray=\"6 4\" stroke-opacity=\"0.6\"",
                      "cloud, before hidden costs (" + money(r.cloud.total_before_hidden, cur) + ")");
  out += legend_entry(kTop + 66, kLocalColor, "", "local (" + money(r.local.total, cur) + ")");
  return out + "</g>\n";
}

// The break-even month (bold, with a dashed vertical line) and, when it
// differs, the month before hidden costs (hollow marker, grey label).
std::string break_even_mark(const Frame& f, const TcoResult& r) {
  std::string out;
  if (r.break_even_month) {
    const int m = *r.break_even_month;
    const double x = f.x(m), y = f.y(r.local.cumulative[m]);
    const bool right = x < (kLeft + kRight) / 2;
    out += "<g class=\"break-even\">\n" + line(x, kTop, x, kBottom, "stroke=\"#555\" stroke-dasharray=\"3 3\"");
    out += "<circle cx=\"" + f1(x) + "\" cy=\"" + f1(y) + "\" r=\"5\" fill=\"#222\"/>\n";
    out += text(x + (right ? 8 : -8), y + 22, "break-even: month " + std::to_string(m),
                std::string("font-size=\"13\" font-weight=\"bold\" fill=\"#222\" text-anchor=\"") +
                    (right ? "start" : "end") + "\"") + "</g>\n";
  }
  const std::optional<int>& list = r.break_even_month_before_hidden;
  if (list && list != r.break_even_month) {
    const double x = f.x(*list), y = f.y(r.local.cumulative_before_hidden[*list]);
    out += "<g class=\"break-even-list\">\n<circle cx=\"" + f1(x) + "\" cy=\"" + f1(y) +
           "\" r=\"4.5\" fill=\"white\" stroke=\"#555\" stroke-width=\"1.5\"/>\n";
    out += text(x + 8, y + 20, "month " + std::to_string(*list) + " before hidden costs",
                "font-size=\"12\" fill=\"#555\"") + "</g>\n";
  }
  return out;
}

std::string title(const TcoResult& r) {
  const std::string& cur = r.inputs.currency;
  const int h = r.inputs.horizon_months;
  std::string sub = r.break_even_month ? "local breaks even at month " + std::to_string(*r.break_even_month)
                                       : "local does not break even within " + std::to_string(h) + " months";
  sub += "; at month " + std::to_string(h) + ": cloud " + money(r.cloud.total, cur) + ", local " +
         money(r.local.total, cur);
  return text(kLeft, 30, "Cumulative cost, cloud vs local (" + horizon_label(h) + " TCO)",
              "font-size=\"18\" font-weight=\"bold\" fill=\"#111\"") +
         text(kLeft, 52, sub, "font-size=\"13\" fill=\"#444\"");
}

}  // namespace

std::string render_svg(const TcoResult& r) {
  Frame f;
  f.horizon = r.inputs.horizon_months;
  const double top = std::max({r.local.cumulative.back(), r.cloud.cumulative.back(), 1.0});
  f.y_step = nice_step(top * 1.05);
  f.y_max = std::ceil(top * 1.05 / f.y_step) * f.y_step;
  std::string out = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n";
  out += "<svg xmlns=\"http://www.w3.org/2000/svg\" version=\"1.1\" width=\"" + f1(kWidth) + "\" height=\"" +
         f1(kHeight) + "\" viewBox=\"0 0 " + f1(kWidth) + " " + f1(kHeight) +
         "\" font-family=\"DejaVu Sans, Arial, sans-serif\">\n";
  out += "<rect width=\"100%\" height=\"100%\" fill=\"white\"/>\n";
  out += title(r) + axes(f, r.inputs.currency);
  out += polyline(f, r.cloud, r.cloud.cumulative_before_hidden, false,
                  "class=\"series-cloud-list\" stroke=\"" + std::string(kCloudColor) +
                      "\" stroke-dasharray=\"6 4\" stroke-opacity=\"0.6\"");
  out += polyline(f, r.cloud, r.cloud.cumulative, true, "class=\"series-cloud\" stroke=\"" + std::string(kCloudColor) + "\"");
  out += polyline(f, r.local, r.local.cumulative, true, "class=\"series-local\" stroke=\"" + std::string(kLocalColor) + "\"");
  out += break_even_mark(f, r) + legend(r);
  return out + "</svg>\n";
}

}  // namespace r1::tco
