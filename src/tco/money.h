// Money and number formatting of the TCO renderings: "¥1,234,567",
// "-¥12,000", "¥0.0042", "¥1.5M".
//
// Thread contract: pure functions.
#pragma once

#include <string>

namespace r1::tco {

// Rounded to a whole unit, digits grouped by threes: "¥1,800,000".
std::string money(double value, const std::string& currency);
// Small amounts keep significant digits: "¥0.0042", "¥12.35", "¥1,204".
std::string money_fine(double value, const std::string& currency);
// Axis labels: "¥0", "¥500k", "¥1.5M", "¥2B".
std::string money_short(double value, const std::string& currency);
// "77,760,000" (rounded).
std::string grouped(double value);

}  // namespace r1::tco
