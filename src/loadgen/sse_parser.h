// An incremental parser of Server-Sent Events (text/event-stream): bytes go
// in as they arrive, split anywhere (even inside a CRLF), and the data of
// each completed event comes out. Lines end with LF, CRLF or CR; "data:"
// lines of one event are joined with '\n'; comments (":...") and other
// fields are ignored; an event with no data line is not dispatched.
//
// Thread contract: one parser per stream, used by one thread at a time.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

namespace r1::loadgen {

inline constexpr size_t kMaxSseEventBytes = 16 << 20;

class SseParser {
 public:
  explicit SseParser(size_t max_event_bytes = kMaxSseEventBytes) : max_bytes_(max_event_bytes) {}

  // Appends the data of every event completed by `bytes` to `events`.
  // False (and from then on) once a line or event exceeds the limit.
  bool feed(std::string_view bytes, std::vector<std::string>& events);

  bool ok() const { return ok_; }
  // True if bytes of an unfinished line or event are buffered.
  bool mid_event() const { return !line_.empty() || has_data_; }
  void reset();

 private:
  void end_line(std::vector<std::string>& events);

  size_t max_bytes_;
  std::string line_;
  std::string data_;
  bool has_data_ = false;
  bool after_cr_ = false;  // the last byte was CR: a following LF is part of it
  bool ok_ = true;
};

}  // namespace r1::loadgen
