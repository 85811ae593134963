#include "tco/render.h"

#include <cstdio>

#include "tco/money.h"

namespace r1::tco {
namespace {

constexpr size_t kNameWidth = 24;
constexpr size_t kColumnWidth = 16;

std::string count(double v) {
  char buf[32];
  std::snprintf(buf, sizeof(buf), "%g", v);
  return buf;
}

size_t display_width(const std::string& s) {
  size_t n = 0;
  for (unsigned char c : s) n += (c & 0xC0) != 0x80;
  return n;
}

std::string row(const std::string& name, const std::vector<double>& by_period, double total,
                const std::string& cur) {
  std::string out = pad_right(name, kNameWidth);
  for (double v : by_period) out += pad_left(money(v, cur), kColumnWidth);
  return out + pad_left(money(total, cur), kColumnWidth) + "\n";
}

std::string side_table(const SideCost& side, const std::string& cur) {
  std::string out = side.name + "\n";
  for (const LineItem& item : side.items) {
    out += row("  " + item.name + (item.hidden ? " *" : ""), item.by_period, item.total, cur);
  }
  return out + row("  " + side.name + " total", side.by_period, side.total, cur);
}

std::string year_table(const TcoResult& r) {
  const std::string& cur = r.inputs.currency;
  std::string out = pad_right("", kNameWidth);
  for (const Period& p : r.periods) out += pad_left(p.label, kColumnWidth);
  out += pad_left("Total", kColumnWidth) + "\n";
  out += side_table(r.local, cur) + side_table(r.cloud, cur);
  const LocalInputs& l = r.inputs.local;
  out += "* hidden cost, as the brief names them. Egress and outage losses are charged to the cloud\n"
         "  option, as in the brief's story; local outage losses are their own input (here " +
         count(l.outages_per_year) + " x " + money(l.outage_cost, cur) + " a year).\n"
         "  Amounts are cash spent in each year (hardware when bought).\n";
  return out;
}

std::string bases(const TcoResult& r) {
  std::string out = "how each line is made up:\n";
  for (const SideCost* side : {&r.local, &r.cloud}) {
    for (const LineItem& item : side->items) out += "  " + side->name + " " + item.name + ": " + item.basis + "\n";
  }
  return out;
}

std::string break_even_text(const std::optional<int>& month, int horizon) {
  if (!month) return "never within " + std::to_string(horizon) + " months";
  return "month " + std::to_string(*month);
}

std::string totals(const TcoResult& r) {
  const std::string& cur = r.inputs.currency;
  const std::string h = horizon_label(r.inputs.horizon_months);
  auto line = [&](const std::string& name, double before, double with) {
    return pad_right("  " + name, kNameWidth) + pad_left(money(before, cur), 22) + pad_left(money(with, cur), 22) + "\n";
  };
  std::string out = pad_right("", kNameWidth) + pad_left("before hidden costs", 22) + pad_left("with hidden costs", 22) + "\n";
  out += line("cloud " + h, r.cloud.total_before_hidden, r.cloud.total);
  out += line("local " + h, r.local.total_before_hidden, r.local.total);
  out += line("local saves", r.cloud.total_before_hidden - r.local.total_before_hidden, r.cloud.total - r.local.total);
  out += "break-even: " + break_even_text(r.break_even_month, r.inputs.horizon_months) + " with hidden costs (" +
         break_even_text(r.break_even_month_before_hidden, r.inputs.horizon_months) + " before them)\n";
  out += "hardware residual value at month " + std::to_string(r.inputs.horizon_months) + ": " +
         money(r.residual_value, cur) + " (straight-line; not credited)\n";
  return out;
}

std::string per_token(const TcoResult& r, const RenderNotes& notes) {
  const std::string& cur = r.inputs.currency;
  const WorkloadInputs& w = r.inputs.workload;
  if (r.tokens_per_month <= 0 || !r.local_per_million) {
    return "cost per million output tokens: no throughput (measure one: `r1serve bench serve --json > "
           "report.json`, then --from-bench report.json; or set workload.tokens_per_s)\n";
  }
  char buf[256];
  std::snprintf(buf, sizeof(buf), "%.1f output tokens/s x utilisation %.0f%% x %g h/day = %.2f M tokens/month\n",
                w.tokens_per_s, w.utilisation * 100, w.hours_per_day, r.tokens_per_month / 1e6);
  std::string out = "throughput: " + (notes.throughput_source.empty() ? "workload.tokens_per_s of the inputs"
                                                                       : notes.throughput_source) + "\n  " + buf;
  out += "cost per million output tokens: local " + money_fine(*r.local_per_million, cur) + ", cloud " +
         money_fine(*r.cloud_per_million, cur) + " (" + money_fine(*r.cloud_per_million_before_hidden, cur) +
         " before hidden costs)\n";
  return out;
}

}  // namespace

std::string horizon_label(int months) {
  if (months % 12 == 0) return std::to_string(months / 12) + "-year";
  return std::to_string(months) + "-month";
}

std::string pad_left(const std::string& s, size_t width) {
  const size_t w = display_width(s);
  return w >= width ? " " + s : std::string(width - w, ' ') + s;
}

std::string pad_right(const std::string& s, size_t width) {
  const size_t w = display_width(s);
  return w >= width ? s + " " : s + std::string(width - w, ' ');
}

std::string render_text(const TcoResult& r, const RenderNotes& notes) {
  std::string out = "r1serve cost: cloud vs local over " + std::to_string(r.inputs.horizon_months) +
                    " months (" + horizon_label(r.inputs.horizon_months) + " TCO)\n";
  out += "inputs: " + notes.inputs_source + "\n\n";
  out += year_table(r) + "\n" + bases(r) + "\n" + totals(r) + "\n" + per_token(r, notes);
  return out;
}

}  // namespace r1::tco
