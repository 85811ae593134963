// Helpers of the `r1serve serve` end-to-end tests: request bodies, SSE
// stream collection and /metrics scraping over the tests/server client.
//
// Thread contract: free functions, safe from any thread.
#pragma once

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <chrono>
#include <string>
#include <thread>

#include "../server/http_client.h"
#include "serve_process.h"
#include "support/metric_text.h"

namespace r1::e2e {

using nlohmann::json;
using server::test::ClientResponse;
using server::test::http_request;

inline json chat_json(const std::string& user, int max_tokens, json extra = json::object()) {
  json body = {{"messages", json::array({{{"role", "user"}, {"content", user}}})},
               {"max_tokens", max_tokens},
               {"temperature", 0}};
  body.update(extra);
  return body;
}

inline ClientResponse post(uint16_t port, const std::string& target, const json& body) {
  return http_request(port, "POST", target, body.dump());
}

inline json parse(const std::string& text) {
  json j = json::parse(text, nullptr, false);
  EXPECT_FALSE(j.is_discarded()) << text;
  return j;
}

struct Answer {
  int status = -1;
  std::string reasoning;
  std::string content;
  std::string finish_reason;
  int reasoning_deltas = 0;
  int content_deltas = 0;
  bool done = false;  // "data: [DONE]" arrived
  std::string body;
};

// A non-streamed chat completion.
inline Answer ask(uint16_t port, json body) {
  body["stream"] = false;
  const ClientResponse r = post(port, "/v1/chat/completions", body);
  Answer a{r.status};
  a.body = r.body;
  if (r.status != 200) return a;
  const json j = parse(r.body);
  const json& msg = j["choices"][0]["message"];
  a.reasoning = msg.value("reasoning_content", "");
  a.content = msg.value("content", "");
  a.finish_reason = j["choices"][0].value("finish_reason", "");
  a.done = true;
  return a;
}

// A streamed chat completion, deltas concatenated.
inline Answer ask_stream(uint16_t port, json body) {
  body["stream"] = true;
  const ClientResponse r = post(port, "/v1/chat/completions", body);
  Answer a{r.status};
  a.body = r.body;
  for (const std::string& data : server::test::sse_data(r.body)) {
    if (data == "[DONE]") {
      a.done = true;
      continue;
    }
    const json j = parse(data);
    if (!j.contains("choices") || j["choices"].empty()) continue;
    const json& c = j["choices"][0];
    const json& d = c["delta"];
    if (d.contains("reasoning_content") && !d["reasoning_content"].get<std::string>().empty()) {
      a.reasoning += d["reasoning_content"].get<std::string>();
      ++a.reasoning_deltas;
    }
    if (d.contains("content") && !d["content"].get<std::string>().empty()) {
      a.content += d["content"].get<std::string>();
      ++a.content_deltas;
    }
    if (c.contains("finish_reason") && c["finish_reason"].is_string()) a.finish_reason = c["finish_reason"];
  }
  return a;
}

// The value of a sample in a Prometheus text exposition; -1 if absent.
inline double metric(const std::string& text, const std::string& name) {
  return test_support::metric_value(text, name);
}

inline std::string scrape(uint16_t port) { return http_request(port, "GET", "/metrics").body; }

// Polls /metrics until `name` == value; false on timeout.
inline bool wait_metric(uint16_t port, const std::string& name, double value,
                        std::chrono::milliseconds timeout) {
  const auto end = std::chrono::steady_clock::now() + timeout;
  while (std::chrono::steady_clock::now() < end) {
    if (metric(scrape(port), name) == value) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  return false;
}

// A streaming chat request as raw HTTP (for disconnects and holding slots).
inline std::string raw_stream_request(const std::string& user, int max_tokens) {
  json body = chat_json(user, max_tokens, {{"stream", true}});
  const std::string b = body.dump();
  return "POST /v1/chat/completions HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
         "Content-Length: " + std::to_string(b.size()) + "\r\n\r\n" + b;
}

}  // namespace r1::e2e
