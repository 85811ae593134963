#include "loadgen/sse_parser.h"

namespace r1::loadgen {

bool SseParser::feed(std::string_view bytes, std::vector<std::string>& events) {
  completed_.clear();
  const bool ok = reader_.feed(bytes, completed_);
  for (r1::http::SseEvent& e : completed_) {
    if (e.has_data) events.push_back(std::move(e.data));
  }
  return ok;
}

}  // namespace r1::loadgen
