#include "tco/money.h"

#include <cmath>
#include <cstdio>

namespace r1::tco {
namespace {

std::string with_sign(double value, const std::string& currency, const std::string& digits) {
  return (value < 0 ? "-" : "") + currency + digits;
}

// Drops a trailing ".0" of a %.1f rendering.
std::string trim_point_zero(std::string s) {
  if (s.size() > 2 && s.compare(s.size() - 2, 2, ".0") == 0) s.resize(s.size() - 2);
  return s;
}

}  // namespace

std::string grouped(double value) {
  const double rounded = std::round(std::fabs(value));
  char buf[64];
  std::snprintf(buf, sizeof(buf), "%.0f", rounded);
  const std::string digits = buf;
  std::string out;
  for (size_t i = 0; i < digits.size(); ++i) {
    if (i > 0 && (digits.size() - i) % 3 == 0) out += ',';
    out += digits[i];
  }
  return (value < 0 && rounded != 0 ? "-" : "") + out;
}

std::string money(double value, const std::string& currency) {
  if (std::round(std::fabs(value)) == 0) return currency + "0";
  return with_sign(value, currency, grouped(std::fabs(value)));
}

std::string money_fine(double value, const std::string& currency) {
  const double a = std::fabs(value);
  if (a >= 100) return money(value, currency);
  char buf[64];
  if (a >= 1) std::snprintf(buf, sizeof(buf), "%.2f", a);
  else std::snprintf(buf, sizeof(buf), "%.2g", a);
  return with_sign(value, currency, buf);
}

std::string money_short(double value, const std::string& currency) {
  const double a = std::fabs(value);
  char buf[64];
  if (a >= 1e9) std::snprintf(buf, sizeof(buf), "%.1fB", a / 1e9);
  else if (a >= 1e6) std::snprintf(buf, sizeof(buf), "%.1fM", a / 1e6);
  else if (a >= 1e3) std::snprintf(buf, sizeof(buf), "%.1fk", a / 1e3);
  else std::snprintf(buf, sizeof(buf), "%.1f", a);
  std::string s = buf;
  const char unit = s.back();
  if (unit == 'B' || unit == 'M' || unit == 'k') {
    s = trim_point_zero(s.substr(0, s.size() - 1)) + unit;
  } else {
    s = trim_point_zero(s);
  }
  return a == 0 ? currency + "0" : with_sign(value, currency, s);
}

}  // namespace r1::tco
