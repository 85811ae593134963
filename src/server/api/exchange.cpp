#include "server/api/exchange.h"

#include <string_view>
#include <vector>

namespace r1::server {

GenerationExchange::GenerationExchange(ExchangeParams params) : p_(std::move(params)) {
  CHECK(p_.channel != nullptr);
  CHECK(p_.metrics != nullptr);
  completed_.want_logprobs = p_.want_logprobs;
}

void GenerationExchange::begin() {
  std::vector<Op> held;
  std::lock_guard<std::mutex> lock(mu_);
  CHECK(!begun_);
  begun_ = true;
  if (p_.stream) {
    HttpResponse head;
    head.content_type = "text/event-stream";
    head.headers = p_.headers;
    head.headers.emplace_back("Cache-Control", "no-cache");
    p_.channel->start_stream(std::move(head));
  }
  held.swap(held_);
  for (Op& op : held) op(*p_.channel);
}

void GenerationExchange::output(Op op) {
  if (begun_) {
    op(*p_.channel);
  } else {
    held_.push_back(std::move(op));
  }
}

void GenerationExchange::record_token_timing() {
  const SteadyClock::time_point now = SteadyClock::now();
  if (!have_token_) {
    p_.metrics->time_to_first_token.observe(std::chrono::duration<double>(now - p_.received).count());
  } else {
    p_.metrics->inter_token_latency.observe(std::chrono::duration<double>(now - last_token_).count());
  }
  have_token_ = true;
  last_token_ = now;
}

void GenerationExchange::track_ids(const TokenEvent& event) {
  if (!p_.include_token_ids) return;
  if (event.token >= 0) held_ids_.push_back(event.token);
  if (event.text.empty() && event.reasoning.empty() && event.content.empty()) return;
  // This event's text completes its own token and every held-back one.
  ready_ids_.insert(ready_ids_.end(), held_ids_.begin(), held_ids_.end());
  held_ids_.clear();
}

std::optional<std::vector<int32_t>> GenerationExchange::take_ids(bool all) {
  if (!p_.include_token_ids) return std::nullopt;
  if (all) {
    ready_ids_.insert(ready_ids_.end(), held_ids_.begin(), held_ids_.end());
    held_ids_.clear();
  }
  std::vector<int32_t> ids;
  ids.swap(ready_ids_);
  return ids;
}

bool GenerationExchange::hanging() const {
  return p_.hang_after_tokens >= 0 && sent_ >= p_.hang_after_tokens && !released_;
}

bool GenerationExchange::hang_up(int status) {
  if (!hanging()) return false;
  hung_.store(true);
  finish_request(status);  // for the router the request is over
  return true;
}

void GenerationExchange::release() {
  std::lock_guard<std::mutex> lock(mu_);
  const bool was_hung = hung_.load() && !released_;
  released_ = true;
  if (!was_hung) return;
  const bool stream = p_.stream;
  output([stream](ResponseChannel& ch) {
    if (stream) return ch.end_stream();
    HttpResponse r;
    r.status = 500;
    r.close = true;
    r.body = render_error({500, "server_error", "Injected hang released", "", "injected_fault"});
    ch.respond(std::move(r));
  });
}

void GenerationExchange::on_token(const TokenEvent& event) {
  std::lock_guard<std::mutex> lock(mu_);
  if (done_ || hanging()) return;
  record_token_timing();
  StreamDelta delta;
  if (p_.split_reasoning) {
    delta.reasoning = event.reasoning;
    delta.content = event.content;
  } else {
    delta.content = event.text;
  }
  if (p_.want_logprobs && event.logprobs) delta.logprob = event.logprobs;
  if (!p_.stream) {
    ++sent_;
    completed_.reasoning += delta.reasoning;
    completed_.content += delta.content;
    if (delta.logprob) completed_.logprobs.push_back(std::move(*delta.logprob));
    return;
  }
  track_ids(event);
  const bool empty = delta.reasoning.empty() && delta.content.empty() && !delta.logprob;
  if (empty && sent_role_) return;
  if (!sent_role_ && p_.meta.endpoint == Endpoint::kChat) delta.role = true;
  sent_role_ = true;
  delta.token_ids = take_ids(false);
  ++sent_;
  std::string chunk = render_stream_delta(p_.meta, delta);
  output([chunk = std::move(chunk)](ResponseChannel& ch) mutable { ch.write(std::move(chunk)); });
}

void GenerationExchange::on_finish(const FinishEvent& event) {
  std::lock_guard<std::mutex> lock(mu_);
  if (done_) return;
  p_.metrics->record_finish(event);
  if (hang_up(200)) return;  // fault injection: the response never ends
  if (p_.stream) {
    std::string tail;
    if (!sent_role_ && p_.meta.endpoint == Endpoint::kChat) {
      StreamDelta role;
      role.role = true;
      role.token_ids = take_ids(false);
      tail += render_stream_delta(p_.meta, role);
    }
    const std::optional<std::vector<int32_t>> rest = take_ids(true);
    tail += render_stream_finish(p_.meta, event, rest ? &*rest : nullptr);
    const std::vector<int32_t> none;
    if (p_.include_usage) {
      tail += render_stream_usage(p_.meta, event.usage, p_.include_token_ids ? &none : nullptr);
    }
    tail += kSseDone;
    finish_request(200, [tail = std::move(tail)](ResponseChannel& ch) mutable {
      ch.write(std::move(tail));
      ch.end_stream();
    });
  } else {
    completed_.finish = event;
    HttpResponse r;
    r.headers = p_.headers;
    r.body = render_completed(p_.meta, completed_);
    finish_request(200, [r = std::move(r)](ResponseChannel& ch) mutable { ch.respond(std::move(r)); });
  }
}

void GenerationExchange::on_error(const Error& error) {
  std::lock_guard<std::mutex> lock(mu_);
  if (done_) return;
  const ApiError api = api_error_from(error);
  if (hang_up(p_.stream ? 200 : api.http_status)) return;
  if (p_.stream) {
    std::string tail = render_stream_error(api) + std::string(kSseDone);
    finish_request(200, [tail = std::move(tail)](ResponseChannel& ch) mutable {
      ch.write(std::move(tail));
      ch.end_stream();
    });
    return;
  }
  HttpResponse r;
  r.status = api.http_status;
  r.headers = p_.headers;
  r.body = render_error(api);
  finish_request(api.http_status, [r = std::move(r)](ResponseChannel& ch) mutable { ch.respond(std::move(r)); });
}

// Counted before the last output is queued: a client that has the whole
// response and reads /metrics next finds the request there.
void GenerationExchange::finish_request(int status, Op last) {
  done_ = true;
  p_.metrics->requests.with({p_.endpoint_label, std::to_string(status)}).inc();
  p_.metrics->request_duration.observe(seconds_since(p_.received));
  if (last) output(std::move(last));
  // on_done before begin() would run too early: hold it with the output.
  output([done = std::move(p_.on_done)](ResponseChannel&) {
    if (done) done();
  });
}

}  // namespace r1::server
