// compute(): the brief's figures, break-even on several input sets
// (per-year, per-hour and per-token cloud pricing, never breaking even),
// hardware refresh and residual value, cost per million tokens.
#include <gtest/gtest.h>

#include "tco/model.h"

namespace r1::tco {
namespace {

TcoResult must_compute(const TcoInputs& in) {
  Result<TcoResult> r = compute(in);
  EXPECT_TRUE(r.ok()) << (r.ok() ? "" : r.error().to_string());
  return r.ok() ? *r : TcoResult{};
}

const LineItem& item(const SideCost& side, const std::string& name) {
  for (const LineItem& i : side.items) {
    if (i.name == name) return i;
  }
  ADD_FAILURE() << "no item " << name;
  return side.items.front();
}

TEST(TcoModel, BriefFigures) {
  const TcoResult r = must_compute(brief_inputs());
  ASSERT_EQ(r.periods.size(), 3u);
  // The brief's table: cloud ¥600,000 a year, ¥1,800,000 over 3 years;
  // local ¥990,000 = hardware 480,000 + staff 360,000 + network 150,000.
  EXPECT_DOUBLE_EQ(item(r.cloud, "service").by_period[0], 600000);
  EXPECT_DOUBLE_EQ(r.cloud.total_before_hidden, 1800000);
  EXPECT_DOUBLE_EQ(r.local.total, 990000);
  EXPECT_DOUBLE_EQ(r.local.total_before_hidden, 990000);
  EXPECT_DOUBLE_EQ(item(r.local, "hardware purchase").total, 480000);
  EXPECT_DOUBLE_EQ(item(r.local, "operations staff").total, 360000);
  EXPECT_DOUBLE_EQ(item(r.local, "network").total, 150000);
  EXPECT_DOUBLE_EQ(item(r.local, "power").total, 0);
  // Hidden costs, on the cloud side: egress 150,000 a year, 2 x 200,000
  // outage losses a year.
  EXPECT_TRUE(item(r.cloud, "egress").hidden);
  EXPECT_DOUBLE_EQ(item(r.cloud, "egress").total, 3 * 150000);
  EXPECT_DOUBLE_EQ(item(r.cloud, "outage losses").total, 3 * 2 * 200000);
  EXPECT_DOUBLE_EQ(r.cloud.total, 1800000 + 450000 + 1200000);
  // Cash per year: the hardware lands in year 1.
  EXPECT_DOUBLE_EQ(r.local.by_period[0], 480000 + 120000 + 50000);
  EXPECT_DOUBLE_EQ(r.local.by_period[1], 170000);
  EXPECT_DOUBLE_EQ(r.local.by_period[2], 170000);
  EXPECT_DOUBLE_EQ(r.cloud.by_period[2], 1150000);
  EXPECT_DOUBLE_EQ(r.residual_value, 0);
}

TEST(TcoModel, BriefBreakEven) {
  const TcoResult r = must_compute(brief_inputs());
  // With hidden costs cloud spends 1,150,000/12 a month, local 170,000/12
  // after its 480,000: 480,000 / (980,000/12) = 5.9 -> month 6. Before
  // them: 480,000 / (430,000/12) = 13.4 -> month 14.
  EXPECT_EQ(r.break_even_month, std::optional<int>(6));
  EXPECT_EQ(r.break_even_month_before_hidden, std::optional<int>(14));
  EXPECT_GT(r.local.cumulative[5], r.cloud.cumulative[5]);
  EXPECT_LE(r.local.cumulative[6], r.cloud.cumulative[6]);
  EXPECT_DOUBLE_EQ(r.local.cumulative[0], 480000);
  EXPECT_DOUBLE_EQ(r.cloud.cumulative[0], 0);
  EXPECT_DOUBLE_EQ(r.cloud.cumulative.back(), r.cloud.total);
  EXPECT_DOUBLE_EQ(r.local.cumulative.back(), r.local.total);
}

TEST(TcoModel, NeverBreaksEvenWhenCloudIsCheaper) {
  TcoInputs in = brief_inputs();
  in.cloud.price = 100000;
  in.cloud.egress_per_year = 0;
  in.cloud.outages_per_year = 0;
  const TcoResult r = must_compute(in);
  EXPECT_FALSE(r.break_even_month.has_value());
  EXPECT_FALSE(r.break_even_month_before_hidden.has_value());
  EXPECT_GT(r.local.total, r.cloud.total);
}

TEST(TcoModel, PerHourPricing) {
  TcoInputs in = brief_inputs();
  in.cloud.pricing = CloudPricing::kPerHour;
  in.cloud.price = 40;
  in.cloud.instances = 2;
  in.workload.hours_per_day = 12;
  const TcoResult r = must_compute(in);
  const double per_year = 40 * 2 * 12 * 365.0;  // 350,400
  EXPECT_DOUBLE_EQ(item(r.cloud, "service").per_year, per_year);
  EXPECT_DOUBLE_EQ(r.cloud.total_before_hidden, 3 * per_year);
  // Monthly: cloud 350,400/12 + hidden 550,000/12 vs local 170,000/12;
  // 480,000 / ((900,400 - 170,000)/12) = 7.9 -> month 8.
  EXPECT_EQ(r.break_even_month, std::optional<int>(8));
  // Before hidden costs local saves (350,400 - 170,000)/12 a month: 31.9 -> 32.
  EXPECT_EQ(r.break_even_month_before_hidden, std::optional<int>(32));
}

TEST(TcoModel, PerTokenPricingNeedsThroughput) {
  TcoInputs in = brief_inputs();
  in.cloud.pricing = CloudPricing::kPerMillionTokens;
  in.cloud.price = 10;
  Result<TcoResult> none = compute(in);
  ASSERT_FALSE(none.ok());
  EXPECT_NE(none.error().message.find("needs a throughput"), std::string::npos);
  in.workload = {.tokens_per_s = 2000, .utilisation = 0.5, .hours_per_day = 24};
  const TcoResult r = must_compute(in);
  const double tokens_month = 2000 * 0.5 * 24 * 3600 * 365 / 12.0;  // 2,628 M
  EXPECT_DOUBLE_EQ(r.tokens_per_month, tokens_month);
  EXPECT_NEAR(item(r.cloud, "service").total, 10 * tokens_month * 36 / 1e6, 1e-6);
  // 315,360 a year of tokens + 550,000 hidden vs local 170,000:
  // 480,000 / (695,360/12) = 8.3 -> month 9; before hidden: 480,000 /
  // (145,360/12) = 39.6 months, past the horizon.
  EXPECT_EQ(r.break_even_month, std::optional<int>(9));
  EXPECT_FALSE(r.break_even_month_before_hidden.has_value());
}

TEST(TcoModel, CostPerMillionTokensFromThroughput) {
  TcoInputs in = brief_inputs();
  EXPECT_FALSE(must_compute(in).local_per_million.has_value());
  in.workload = {.tokens_per_s = 500, .utilisation = 0.7, .hours_per_day = 20};
  const TcoResult r = must_compute(in);
  const double millions = 500 * 0.7 * 20 * 3600 * 365 / 12.0 * 36 / 1e6;
  ASSERT_TRUE(r.local_per_million.has_value());
  EXPECT_NEAR(*r.local_per_million, 990000 / millions, 1e-9);
  EXPECT_NEAR(*r.cloud_per_million, 3450000 / millions, 1e-9);
  EXPECT_NEAR(*r.cloud_per_million_before_hidden, 1800000 / millions, 1e-9);
}

TEST(TcoModel, RefreshAndResidualValue) {
  TcoInputs in = brief_inputs();
  in.hardware.depreciation_months = 24;
  TcoResult r = must_compute(in);
  const LineItem& hw = item(r.local, "hardware purchase");
  EXPECT_EQ(hw.purchase_months, (std::vector<int>{0, 24}));
  EXPECT_DOUBLE_EQ(hw.by_period[2], 480000);  // bought again at the start of year 3
  EXPECT_DOUBLE_EQ(hw.total, 960000);
  EXPECT_DOUBLE_EQ(r.residual_value, 240000);  // 12 of 24 months used
  EXPECT_DOUBLE_EQ(r.local.cumulative[24] - r.local.cumulative[23], 480000 + 170000 / 12.0);
  in.hardware.depreciation_months = 60;
  r = must_compute(in);
  EXPECT_DOUBLE_EQ(r.residual_value, 480000 * 24 / 60.0);
}

TEST(TcoModel, PartialYearsAndPower) {
  TcoInputs in = brief_inputs();
  in.horizon_months = 30;
  in.power = {.watts = 1000, .price_per_kwh = 0.5, .pue = 1.5};
  const TcoResult r = must_compute(in);
  ASSERT_EQ(r.periods.size(), 3u);
  EXPECT_EQ(r.periods[2].label, "Year 3 (6 mo)");
  EXPECT_EQ(r.periods[2].months, 6);
  const double power_year = 1.0 * 1.5 * 24 * 365 * 0.5;  // 6,570
  EXPECT_DOUBLE_EQ(item(r.local, "power").per_year, power_year);
  EXPECT_DOUBLE_EQ(item(r.local, "power").by_period[2], power_year / 2);
  EXPECT_DOUBLE_EQ(r.cloud.total_before_hidden, 600000 * 2.5);
}

TEST(TcoModel, LocalOutagesAreHiddenLocalCosts) {
  TcoInputs in = brief_inputs();
  in.local.outages_per_year = 1;
  in.local.outage_cost = 30000;
  const TcoResult r = must_compute(in);
  EXPECT_TRUE(item(r.local, "outage losses").hidden);
  EXPECT_DOUBLE_EQ(r.local.total, 990000 + 90000);
  EXPECT_DOUBLE_EQ(r.local.total_before_hidden, 990000);
}

TEST(TcoModel, BreakEvenMeansStaysCheaper) {
  // Local dips below cloud at month 2, is dearer again at 3 (a refresh),
  // and cheaper from 4 on: break-even is month 4.
  EXPECT_EQ(break_even({5, 5, 1, 9, 3, 3}, {0, 2, 2, 4, 4, 5}), std::optional<int>(4));
  EXPECT_EQ(break_even({1, 1, 1}, {0, 2, 3}), std::optional<int>(1));
  EXPECT_EQ(break_even({1, 1, 4}, {0, 2, 3}), std::nullopt);
  EXPECT_EQ(break_even({1, 2, 3}, {0, 2, 3}), std::optional<int>(1));  // ties count as even
}

}  // namespace
}  // namespace r1::tco
