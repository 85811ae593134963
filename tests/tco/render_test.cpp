// render_text and render_svg: the brief's figures in the text; the SVG is
// well-formed XML with both series, ticks, a legend and the break-even
// mark, checked by the real xmllint (libxml2-utils).
#include <gtest/gtest.h>

#include <unistd.h>

#include <array>
#include <cstdio>
#include <filesystem>
#include <fstream>

#include "tco/model.h"
#include "tco/money.h"
#include "tco/render.h"

namespace r1::tco {
namespace {

TcoResult brief_result() {
  Result<TcoResult> r = compute(brief_inputs());
  EXPECT_TRUE(r.ok());
  return *r;
}

bool contains(const std::string& text, const std::string& part) {
  return text.find(part) != std::string::npos;
}

// Runs `command` (xmllint ... FILE), returns its stdout; `rc` its status.
std::string run(const std::string& command, int& rc) {
  std::string out;
  FILE* p = ::popen((command + " 2>&1").c_str(), "r");
  if (p == nullptr) {
    rc = -1;
    return out;
  }
  std::array<char, 4096> buf;
  size_t n = 0;
  while ((n = std::fread(buf.data(), 1, buf.size(), p)) > 0) out.append(buf.data(), n);
  rc = ::pclose(p);
  return out;
}

class SvgFile {
 public:
  explicit SvgFile(const std::string& svg)
      : path_(std::filesystem::temp_directory_path() / ("tco_test_" + std::to_string(::getpid()) + ".svg")) {
    std::ofstream(path_) << svg;
  }
  ~SvgFile() { std::filesystem::remove(path_); }
  // The string result of an XPath expression, via xmllint.
  std::string xpath(const std::string& expr) const {
    int rc = 0;
    std::string out = run("xmllint --xpath '" + expr + "' " + path_.string(), rc);
    EXPECT_EQ(rc, 0) << expr << ": " << out;
    while (!out.empty() && out.back() == '\n') out.pop_back();
    return out;
  }
  std::string path() const { return path_.string(); }

 private:
  std::filesystem::path path_;
};

std::string count(const SvgFile& f, const std::string& path) {
  return f.xpath("count(" + path + ")");
}

TEST(TcoMoney, Formats) {
  EXPECT_EQ(money(1800000, "¥"), "¥1,800,000");
  EXPECT_EQ(money(-810000.4, "$"), "-$810,000");
  EXPECT_EQ(money(0.4, "¥"), "¥0");
  EXPECT_EQ(money(999.5, ""), "1,000");
  EXPECT_EQ(money_fine(12.345, "€"), "€12.35");
  EXPECT_EQ(money_fine(0.0042, "€"), "€0.0042");
  EXPECT_EQ(money_fine(1234.5, "€"), "€1,235");
  EXPECT_EQ(money_short(1500000, "¥"), "¥1.5M");
  EXPECT_EQ(money_short(2000000, "¥"), "¥2M");
  EXPECT_EQ(money_short(500000, "¥"), "¥500k");
  EXPECT_EQ(money_short(0, "¥"), "¥0");
  EXPECT_EQ(grouped(77760000), "77,760,000");
}

TEST(TcoRender, TextHasTheBriefsFigures) {
  const std::string text = render_text(brief_result(), RenderNotes{"the brief", ""});
  EXPECT_TRUE(contains(text, "inputs: the brief\n")) << text;
  EXPECT_TRUE(contains(text, "Year 1")) << text;
  EXPECT_TRUE(contains(text, "Year 3")) << text;
  EXPECT_FALSE(contains(text, "Year 4")) << text;
  EXPECT_TRUE(contains(text, "¥1,800,000")) << text;
  EXPECT_TRUE(contains(text, "¥3,450,000")) << text;
  EXPECT_TRUE(contains(text, "¥990,000")) << text;
  EXPECT_TRUE(contains(text, "¥480,000")) << text;
  EXPECT_TRUE(contains(text, "¥360,000")) << text;
  EXPECT_TRUE(contains(text, "break-even: month 6 with hidden costs (month 14 before them)")) << text;
  EXPECT_TRUE(contains(text, "Egress and outage losses are charged to the cloud\n  option")) << text;
  EXPECT_TRUE(contains(text, "cloud outage losses: 2 outages/year x ¥200,000")) << text;
  EXPECT_TRUE(contains(text, "no throughput")) << text;
}

TEST(TcoRender, TextRowsAlign) {
  const std::string text = render_text(brief_result(), RenderNotes{"x", ""});
  // Each table row ends its Total column at the same display column.
  size_t width = 0;
  size_t rows = 0;
  for (const char* name : {"  hardware purchase", "  local total", "  service", "  cloud total"}) {
    const size_t at = text.find(std::string("\n") + name);
    ASSERT_NE(at, std::string::npos) << name;
    const std::string row = text.substr(at + 1, text.find('\n', at + 1) - at - 1);
    size_t w = 0;
    for (unsigned char c : row) w += (c & 0xC0) != 0x80;
    if (rows++ == 0) width = w;
    EXPECT_EQ(w, width) << row;
  }
}

TEST(TcoRender, TextWithThroughput) {
  TcoInputs in = brief_inputs();
  in.workload.tokens_per_s = 100;
  Result<TcoResult> r = compute(in);
  ASSERT_TRUE(r.ok());
  const std::string text = render_text(*r, RenderNotes{"x", "measured, r.json: 100.0 output tokens/s"});
  EXPECT_TRUE(contains(text, "throughput: measured, r.json: 100.0 output tokens/s")) << text;
  EXPECT_TRUE(contains(text, "= 262.80 M tokens/month")) << text;  // 100 x 86,400 x 365/12
  EXPECT_TRUE(contains(text, "cost per million output tokens: local " + money_fine(*r->local_per_million, "¥"))) << text;
}

TEST(TcoRender, SvgIsWellFormedWithBothSeries) {
  const TcoResult r = brief_result();
  const SvgFile f(render_svg(r));
  int rc = 0;
  const std::string lint = run("xmllint --noout " + f.path(), rc);
  ASSERT_EQ(rc, 0) << lint;
  const std::string svg = "//*[local-name()=\"polyline\"]";
  EXPECT_EQ(count(f, svg + "[@class=\"series-local\"]"), "1");
  EXPECT_EQ(count(f, svg + "[@class=\"series-cloud\"]"), "1");
  EXPECT_EQ(count(f, svg + "[@class=\"series-cloud-list\"]"), "1");
  // 37 months + the purchase step at month 0.
  const std::string local_points = f.xpath("string(" + svg + "[@class=\"series-local\"]/@points)");
  EXPECT_EQ(std::count(local_points.begin(), local_points.end(), ','), 38) << local_points;
  EXPECT_EQ(count(f, "//*[@class=\"break-even\"]"), "1");
  EXPECT_TRUE(contains(f.xpath("string(//*[@class=\"break-even\"])"), "break-even: month 6"));
  // x ticks every 6 months (0..36), y ticks labelled in money.
  EXPECT_EQ(count(f, "//*[@class=\"axes\"]/*[local-name()=\"text\"][.=\"36\"]"), "1");
  EXPECT_EQ(count(f, "//*[@class=\"axes\"]/*[local-name()=\"text\"][.=\"¥1M\"]"), "1");
  EXPECT_EQ(count(f, "//*[@class=\"axes\"]/*[local-name()=\"text\"][.=\"month\"]"), "1");
  const std::string legend = f.xpath("string(//*[@class=\"legend\"])");
  EXPECT_TRUE(contains(legend, "¥3,450,000") && contains(legend, "¥990,000") && contains(legend, "¥1,800,000"))
      << legend;
}

TEST(TcoRender, SvgWithoutBreakEvenAndOddCurrency) {
  TcoInputs in = brief_inputs();
  in.cloud = {.price = 10000};
  in.currency = "<&>";
  Result<TcoResult> r = compute(in);
  ASSERT_TRUE(r.ok());
  ASSERT_FALSE(r->break_even_month.has_value());
  const SvgFile f(render_svg(*r));
  int rc = 0;
  ASSERT_EQ((run("xmllint --noout " + f.path(), rc), rc), 0);
  EXPECT_EQ(count(f, "//*[@class=\"break-even\"]"), "0");
  EXPECT_TRUE(contains(f.xpath("string(//*[local-name()=\"text\"][2])"), "does not break even"));
  EXPECT_EQ(count(f, "//*[local-name()=\"polyline\"]"), "3");
}

}  // namespace
}  // namespace r1::tco
