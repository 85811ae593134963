#include "tco/model.h"

#include <algorithm>
#include <cstdio>

#include "tco/money.h"

namespace r1::tco {
namespace {

std::string num(const char* format, double v) {
  char buf[64];
  std::snprintf(buf, sizeof(buf), format, v);
  return buf;
}

LineItem recurring(std::string name, double per_year, std::string basis, bool hidden) {
  LineItem item;
  item.name = std::move(name);
  item.per_year = per_year;
  item.basis = std::move(basis);
  item.hidden = hidden;
  return item;
}

std::string outage_basis(double outages, double cost, const std::string& cur) {
  return num("%g", outages) + " outages/year x " + money(cost, cur);
}

LineItem hardware_item(const TcoInputs& in) {
  const HardwareInputs& h = in.hardware;
  const std::string& cur = in.currency;
  LineItem item;
  item.name = "hardware purchase";
  item.purchase = h.purchase;
  for (int t = 0; t < in.horizon_months; t += h.depreciation_months) item.purchase_months.push_back(t);
  item.basis = money(h.purchase, cur) + " at month 0, straight-line over " +
               std::to_string(h.depreciation_months) + " months (" +
               money(h.purchase * 12.0 / h.depreciation_months, cur) + "/year)";
  for (size_t i = 1; i < item.purchase_months.size(); ++i) {
    item.basis += (i == 1 ? "; bought again at month " : ", ") + std::to_string(item.purchase_months[i]);
  }
  return item;
}

std::vector<LineItem> local_items(const TcoInputs& in) {
  const std::string& cur = in.currency;
  const PowerInputs& p = in.power;
  const double kwh_per_year = p.watts / 1000.0 * p.pue * 24 * kDaysPerYear;
  std::vector<LineItem> items;
  items.push_back(hardware_item(in));
  items.push_back(recurring("power", kwh_per_year * p.price_per_kwh,
                            num("%g W", p.watts) + num(" x PUE %.2f", p.pue) + " x 24 h/day x " +
                                money_fine(p.price_per_kwh, cur) + "/kWh (" + grouped(kwh_per_year) +
                                " kWh/year)",
                            false));
  items.push_back(recurring("operations staff", in.local.staff_per_year,
                            money(in.local.staff_per_year, cur) + "/year", false));
  items.push_back(recurring("network", in.local.network_per_year,
                            money(in.local.network_per_year, cur) + "/year", false));
  items.push_back(recurring("outage losses", in.local.outages_per_year * in.local.outage_cost,
                            outage_basis(in.local.outages_per_year, in.local.outage_cost, cur), true));
  return items;
}

LineItem cloud_service(const TcoInputs& in, double tokens_month) {
  const CloudInputs& c = in.cloud;
  const std::string& cur = in.currency;
  switch (c.pricing) {
    case CloudPricing::kPerHour: {
      const double hours = in.workload.hours_per_day * kDaysPerYear;
      return recurring("service", c.price * c.instances * hours,
                       money_fine(c.price, cur) + "/instance-hour x " + num("%g", c.instances) +
                           " instances x " + num("%g", in.workload.hours_per_day) + " h/day",
                       false);
    }
    case CloudPricing::kPerMillionTokens:
      return recurring("service", c.price * tokens_month * 12 / 1e6,
                       money_fine(c.price, cur) + " per million output tokens x " +
                           num("%.2f", tokens_month / 1e6) + " M tokens/month",
                       false);
    case CloudPricing::kPerYear: break;
  }
  return recurring("service", c.price, money(c.price, cur) + "/year", false);
}

std::vector<LineItem> cloud_items(const TcoInputs& in, double tokens_month) {
  const CloudInputs& c = in.cloud;
  const std::string& cur = in.currency;
  std::vector<LineItem> items;
  items.push_back(cloud_service(in, tokens_month));
  items.push_back(recurring("egress", c.egress_per_year, money(c.egress_per_year, cur) + "/year", true));
  items.push_back(recurring("outage losses", c.outages_per_year * c.outage_cost,
                            outage_basis(c.outages_per_year, c.outage_cost, cur), true));
  return items;
}

std::vector<Period> make_periods(int horizon) {
  std::vector<Period> periods;
  for (int first = 0; first < horizon; first += 12) {
    Period p;
    p.first_month = first;
    p.months = std::min(12, horizon - first);
    p.label = "Year " + std::to_string(first / 12 + 1);
    if (p.months < 12) p.label += " (" + std::to_string(p.months) + " mo)";
    periods.push_back(p);
  }
  return periods;
}

double item_amount(const LineItem& item, int first, int months) {
  double amount = item.per_year * months / 12.0;
  for (int t : item.purchase_months) {
    if (t >= first && t < first + months) amount += item.purchase;
  }
  return amount;
}

SideCost make_side(std::string name, std::vector<LineItem> items, const std::vector<Period>& periods,
                   int horizon) {
  SideCost side;
  side.name = std::move(name);
  side.by_period.assign(periods.size(), 0.0);
  side.cumulative.assign(horizon + 1, 0.0);
  side.cumulative_before_hidden.assign(horizon + 1, 0.0);
  for (LineItem& item : items) {
    for (const Period& p : periods) item.by_period.push_back(item_amount(item, p.first_month, p.months));
    item.total = item_amount(item, 0, horizon);
    for (size_t i = 0; i < periods.size(); ++i) side.by_period[i] += item.by_period[i];
    side.total += item.total;
    if (!item.hidden) side.total_before_hidden += item.total;
    for (int t = 0; t <= horizon; ++t) {
      side.cumulative[t] += item.cumulative_at(t);
      if (!item.hidden) side.cumulative_before_hidden[t] += item.cumulative_at(t);
    }
  }
  side.items = std::move(items);
  return side;
}

double residual_value(const TcoInputs& in) {
  const HardwareInputs& h = in.hardware;
  const int last = (in.horizon_months - 1) / h.depreciation_months * h.depreciation_months;
  const int age = in.horizon_months - last;
  return h.purchase * std::max(0, h.depreciation_months - age) / h.depreciation_months;
}

void per_million(TcoResult& r) {
  if (r.tokens_per_month <= 0) return;
  const double millions = r.tokens_per_month * r.inputs.horizon_months / 1e6;
  r.local_per_million = r.local.total / millions;
  r.cloud_per_million = r.cloud.total / millions;
  r.cloud_per_million_before_hidden = r.cloud.total_before_hidden / millions;
}

}  // namespace

double LineItem::cumulative_at(int t) const {
  double amount = per_year * t / 12.0;
  for (int m : purchase_months) {
    if (m <= t) amount += purchase;
  }
  return amount;
}

double tokens_per_month(const WorkloadInputs& w) {
  return w.tokens_per_s * w.utilisation * w.hours_per_day * 3600.0 * kDaysPerYear / 12.0;
}

std::optional<int> break_even(const std::vector<double>& local, const std::vector<double>& cloud) {
  CHECK(local.size() == cloud.size() && local.size() >= 2);
  auto cheaper = [&](size_t t) { return local[t] <= cloud[t] + 1e-9 * std::max(1.0, cloud[t]); };
  const size_t horizon = local.size() - 1;
  if (!cheaper(horizon)) return std::nullopt;
  size_t m = horizon;
  while (m > 1 && cheaper(m - 1)) --m;
  return static_cast<int>(m);
}

Result<TcoResult> compute(const TcoInputs& inputs) {
  CHECK(inputs.horizon_months >= 1 && inputs.hardware.depreciation_months >= 1);
  TcoResult r;
  r.inputs = inputs;
  r.tokens_per_month = tokens_per_month(inputs.workload);
  if (inputs.cloud.pricing == CloudPricing::kPerMillionTokens && r.tokens_per_month <= 0) {
    return make_error(ErrorCode::kInvalidArgument,
                      "cloud.price_per_million_tokens needs a throughput: workload.tokens_per_s, "
                      "--from-bench report.json, or a utilisation and hours_per_day above 0");
  }
  r.periods = make_periods(inputs.horizon_months);
  r.local = make_side("local", local_items(inputs), r.periods, inputs.horizon_months);
  r.cloud = make_side("cloud", cloud_items(inputs, r.tokens_per_month), r.periods, inputs.horizon_months);
  r.break_even_month = break_even(r.local.cumulative, r.cloud.cumulative);
  r.break_even_month_before_hidden =
      break_even(r.local.cumulative_before_hidden, r.cloud.cumulative_before_hidden);
  r.residual_value = residual_value(inputs);
  per_million(r);
  return r;
}

}  // namespace r1::tco
