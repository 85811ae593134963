#include "config/duration.h"
#include "config/yaml_section.h"

#include <cctype>
#include <cmath>
#include <sstream>

namespace r1::config {

Result<Duration> parse_duration(std::string_view text, std::string_view key) {
  const std::string k(key);
  const std::string t(text);
  size_t i = 0;
  while (i < t.size() && (std::isdigit(static_cast<unsigned char>(t[i])) || t[i] == '.')) ++i;
  if (i == 0) return config_error(k, "expected a duration like '250ms', '30s', '5m', got '" + t + "'");
  const std::string number = t.substr(0, i);
  const std::string unit = t.substr(i);
  if (number.find('.') != number.rfind('.') || number == "." || number.size() > 15) {
    return config_error(k, "bad number in duration '" + t + "'");
  }
  double scale = 0;
  if (unit == "ms") scale = 1;
  else if (unit == "s") scale = 1e3;
  else if (unit == "m") scale = 60e3;
  else if (unit == "h") scale = 3600e3;
  else if (unit.empty()) return config_error(k, "duration '" + t + "' needs a unit (ms, s, m, h)");
  else return config_error(k, "unknown duration unit '" + unit + "' in '" + t + "' (ms, s, m, h)");
  const double ms = std::stod(number) * scale;
  if (ms > 1e12) return config_error(k, "duration '" + t + "' is too long");
  if (ms != std::floor(ms)) return config_error(k, "duration '" + t + "' is finer than 1ms");
  return Duration(static_cast<int64_t>(ms));
}

std::string format_duration(Duration d) {
  const int64_t ms = d.count();
  auto fmt = [](double v, const char* unit) {
    std::ostringstream os;
    os << v << unit;
    return os.str();
  };
  if (ms != 0 && ms % 3600000 == 0) return fmt(static_cast<double>(ms / 3600000), "h");
  if (ms != 0 && ms % 60000 == 0) return fmt(static_cast<double>(ms / 60000), "m");
  if (ms >= 1000) return fmt(static_cast<double>(ms) / 1000.0, "s");
  return fmt(static_cast<double>(ms), "ms");
}

}  // namespace r1::config
