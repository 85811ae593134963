#include "voice/tts/flite/silence_trim.h"

#include <cstdlib>

namespace r1::voice {
namespace {

bool loud(int16_t s) { return std::abs(static_cast<int>(s)) >= SilenceTrim::kThreshold; }

}  // namespace

void SilenceTrim::feed(std::span<const int16_t> in, std::vector<int16_t>& out) {
  if (!lead_) {
    feed_body(in, out);
    return;
  }
  size_t i = 0;
  while (i < in.size() && !loud(in[i])) ++i;
  held_.insert(held_.end(), in.begin(), in.begin() + static_cast<std::ptrdiff_t>(i));
  if (held_.size() > pad_) held_.erase(held_.begin(), held_.end() - static_cast<std::ptrdiff_t>(pad_));
  if (i == in.size()) return;
  lead_ = false;
  out.insert(out.end(), held_.begin(), held_.end());
  held_.clear();
  feed_body(in.subspan(i), out);
}

void SilenceTrim::feed_body(std::span<const int16_t> in, std::vector<int16_t>& out) {
  if (!tail_) {
    out.insert(out.end(), in.begin(), in.end());
    return;
  }
  size_t last = in.size();
  for (size_t j = in.size(); j-- > 0;) {
    if (loud(in[j])) {
      last = j;
      break;
    }
  }
  if (last == in.size()) {
    held_.insert(held_.end(), in.begin(), in.end());
    return;
  }
  out.insert(out.end(), held_.begin(), held_.end());
  held_.clear();
  out.insert(out.end(), in.begin(), in.begin() + static_cast<std::ptrdiff_t>(last + 1));
  held_.assign(in.begin() + static_cast<std::ptrdiff_t>(last + 1), in.end());
}

void SilenceTrim::finish(std::vector<int16_t>& out) {
  const size_t n = (tail_ || lead_) && held_.size() > pad_ ? pad_ : held_.size();
  out.insert(out.end(), held_.begin(), held_.begin() + static_cast<std::ptrdiff_t>(n));
  held_.clear();
}

}  // namespace r1::voice
