// The inputs of the 3-year TCO comparison (cloud vs local) of `r1serve
// cost`, parsed strictly from YAML: unknown keys and wrong types are errors
// that name the key path. Money is in one unspecified currency (symbol
// `currency`); "per_year" amounts are spread evenly over the months.
//
//   currency: "¥"            # printed before every amount
//   horizon: 3y              # or 36m; 1 to 120 months
//   hardware: {purchase: 480000, depreciation: 3y}
//   power: {watts: 0, price_per_kwh: 0, pue: 1.0}
//   local: {staff_per_year: 120000, network_per_year: 50000,
//           outages_per_year: 0, outage_cost: 0}
//   cloud: {price_per_year: 600000,   # or price_per_hour (+ instances),
//                                     # or price_per_million_tokens
//           egress_per_year: 150000, outages_per_year: 2, outage_cost: 200000}
//   workload: {tokens_per_s: 0, utilisation: 1.0, hours_per_day: 24}
//
// Thread contract: value types and pure functions.
#pragma once

#include <string>
#include <string_view>

#include "core/result.h"

namespace r1::tco {

inline constexpr int kMaxHorizonMonths = 120;
inline constexpr double kMaxAmount = 1e15;

enum class CloudPricing { kPerYear, kPerHour, kPerMillionTokens };

struct HardwareInputs {
  double purchase = 0;          // bought at month 0, again every depreciation
  int depreciation_months = 36;  // straight-line life; also the refresh cycle
  bool operator==(const HardwareInputs&) const = default;
};

struct PowerInputs {
  double watts = 0;  // average draw of the local servers, 24 h a day
  double price_per_kwh = 0;
  double pue = 1.0;  // facility power / IT power, >= 1
  bool operator==(const PowerInputs&) const = default;
};

struct LocalInputs {
  double staff_per_year = 0;
  double network_per_year = 0;
  double outages_per_year = 0;  // outages of the local servers
  double outage_cost = 0;       // loss per outage
  bool operator==(const LocalInputs&) const = default;
};

struct CloudInputs {
  CloudPricing pricing = CloudPricing::kPerYear;
  double price = 0;      // per year, per instance-hour or per million output tokens
  double instances = 1;  // kPerHour only
  double egress_per_year = 0;
  double outages_per_year = 0;  // outages of the cloud service
  double outage_cost = 0;
  bool operator==(const CloudInputs&) const = default;
};

// Turns measured output tokens/s into tokens per month: tokens_per_s x
// utilisation x hours_per_day x 3600 x 365/12. hours_per_day is also the
// billed hours of per-hour cloud instances.
struct WorkloadInputs {
  double tokens_per_s = 0;  // 0: unknown (no cost per million tokens)
  double utilisation = 1.0;  // share of the serving hours at that rate, 0..1
  double hours_per_day = 24;
  bool operator==(const WorkloadInputs&) const = default;
};

struct TcoInputs {
  std::string currency = "¥";
  int horizon_months = 36;
  HardwareInputs hardware;
  PowerInputs power;
  LocalInputs local;
  CloudInputs cloud;
  WorkloadInputs workload;
  bool operator==(const TcoInputs&) const = default;
};

// The brief's table (also deploy/cost/brief.yaml): cloud ¥600,000 a year;
// local hardware ¥480,000, staff ¥120,000 and network ¥50,000 a year; the
// hidden costs of the cloud option: egress ¥150,000 a year and two outages
// a year at ¥200,000 each; 3 years.
TcoInputs brief_inputs();

// Parses a YAML document of inputs. Absent keys keep the TcoInputs{}
// defaults (zero costs); cloud needs exactly one of price_per_year,
// price_per_hour, price_per_million_tokens, and `instances` goes with
// price_per_hour only. Ranges are checked here; that per-token pricing has
// a throughput is checked by compute() (--from-bench may supply it).
Result<TcoInputs> parse_inputs(std::string_view yaml);

// A currency symbol: at most 16 bytes of valid UTF-8, no control characters.
Status check_currency(const std::string& symbol, const std::string& key_path);
// "36m" -> 36, "3y" -> 36; anything else (no unit, fractions, other units,
// out of [1, max_months]) is an error naming `key_path`.
Result<int> parse_months(std::string_view text, const std::string& key_path, int max_months);

const char* pricing_key(CloudPricing pricing);  // "price_per_year", ...

}  // namespace r1::tco
