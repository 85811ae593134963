// Server-Sent Events (text/event-stream): one incremental reader and the
// writer's framing.
//
// SseReader: bytes go in as they arrive, split anywhere (even inside a
// CRLF), and each completed event comes out. Lines end with LF, CRLF or CR;
// a blank line ends an event; "data:" lines of one event are joined with
// '\n'; "event:" and "id:" are kept (the last one wins); comments (":...")
// and other fields are skipped. Every event that had at least one line
// comes out: `has_data` says whether it had a data line (browsers dispatch
// only those). With `keep_raw`, each event also carries its bytes as they
// came in, terminator and preceding blank lines included, for relaying
// unchanged (an event ended by a lone CR then comes out with the next byte,
// which tells whether the CR was half of a CRLF).
//
// Writer: sse_frame() frames one `data:` event (a line per line of data),
// kSseDone is the OpenAI stream terminator.
//
// Thread contract: an SseReader belongs to one stream and one thread at a
// time; the writer functions are pure.
#pragma once

#include <cstddef>
#include <limits>
#include <string>
#include <string_view>
#include <vector>

namespace r1::http {

inline constexpr size_t kMaxSseEventBytes = 16 << 20;
inline constexpr size_t kNoSseLimit = std::numeric_limits<size_t>::max();
inline constexpr std::string_view kSseDone = "data: [DONE]\n\n";

struct SseEvent {
  std::string data;   // data lines joined with '\n'
  std::string event;  // "event:" field ("" = "message")
  std::string id;     // "id:" field
  bool has_data = false;
  std::string raw;    // with keep_raw: the event's bytes
};

struct SseReaderOptions {
  size_t max_event_bytes = kMaxSseEventBytes;  // a line plus the event's data so far
  bool keep_raw = false;
};

class SseReader {
 public:
  SseReader() = default;
  explicit SseReader(const SseReaderOptions& options) : options_(options) {}

  // Appends every event completed by `bytes` to `events`. False (and from
  // then on, until reset()) once a line or event exceeds the limit.
  bool feed(std::string_view bytes, std::vector<SseEvent>& events);

  bool ok() const { return ok_; }
  // True if bytes of an unfinished line, or an event with data, are buffered.
  bool mid_event() const { return !line_.empty() || current_.has_data || cr_pending_; }
  // True if any byte of an unfinished event is buffered (a field or comment line too).
  bool buffered() const { return !line_.empty() || any_line_ || cr_pending_; }
  void reset();

 private:
  void end_line(std::vector<SseEvent>& events);
  void dispatch(std::vector<SseEvent>& events);
  void field(std::string_view name, std::string_view value);

  SseReaderOptions options_;
  std::string line_;
  SseEvent current_;
  bool any_line_ = false;  // the current event has a line
  bool after_cr_ = false;  // the last byte was CR: a following LF is part of it
  bool cr_pending_ = false;  // keep_raw: an event ended by CR waits for a possible LF
  bool ok_ = true;
};

// "data: <line>\n" for each line of `data`, then "\n".
std::string sse_frame(std::string_view data);

// The joined data of the events in `bytes` (one whole event, with or without
// its terminator); "" when none has data.
std::string sse_data_of(std::string_view bytes);

}  // namespace r1::http
