// The value of one sample in a Prometheus text exposition, for the tests
// that read /metrics: `series` is the name with its labels as exposed
// (`r1serve_requests_total{endpoint="/health",code="200"}`), or a bare name.
//
// Thread contract: a pure function.
#pragma once

#include <string>

namespace r1::test_support {

// -1 when the series is absent.
inline double metric_value(const std::string& text, const std::string& series) {
  const std::string key = "\n" + series + " ";
  const size_t at = text.find(key);
  if (at == std::string::npos) return -1;
  return std::stod(text.substr(at + key.size()));
}

}  // namespace r1::test_support
