#include "loadgen/sse_parser.h"

namespace r1::loadgen {

void SseParser::reset() {
  line_.clear();
  data_.clear();
  has_data_ = false;
  after_cr_ = false;
  ok_ = true;
}

void SseParser::end_line(std::vector<std::string>& events) {
  if (line_.empty()) {
    if (has_data_) events.push_back(std::move(data_));
    data_.clear();
    has_data_ = false;
    return;
  }
  std::string_view line = line_;
  if (line.starts_with(':')) {
    line_.clear();
    return;
  }
  const size_t colon = line.find(':');
  const std::string_view field = line.substr(0, colon);
  std::string_view value = colon == std::string_view::npos ? "" : line.substr(colon + 1);
  if (value.starts_with(' ')) value.remove_prefix(1);
  if (field == "data") {
    if (has_data_) data_ += '\n';
    data_ += value;
    has_data_ = true;
  }
  line_.clear();
}

bool SseParser::feed(std::string_view bytes, std::vector<std::string>& events) {
  if (!ok_) return false;
  for (const char ch : bytes) {
    if (ch == '\n' && after_cr_) {
      after_cr_ = false;
      continue;
    }
    after_cr_ = ch == '\r';
    if (ch == '\n' || ch == '\r') {
      end_line(events);
      continue;
    }
    line_ += ch;
    if (line_.size() + data_.size() > max_bytes_) {
      ok_ = false;
      return false;
    }
  }
  return true;
}

}  // namespace r1::loadgen
