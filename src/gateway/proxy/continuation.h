// Stream continuation: the gateway <-> worker contract and the per-stream
// bookkeeping that lets a broken chat/completions SSE stream resume on
// another replica without dropping or duplicating output.
//
// Worker contract (the worker implements it; the gateway relies on it):
//  1. Request field `"r1_include_token_ids": true` (worker-only, never sent
//     by clients through the gateway's contract) asks the worker to add
//     `"r1_token_ids": [int, ...]` to every streamed chunk object. The ids
//     in a chunk are exactly the tokens whose text that chunk completes:
//     a token whose text is held back (incomplete UTF-8, a pending stop
//     string match) is reported in the chunk that finally emits its text,
//     and a token that produces no visible text (e.g. the `<think>` marker)
//     is reported in the next chunk sent. So the concatenation of all ids
//     seen so far always corresponds exactly to the text seen so far.
//  2. Request field `"resume_tokens": [ids]` (already parsed by the worker,
//     server/backend/backend.h) continues the same request after those tokens: they
//     are appended after the prompt, never re-emitted, count towards
//     max_tokens, and the reasoning splitter / stop matcher state is
//     rebuilt from them. The continuation's chunks carry only new tokens.
//  3. A worker that fails mid-stream either closes the connection before
//     `data: [DONE]` or sends an event whose object has an "error" key.
//
// Gateway side: prepare_request() adds the field to streaming completion
// requests; StreamTracker consumes each upstream event, records text and
// ids, strips `r1_token_ids` (unless the client asked for it), and after a
// continuation rewrites the chunk "id" to the first stream's and drops the
// continuation's role-only opening chunk.
//
// Thread contract: value types and pure functions; a StreamTracker belongs
// to one stream (one coroutine) at a time.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "http/sse.h"

namespace r1::gateway {

inline constexpr const char* kIncludeTokenIdsField = "r1_include_token_ids";
inline constexpr const char* kTokenIdsField = "r1_token_ids";
inline constexpr const char* kResumeTokensField = "resume_tokens";
inline constexpr const char* kSessionHeader = "x-session-id";
inline constexpr const char* kVersionHeader = "x-r1serve-model-version";

// The client request as the proxy forwards it.
struct PreparedRequest {
  std::string session_key;    // x-session-id, or a hash of the first messages / prompt
  std::string upstream_body;  // the body sent to the first upstream
  bool stream = false;        // JSON body with "stream": true
  bool resumable = false;     // a streaming completion: token ids requested
  bool client_wants_ids = false;  // the client itself set r1_include_token_ids
};

// `target` is the request path; `body` the raw client body (any content).
PreparedRequest prepare_request(std::string_view target, std::string_view body,
                                std::string_view session_header);

// Splits an SSE byte stream into whole events (http::SseReader, keeping
// each event's bytes for relaying unchanged; no size limit).
class SseSplitter {
 public:
  void feed(std::string_view bytes);
  // The next complete event: its bytes, terminator included, if any.
  std::optional<std::string> next();
  // The next complete event, parsed (its `raw` holds the bytes), if any.
  std::optional<http::SseEvent> next_event();
  bool empty() const { return next_ == events_.size() && !reader_.buffered(); }

 private:
  http::SseReader reader_{http::SseReaderOptions{http::kNoSseLimit, /*keep_raw=*/true}};
  std::vector<http::SseEvent> events_;
  size_t next_ = 0;  // the first of events_ not handed out
};

class StreamTracker {
 public:
  explicit StreamTracker(const PreparedRequest& request);

  // One upstream event in, the bytes to relay to the client out ("" = drop).
  // After an error event nothing is relayed; error() holds it.
  std::string on_event(const http::SseEvent& event);
  std::string on_event(std::string_view event);  // the event's bytes

  bool done() const { return done_; }            // [DONE] seen
  bool tracking() const { return track_; }       // token ids are being recorded
  bool errored() const { return !error_.empty(); }
  const std::string& error_event() const { return error_; }
  const std::vector<int32_t>& tokens() const { return tokens_; }
  const std::string& text() const { return text_; }  // content + reasoning so far

  // The next events come from a continuation: clears the error state.
  void begin_continuation();
  // `original_body` (the upstream body) with resume_tokens = tokens().
  std::string resume_body(std::string_view original_body) const;

 private:
  std::string on_json(std::string_view data);

  bool track_ = false;
  bool keep_ids_ = false;
  bool continuing_ = false;
  bool done_ = false;
  std::string first_id_;
  std::string error_;
  std::vector<int32_t> tokens_;
  std::string text_;
};

// "data: {...}" payload of an event ("" when it has no data lines).
inline std::string sse_data(std::string_view event) { return http::sse_data_of(event); }

}  // namespace r1::gateway
