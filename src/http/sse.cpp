#include "http/sse.h"

namespace r1::http {

void SseReader::reset() {
  line_.clear();
  current_ = SseEvent{};
  any_line_ = false;
  after_cr_ = false;
  cr_pending_ = false;
  ok_ = true;
}

void SseReader::field(std::string_view name, std::string_view value) {
  if (name == "data") {
    if (current_.has_data) current_.data += '\n';
    current_.data += value;
    current_.has_data = true;
  } else if (name == "event") {
    current_.event = std::string(value);
  } else if (name == "id") {
    current_.id = std::string(value);
  }
}

void SseReader::dispatch(std::vector<SseEvent>& events) {
  events.push_back(std::move(current_));
  current_ = SseEvent{};
  any_line_ = false;
  cr_pending_ = false;
}

void SseReader::end_line(std::vector<SseEvent>& events) {
  if (line_.empty()) {
    if (!any_line_) return;  // blank lines between events
    // A CR may be the first half of a CRLF, which belongs to this event's raw bytes.
    if (options_.keep_raw && after_cr_) {
      cr_pending_ = true;
    } else {
      dispatch(events);
    }
    return;
  }
  any_line_ = true;
  const std::string_view line = line_;
  if (!line.starts_with(':')) {
    const size_t colon = line.find(':');
    std::string_view value = colon == std::string_view::npos ? "" : line.substr(colon + 1);
    if (value.starts_with(' ')) value.remove_prefix(1);
    field(line.substr(0, colon), value);
  }
  line_.clear();
}

bool SseReader::feed(std::string_view bytes, std::vector<SseEvent>& events) {
  if (!ok_) return false;
  for (const char ch : bytes) {
    if (cr_pending_ && ch == '\n') {
      current_.raw += ch;
      after_cr_ = false;
      dispatch(events);
      continue;
    }
    if (cr_pending_) dispatch(events);
    if (options_.keep_raw) current_.raw += ch;
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
    if (line_.size() + current_.data.size() > options_.max_event_bytes) {
      ok_ = false;
      return false;
    }
  }
  return true;
}

std::string sse_frame(std::string_view data) {
  std::string out;
  out.reserve(data.size() + 8);
  size_t pos = 0;
  for (;;) {
    const size_t eol = data.find('\n', pos);
    out += "data: ";
    out += data.substr(pos, eol == std::string_view::npos ? std::string_view::npos : eol - pos);
    out += '\n';
    if (eol == std::string_view::npos) break;
    pos = eol + 1;
  }
  out += '\n';
  return out;
}

std::string sse_data_of(std::string_view bytes) {
  SseReader reader(SseReaderOptions{kNoSseLimit, false});
  std::vector<SseEvent> events;
  reader.feed(bytes, events);
  reader.feed("\n\n", events);
  std::string data;
  for (const SseEvent& e : events) {
    if (!e.has_data) continue;
    if (!data.empty()) data += '\n';
    data += e.data;
  }
  return data;
}

}  // namespace r1::http
