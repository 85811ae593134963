// parse_inputs: the shipped examples, strictness (unknown keys, wrong
// types, ranges, one cloud price) with errors naming the key path.
#include <gtest/gtest.h>

#include <fstream>
#include <sstream>

#include "tco/inputs.h"

namespace r1::tco {
namespace {

std::string read_source(const std::string& rel) {
  std::ifstream in(std::string(R1_SOURCE_DIR) + "/" + rel, std::ios::binary);
  EXPECT_TRUE(in) << rel;
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

// The error message of parsing `yaml`; "" when it parsed.
std::string error_of(const std::string& yaml) {
  Result<TcoInputs> r = parse_inputs(yaml);
  return r.ok() ? "" : r.error().message;
}

const char* kMinimal = "cloud: {price_per_year: 1000}\n";

TEST(TcoInputs, BriefYamlIsTheBuiltInDefaults) {
  Result<TcoInputs> in = parse_inputs(read_source("deploy/cost/brief.yaml"));
  ASSERT_TRUE(in.ok()) << in.error().to_string();
  EXPECT_EQ(*in, brief_inputs());
  EXPECT_EQ(in->hardware.purchase, 480000);
  EXPECT_EQ(in->cloud.price, 600000);
  EXPECT_EQ(in->cloud.pricing, CloudPricing::kPerYear);
  EXPECT_EQ(in->horizon_months, 36);
  EXPECT_EQ(in->currency, "¥");
}

TEST(TcoInputs, SecondExampleParsesPerHour) {
  Result<TcoInputs> in = parse_inputs(read_source("deploy/cost/a40-pair.yaml"));
  ASSERT_TRUE(in.ok()) << in.error().to_string();
  EXPECT_EQ(in->cloud.pricing, CloudPricing::kPerHour);
  EXPECT_GT(in->power.watts, 0);
  EXPECT_GT(in->power.pue, 1.0);
}

TEST(TcoInputs, AbsentKeysKeepZeroDefaults) {
  Result<TcoInputs> in = parse_inputs(kMinimal);
  ASSERT_TRUE(in.ok()) << in.error().to_string();
  EXPECT_EQ(in->hardware.purchase, 0);
  EXPECT_EQ(in->local.staff_per_year, 0);
  EXPECT_EQ(in->horizon_months, 36);
  EXPECT_EQ(in->workload.utilisation, 1.0);
  EXPECT_EQ(in->cloud.price, 1000);
}

TEST(TcoInputs, PricingModels) {
  Result<TcoInputs> hour = parse_inputs("cloud: {price_per_hour: 3.5, instances: 2}\n");
  ASSERT_TRUE(hour.ok()) << hour.error().to_string();
  EXPECT_EQ(hour->cloud.pricing, CloudPricing::kPerHour);
  EXPECT_EQ(hour->cloud.price, 3.5);
  EXPECT_EQ(hour->cloud.instances, 2);
  Result<TcoInputs> tok = parse_inputs("cloud: {price_per_million_tokens: 14}\n");
  ASSERT_TRUE(tok.ok()) << tok.error().to_string();
  EXPECT_EQ(tok->cloud.pricing, CloudPricing::kPerMillionTokens);
}

TEST(TcoInputs, Periods) {
  Result<TcoInputs> in = parse_inputs("horizon: 30m\nhardware: {depreciation: 5y}\ncloud: {price_per_year: 1}\n");
  ASSERT_TRUE(in.ok()) << in.error().to_string();
  EXPECT_EQ(in->horizon_months, 30);
  EXPECT_EQ(in->hardware.depreciation_months, 60);
  EXPECT_EQ(parse_months("10y", "k", 120).value(), 120);
  EXPECT_FALSE(parse_months("11y", "k", 120).ok());
  for (const char* bad : {"36", "3.5y", "0m", "m", "3 y", "3w", "-3y", "9999999y"}) {
    EXPECT_FALSE(parse_months(bad, "k", 120).ok()) << bad;
  }
}

TEST(TcoInputs, UnknownKeysNameTheirPath) {
  EXPECT_EQ(error_of(std::string(kMinimal) + "hardwre: {}\n"), "hardwre: unknown key");
  EXPECT_EQ(error_of(std::string(kMinimal) + "power: {wats: 300}\n"), "power.wats: unknown key");
  EXPECT_EQ(error_of("cloud: {price_per_year: 1, egres_per_year: 2}\n"), "cloud.egres_per_year: unknown key");
}

TEST(TcoInputs, WrongTypesNameTheirPath) {
  EXPECT_EQ(error_of(std::string(kMinimal) + "hardware: {purchase: lots}\n"),
            "hardware.purchase: expected a number, got 'lots'");
  EXPECT_EQ(error_of(std::string(kMinimal) + "hardware: {purchase: [1, 2]}\n"),
            "hardware.purchase: expected a number, got a list");
  EXPECT_EQ(error_of(std::string(kMinimal) + "local: 5\n"), "local: expected a mapping, got a scalar");
  EXPECT_EQ(error_of(std::string(kMinimal) + "horizon: 36\n"),
            "horizon: expected a whole number of months or years like '36m' or '3y', got '36'");
  EXPECT_EQ(error_of(std::string(kMinimal) + "currency: {a: 1}\n"), "currency: expected a string, got a mapping");
  EXPECT_EQ(error_of("- 1\n- 2\n"), "<root>: expected a mapping, got a list");
  EXPECT_EQ(error_of(std::string(kMinimal) + "power: {watts: .inf}\n"), "power.watts: expected a number, got '.inf'");
}

TEST(TcoInputs, RangesAreChecked) {
  EXPECT_EQ(error_of(std::string(kMinimal) + "power: {pue: 0.9}\n"), "power.pue: must be in [1, 5], got 0.9");
  EXPECT_EQ(error_of(std::string(kMinimal) + "workload: {utilisation: 1.5}\n"),
            "workload.utilisation: must be in [0, 1], got 1.5");
  EXPECT_EQ(error_of(std::string(kMinimal) + "local: {staff_per_year: -1}\n"),
            "local.staff_per_year: must be in [0, 1e+15], got -1");
  EXPECT_EQ(error_of(std::string(kMinimal) + "horizon: 11y\n"), "horizon: must be 1 to 120 months, got '11y'");
}

TEST(TcoInputs, ExactlyOneCloudPrice) {
  EXPECT_EQ(error_of(""), "cloud.price_per_year: required: one of price_per_year, price_per_hour, "
                          "price_per_million_tokens");
  EXPECT_EQ(error_of("cloud: {egress_per_year: 5}\n"), error_of(""));
  EXPECT_EQ(error_of("cloud: {price_per_year: 1, price_per_hour: 2}\n"),
            "cloud.price_per_hour: give only one cloud price");
  EXPECT_EQ(error_of("cloud: {price_per_year: 1, instances: 2}\n"), "cloud.instances: only with price_per_hour");
}

TEST(TcoInputs, CurrencyMustBeCleanUtf8) {
  EXPECT_EQ(error_of(std::string(kMinimal) + "currency: \"\\x01\"\n"), "currency: control characters are not allowed");
  EXPECT_EQ(error_of(std::string(kMinimal) + "currency: \"\xC3\"\n"), "currency: not valid UTF-8");
  EXPECT_EQ(error_of(std::string(kMinimal) + "currency: \"\xED\xA0\x80\"\n"), "currency: not valid UTF-8");
  EXPECT_EQ(error_of(std::string(kMinimal) + "currency: 12345678901234567\n"), "currency: longer than 16 bytes");
  Result<TcoInputs> euro = parse_inputs(std::string(kMinimal) + "currency: \"€\"\n");
  ASSERT_TRUE(euro.ok());
  EXPECT_EQ(euro->currency, "€");
  EXPECT_TRUE(check_currency("", "c").ok());
}

TEST(TcoInputs, BadYamlIsAnError) {
  Result<TcoInputs> r = parse_inputs("cloud: {price_per_year: 1\n");
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code, ErrorCode::kInvalidArgument);
  EXPECT_EQ(r.error().message.rfind("yaml: ", 0), 0u) << r.error().message;
  EXPECT_FALSE(parse_inputs("a: b: c\n").ok());
  EXPECT_FALSE(parse_inputs(std::string(2 << 20, ' ')).ok());
}

}  // namespace
}  // namespace r1::tco
