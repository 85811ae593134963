// One generation request in flight: the StreamSink the backend calls,
// turning events into an OpenAI response (SSE chunks or one JSON body) on a
// ResponseChannel, and recording the request's metrics.
//
// Thread contract: the backend calls the StreamSink methods (serialized);
// begin() is called once by the router after submit() succeeded, possibly
// concurrently with them: output produced before begin() is held and sent
// by begin(), in order. `on_done` runs once, after the terminal output.
//
// Token ids (include_token_ids, streams only; src/gateway/continuation.h):
// a token whose event has no text yet (held back: partial UTF-8, a pending
// stop string) waits; an event with text completes it and every earlier one,
// and completed ids ride on the next chunk sent (a tag token with no visible
// text therefore goes with the following chunk). The finish chunk carries
// whatever is left, so a stream's ids are all its generated tokens (EOG
// excluded: backends never report it).
//
// Fault injection (tests only, fault_injection.h): with hang_after_tokens
// N >= 0, after N token chunks (streams) or N tokens (non-streams) nothing
// more is sent and the response never ends; the request still finishes for
// the router (on_done) when the backend ends it. release() (the client left,
// or the server stops) ends a hung response, or makes it end normally.
#pragma once

#include <atomic>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "core/clock.h"
#include "server/backend/backend.h"
#include "server/http_types.h"
#include "server/api/openai_render.h"
#include "server/server_metrics.h"

namespace r1::server {

struct ExchangeParams {
  ResponseMeta meta;
  bool stream = false;
  bool include_usage = false;
  bool split_reasoning = true;
  bool want_logprobs = false;
  bool include_token_ids = false;  // "r1_token_ids" on every chunk (streams)
  int hang_after_tokens = -1;      // fault injection; -1: off
  std::string endpoint_label;  // for r1serve_requests_total
  std::vector<std::pair<std::string, std::string>> headers;  // CORS etc.
  SteadyClock::time_point received;
  std::shared_ptr<ResponseChannel> channel;
  ServerMetrics* metrics = nullptr;
  std::function<void()> on_done;
};

class GenerationExchange final : public StreamSink {
 public:
  explicit GenerationExchange(ExchangeParams params);

  void begin();

  void on_token(const TokenEvent& event) override;
  void on_finish(const FinishEvent& event) override;
  void on_error(const Error& error) override;

  // Fault injection: true once the response hangs (the backend ended it
  // while hang_after_tokens held the output back). Safe from any thread.
  bool hung() const { return hung_.load(); }
  // Ends a hung response now (a later hang ends at once instead).
  void release();

 private:
  using Op = std::function<void(ResponseChannel&)>;
  // Runs `op` on the channel now, or holds it until begin().
  void output(Op op);
  // Counts the request, then queues `last` (the end of the response, if any).
  void finish_request(int status, Op last = nullptr);
  void record_token_timing();
  void track_ids(const TokenEvent& event);
  std::optional<std::vector<int32_t>> take_ids(bool all);
  bool hanging() const;
  bool hang_up(int status);  // true: the terminal output is withheld

  ExchangeParams p_;
  std::mutex mu_;
  bool begun_ = false;
  bool done_ = false;
  std::vector<Op> held_;
  bool sent_role_ = false;
  bool have_token_ = false;
  SteadyClock::time_point last_token_;
  Completed completed_;  // non-stream accumulation
  std::vector<int32_t> held_ids_;   // tokens whose text is not out yet
  std::vector<int32_t> ready_ids_;  // completed, not yet sent
  int64_t sent_ = 0;                // token chunks (streams) / tokens seen
  bool released_ = false;           // release() was called
  std::atomic<bool> hung_{false};
};

}  // namespace r1::server
