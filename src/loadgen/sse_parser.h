// The load generator's view of a Server-Sent Events stream: the data of
// each completed event, from http::SseReader (http/sse.h: any split, LF /
// CRLF / CR, multi-line data joined with '\n', comments and other fields
// skipped); an event with no data line is not passed on.
//
// Thread contract: one parser per stream, used by one thread at a time.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

#include "http/sse.h"

namespace r1::loadgen {

inline constexpr size_t kMaxSseEventBytes = r1::http::kMaxSseEventBytes;

class SseParser {
 public:
  explicit SseParser(size_t max_event_bytes = kMaxSseEventBytes)
      : reader_(r1::http::SseReaderOptions{max_event_bytes, false}) {}

  // Appends the data of every event completed by `bytes` to `events`.
  // False (and from then on) once a line or event exceeds the limit.
  bool feed(std::string_view bytes, std::vector<std::string>& events);

  bool ok() const { return reader_.ok(); }
  // True if bytes of an unfinished line or event are buffered.
  bool mid_event() const { return reader_.mid_event(); }
  void reset() { reader_.reset(); }

 private:
  r1::http::SseReader reader_;
  std::vector<r1::http::SseEvent> completed_;  // reused between feeds
};

}  // namespace r1::loadgen
