// The TCO model: every cost is a line item of one side (local or cloud),
// either recurring (an amount per year, spread evenly over the months) or a
// purchase (hardware, bought at month 0 and again every depreciation
// period within the horizon). Time t is in months; the cumulative cost at t
// is everything spent by then, purchases included at the start of the
// month they are made in. Hidden costs (the brief's: egress and outage
// losses) are items with `hidden` set: egress belongs to the cloud option
// only; outage losses are an input of each side (the brief gives the
// cloud's: two a year at ¥200,000).
//
// Break-even: the first month m >= 1 from which local's cumulative cost
// stays at or below the cloud's to the end of the horizon; none when local
// is dearer at the end.
//
// Thread contract: value types and pure functions.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "core/result.h"
#include "tco/inputs.h"

namespace r1::tco {

inline constexpr double kDaysPerYear = 365;

// A column of the per-year table: months [first_month, first_month + months).
struct Period {
  std::string label;  // "Year 1", or "Year 4 (6 mo)" for a partial year
  int first_month = 0;
  int months = 12;
};

struct LineItem {
  std::string name;   // "hardware purchase", "egress", ...
  std::string basis;  // how the amount is made up, e.g. "2 outages/year x ¥200,000"
  bool hidden = false;
  double per_year = 0;                // recurring
  double purchase = 0;                // one-off, at each of purchase_months
  std::vector<int> purchase_months;  // times t (months) of the purchases
  std::vector<double> by_period;     // per Period
  double total = 0;                  // over the horizon
  // Spent on this item by time t (purchases at t included).
  double cumulative_at(int t) const;
};

struct SideCost {
  std::string name;  // "local" or "cloud"
  std::vector<LineItem> items;
  std::vector<double> by_period;
  double total = 0;
  double total_before_hidden = 0;
  std::vector<double> cumulative;                // index t = 0..horizon
  std::vector<double> cumulative_before_hidden;  // the same without hidden items
};

struct TcoResult {
  TcoInputs inputs;
  std::vector<Period> periods;
  SideCost local;
  SideCost cloud;
  std::optional<int> break_even_month;
  std::optional<int> break_even_month_before_hidden;
  double tokens_per_month = 0;  // 0: no throughput given
  std::optional<double> local_per_million;   // cost per million output tokens
  std::optional<double> cloud_per_million;
  std::optional<double> cloud_per_million_before_hidden;
  double residual_value = 0;  // undepreciated hardware at the horizon (not credited)
};

// tokens_per_s x utilisation x hours_per_day x 3600 x 365 / 12.
double tokens_per_month(const WorkloadInputs& w);

// Fails (kInvalidArgument) when the cloud is priced per token and no
// throughput is known.
Result<TcoResult> compute(const TcoInputs& inputs);

// The first month m in [1, horizon] from which local[t] <= cloud[t] for
// every t >= m; none if local is dearer at the horizon. Both vectors are
// indexed by month 0..horizon and have the same size (>= 2).
std::optional<int> break_even(const std::vector<double>& local, const std::vector<double>& cloud);

}  // namespace r1::tco
