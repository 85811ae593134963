#include "tco/inputs.h"

#include <yaml-cpp/yaml.h>

#include <cstdint>

#include "core/enum_names.h"
#include "config/yaml_section.h"

namespace r1::tco {
namespace {

// The YAML key of each pricing model (cloud.price_per_*).
constexpr EnumName<CloudPricing> kPricingKeys[] = {{CloudPricing::kPerYear, "price_per_year"},
                                                   {CloudPricing::kPerHour, "price_per_hour"},
                                                   {CloudPricing::kPerMillionTokens, "price_per_million_tokens"}};

using config::config_error;
using config::YamlSection;

constexpr size_t kMaxYamlBytes = 1 << 20;
constexpr size_t kMaxCurrencyBytes = 16;

// A whole number of months written "36m" or "3y"; unchanged when absent.
Status read_months(const YamlSection& s, std::string_view key, int& out, int max_months) {
  if (!s.has(key)) return Status();
  const YAML::Node node = s.get(key);
  if (!node.IsScalar()) {
    return config_error(s.key_path(key), std::string("expected a period like '36m' or '3y', got ") +
                                             config::yaml_kind(node));
  }
  R1_ASSIGN_OR_RETURN(out, parse_months(node.Scalar(), s.key_path(key), max_months));
  return Status();
}

Status parse_hardware(const YamlSection& s, HardwareInputs& h) {
  R1_RETURN_IF_ERROR(s.check_keys({"purchase", "depreciation"}));
  R1_RETURN_IF_ERROR(s.read_double("purchase", h.purchase, 0, kMaxAmount));
  return read_months(s, "depreciation", h.depreciation_months, 600);
}

Status parse_power(const YamlSection& s, PowerInputs& p) {
  R1_RETURN_IF_ERROR(s.check_keys({"watts", "price_per_kwh", "pue"}));
  R1_RETURN_IF_ERROR(s.read_double("watts", p.watts, 0, 1e9));
  R1_RETURN_IF_ERROR(s.read_double("price_per_kwh", p.price_per_kwh, 0, 1e6));
  return s.read_double("pue", p.pue, 1.0, 5.0);
}

Status parse_local(const YamlSection& s, LocalInputs& l) {
  R1_RETURN_IF_ERROR(s.check_keys({"staff_per_year", "network_per_year", "outages_per_year", "outage_cost"}));
  R1_RETURN_IF_ERROR(s.read_double("staff_per_year", l.staff_per_year, 0, kMaxAmount));
  R1_RETURN_IF_ERROR(s.read_double("network_per_year", l.network_per_year, 0, kMaxAmount));
  R1_RETURN_IF_ERROR(s.read_double("outages_per_year", l.outages_per_year, 0, 8760));
  return s.read_double("outage_cost", l.outage_cost, 0, kMaxAmount);
}

// Exactly one of the three price keys sets the pricing model.
Status parse_cloud_price(const YamlSection& s, CloudInputs& c) {
  int given = 0;
  for (const auto& [p, key] : kPricingKeys) {
    if (!s.has(key)) continue;
    if (++given > 1) return config_error(s.key_path(key), "give only one cloud price");
    c.pricing = p;
    R1_RETURN_IF_ERROR(s.read_double(key, c.price, 0, kMaxAmount));
  }
  if (given == 0) {
    return config_error(s.key_path("price_per_year"),
                       "required: one of price_per_year, price_per_hour, price_per_million_tokens");
  }
  if (s.has("instances") && c.pricing != CloudPricing::kPerHour) {
    return config_error(s.key_path("instances"), "only with price_per_hour");
  }
  return s.read_double("instances", c.instances, 0, 1e6);
}

Status parse_cloud(const YamlSection& s, CloudInputs& c) {
  R1_RETURN_IF_ERROR(s.check_keys({"price_per_year", "price_per_hour", "price_per_million_tokens",
                                   "instances", "egress_per_year", "outages_per_year", "outage_cost"}));
  R1_RETURN_IF_ERROR(parse_cloud_price(s, c));
  R1_RETURN_IF_ERROR(s.read_double("egress_per_year", c.egress_per_year, 0, kMaxAmount));
  R1_RETURN_IF_ERROR(s.read_double("outages_per_year", c.outages_per_year, 0, 8760));
  return s.read_double("outage_cost", c.outage_cost, 0, kMaxAmount);
}

Status parse_workload(const YamlSection& s, WorkloadInputs& w) {
  R1_RETURN_IF_ERROR(s.check_keys({"tokens_per_s", "utilisation", "hours_per_day"}));
  R1_RETURN_IF_ERROR(s.read_double("tokens_per_s", w.tokens_per_s, 0, 1e12));
  R1_RETURN_IF_ERROR(s.read_double("utilisation", w.utilisation, 0, 1));
  R1_RETURN_IF_ERROR(s.read_double("hours_per_day", w.hours_per_day, 0, 24));
  return Status();
}

template <typename T, typename F>
Status parse_section(const YamlSection& root, std::string_view key, T& out, F parse) {
  R1_ASSIGN_OR_RETURN(YamlSection s, root.section(key));
  return parse(s, out);
}

Status parse_root(const YamlSection& root, TcoInputs& in) {
  R1_RETURN_IF_ERROR(root.check_keys({"currency", "horizon", "hardware", "power", "local", "cloud", "workload"}));
  R1_RETURN_IF_ERROR(root.read_string("currency", in.currency, false, kMaxCurrencyBytes));
  R1_RETURN_IF_ERROR(check_currency(in.currency, "currency"));
  R1_RETURN_IF_ERROR(read_months(root, "horizon", in.horizon_months, kMaxHorizonMonths));
  R1_RETURN_IF_ERROR(parse_section(root, "hardware", in.hardware, parse_hardware));
  R1_RETURN_IF_ERROR(parse_section(root, "power", in.power, parse_power));
  R1_RETURN_IF_ERROR(parse_section(root, "local", in.local, parse_local));
  R1_RETURN_IF_ERROR(parse_section(root, "cloud", in.cloud, parse_cloud));
  return parse_section(root, "workload", in.workload, parse_workload);
}

// Length of the UTF-8 sequence starting at s[i]; 0 when it is invalid,
// overlong, a surrogate, beyond U+10FFFF, or not an XML character.
size_t utf8_length(const std::string& s, size_t i) {
  const unsigned char c = static_cast<unsigned char>(s[i]);
  const size_t n = c < 0x80 ? 1 : (c >> 5) == 0x6 ? 2 : (c >> 4) == 0xE ? 3 : (c >> 3) == 0x1E ? 4 : 0;
  if (n == 0 || i + n > s.size()) return 0;
  uint32_t cp = n == 1 ? c : c & (0x7F >> n);
  for (size_t k = 1; k < n; ++k) {
    const unsigned char b = static_cast<unsigned char>(s[i + k]);
    if ((b & 0xC0) != 0x80) return 0;
    cp = (cp << 6) | (b & 0x3F);
  }
  constexpr uint32_t kMin[] = {0, 0, 0x80, 0x800, 0x10000};
  if (cp < kMin[n] || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF) || cp == 0xFFFE || cp == 0xFFFF) return 0;
  return n;
}

}  // namespace

Result<int> parse_months(std::string_view text, const std::string& key_path, int max_months) {
  const std::string t(text);
  size_t digits = 0;
  while (digits < t.size() && t[digits] >= '0' && t[digits] <= '9') ++digits;
  const std::string unit = t.substr(digits);
  if (digits == 0 || digits > 6 || (unit != "m" && unit != "y")) {
    return config::config_error(key_path, "expected a whole number of months or years like '36m' or '3y', got '" + t + "'");
  }
  const long n = std::stol(t.substr(0, digits)) * (unit == "y" ? 12 : 1);
  if (n < 1 || n > max_months) {
    return config::config_error(key_path, "must be 1 to " + std::to_string(max_months) + " months, got '" + t + "'");
  }
  return static_cast<int>(n);
}

Status check_currency(const std::string& symbol, const std::string& key_path) {
  if (symbol.size() > kMaxCurrencyBytes) {
    return config_error(key_path, "longer than " + std::to_string(kMaxCurrencyBytes) + " bytes");
  }
  for (size_t i = 0; i < symbol.size();) {
    const size_t n = utf8_length(symbol, i);
    if (n == 0) return config_error(key_path, "not valid UTF-8");
    if (n == 1 && (static_cast<unsigned char>(symbol[i]) < 0x20 || symbol[i] == 0x7F)) {
      return config_error(key_path, "control characters are not allowed");
    }
    i += n;
  }
  return Status();
}

const char* pricing_key(CloudPricing pricing) {
  return enum_name(kPricingKeys, pricing, "price_per_year");
}

TcoInputs brief_inputs() {
  TcoInputs in;
  in.currency = "¥";
  in.horizon_months = 36;
  in.hardware = {.purchase = 480000, .depreciation_months = 36};
  in.local = {.staff_per_year = 120000, .network_per_year = 50000};
  in.cloud = {.pricing = CloudPricing::kPerYear, .price = 600000, .egress_per_year = 150000,
              .outages_per_year = 2, .outage_cost = 200000};
  return in;
}

Result<TcoInputs> parse_inputs(std::string_view yaml) {
  if (yaml.size() > kMaxYamlBytes) {
    return make_error(ErrorCode::kOutOfRange, "inputs: larger than 1 MiB");
  }
  TcoInputs in;
  // parse_cloud requires a price, so an empty document fails there.
  R1_RETURN_IF_ERROR(config::parse_yaml(yaml, "inputs",
                                          [&in](const YamlSection& root) { return parse_root(root, in); }));
  return in;
}

}  // namespace r1::tco
