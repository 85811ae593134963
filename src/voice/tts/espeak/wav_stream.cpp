#include "voice/tts/espeak/wav_stream.h"

#include <cstring>
#include <string>

namespace r1::voice {
namespace {

uint32_t le32(const uint8_t* p) {
  return static_cast<uint32_t>(p[0]) | static_cast<uint32_t>(p[1]) << 8 |
         static_cast<uint32_t>(p[2]) << 16 | static_cast<uint32_t>(p[3]) << 24;
}
uint16_t le16(const uint8_t* p) { return static_cast<uint16_t>(p[0] | p[1] << 8); }

Error corrupt(const std::string& what) {
  return make_error(ErrorCode::kCorrupt, "wav stream: " + what);
}

// Outcome of parsing the bytes so far: need more, an error, or the offset
// of the first sample.
struct HeaderScan {
  bool complete = false;
  size_t data_offset = 0;
  uint32_t data_size = 0;
  int rate = 0;
};

Status check_fmt(const uint8_t* f, uint32_t size, int& rate) {
  if (size < 16 || size > 64) return corrupt("fmt chunk of " + std::to_string(size) + " bytes");
  const uint16_t format = le16(f), channels = le16(f + 2), bits = le16(f + 14);
  const uint32_t r = le32(f + 4);
  if (format != 1) return corrupt("format " + std::to_string(format) + " is not PCM");
  if (channels != 1) return corrupt(std::to_string(channels) + " channels, want mono");
  if (bits != 16) return corrupt(std::to_string(bits) + " bits per sample, want 16");
  if (r < 1000 || r > 192000) return corrupt("sample rate " + std::to_string(r));
  rate = static_cast<int>(r);
  return {};
}

Result<HeaderScan> scan_header(const std::vector<uint8_t>& h) {
  HeaderScan scan;
  if (h.size() < 12) return scan;
  if (std::memcmp(h.data(), "RIFF", 4) != 0 || std::memcmp(h.data() + 8, "WAVE", 4) != 0) {
    return corrupt("not a RIFF/WAVE stream");
  }
  size_t off = 12;
  while (off + 8 <= h.size()) {
    const uint8_t* c = h.data() + off;
    const uint32_t size = le32(c + 4);
    if (std::memcmp(c, "data", 4) == 0) {
      if (scan.rate == 0) return corrupt("data before fmt");
      scan.complete = true;
      scan.data_offset = off + 8;
      scan.data_size = size;
      return scan;
    }
    if (size > WavStreamParser::kMaxHeaderBytes) return corrupt("a header chunk too large");
    if (off + 8 + size > h.size()) return scan;  // the rest has not come yet
    if (std::memcmp(c, "fmt ", 4) == 0) R1_RETURN_IF_ERROR(check_fmt(c + 8, size, scan.rate));
    off += 8 + size + (size & 1);
  }
  return scan;
}

}  // namespace

Status WavStreamParser::parse_header() {
  Result<HeaderScan> scan = scan_header(head_);
  if (!scan.ok()) return scan.error();
  if (!scan->complete) {
    if (head_.size() > kMaxHeaderBytes) {
      return corrupt("no data chunk in the first " + std::to_string(kMaxHeaderBytes) + " bytes");
    }
    return {};
  }
  header_done_ = true;
  sample_rate_ = scan->rate;
  data_offset_ = scan->data_offset;
  bounded_ = scan->data_size != 0 && scan->data_size < 0x7FFF0000u;
  data_left_ = scan->data_size;
  return {};
}

void WavStreamParser::take_samples(std::span<const uint8_t> bytes, std::vector<int16_t>& out) {
  if (bounded_) {
    if (bytes.size() > data_left_) bytes = bytes.first(static_cast<size_t>(data_left_));
    data_left_ -= bytes.size();
  }
  size_t i = 0;
  if (carry_ >= 0 && !bytes.empty()) {
    out.push_back(static_cast<int16_t>(static_cast<uint16_t>(carry_ | bytes[0] << 8)));
    carry_ = -1;
    i = 1;
  }
  for (; i + 1 < bytes.size(); i += 2) {
    out.push_back(static_cast<int16_t>(le16(bytes.data() + i)));
  }
  if (i < bytes.size()) carry_ = bytes[i];
}

Status WavStreamParser::feed(std::span<const uint8_t> bytes, std::vector<int16_t>& out) {
  if (failed_) return error_;
  if (header_done_) {
    take_samples(bytes, out);
    return {};
  }
  head_.insert(head_.end(), bytes.begin(), bytes.end());
  Status s = parse_header();
  if (!s.ok()) {
    failed_ = true;
    error_ = s.error();
    return s;
  }
  if (!header_done_) return {};
  // The header is done: what followed the data chunk's header is samples.
  std::vector<uint8_t> rest(head_.begin() + static_cast<std::ptrdiff_t>(data_offset_), head_.end());
  head_.clear();
  take_samples(rest, out);
  return {};
}

Status WavStreamParser::finish() const {
  if (failed_) return error_;
  if (!header_done_) return corrupt("the stream ended inside the header");
  return {};
}

}  // namespace r1::voice
