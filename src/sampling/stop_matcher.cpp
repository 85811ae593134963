#include "sampling/stop_matcher.h"

#include <algorithm>
#include <utility>

namespace r1::sampling {

StopMatcher::StopMatcher(std::vector<std::string> stops) {
  for (std::string& s : stops) {
    if (!s.empty()) stops_.push_back(std::move(s));
  }
}

StopMatcher::Output StopMatcher::feed(std::string_view piece) {
  Output out;
  if (stopped()) {
    out.stopped = true;
    out.stop_index = stop_index_;
    return out;
  }
  pending_.append(piece);
  // The occurrence that completes first (then the longer one), so the result
  // does not depend on how the text was split into pieces.
  size_t best_end = std::string::npos;
  size_t best_pos = std::string::npos;
  for (size_t i = 0; i < stops_.size(); ++i) {
    const size_t pos = pending_.find(stops_[i]);
    if (pos == std::string::npos) continue;
    const size_t end = pos + stops_[i].size();
    if (end < best_end || (end == best_end && pos < best_pos)) {
      best_end = end;
      best_pos = pos;
      stop_index_ = static_cast<int>(i);
    }
  }
  if (stopped()) {
    out.text = pending_.substr(0, best_pos);
    out.stopped = true;
    out.stop_index = stop_index_;
    pending_.clear();
    return out;
  }
  const size_t keep = longest_partial_suffix();
  out.text = pending_.substr(0, pending_.size() - keep);
  pending_.erase(0, pending_.size() - keep);
  return out;
}

std::string StopMatcher::finish() {
  std::string rest = std::move(pending_);
  pending_.clear();
  return rest;
}

// The longest proper prefix of a stop string that is a suffix of pending_.
// No full stop string occurs in pending_ here, so proper prefixes suffice.
size_t StopMatcher::longest_partial_suffix() const {
  const std::string_view text = pending_;
  size_t best = 0;
  for (const std::string& s : stops_) {
    const size_t max_len = std::min(s.size() - 1, text.size());
    for (size_t len = max_len; len > best; --len) {
      if (text.substr(text.size() - len) == std::string_view(s).substr(0, len)) {
        best = len;
        break;
      }
    }
  }
  return best;
}

}  // namespace r1::sampling
