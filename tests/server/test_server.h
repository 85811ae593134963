// A FakeBackend plus an HttpServer on an ephemeral loopback port.
//
// Thread contract: owned by one test.
#pragma once

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <memory>
#include <string>
#include <utility>

#include "http_client.h"
#include "server/backend/fake_backend.h"
#include "server/http_server.h"

namespace r1::server::test {

struct TestServer {
  explicit TestServer(FakeBackendConfig fake = {}, ServerConfig config = {}) {
    backend = std::make_shared<FakeBackend>(std::move(fake));
    config.host = "127.0.0.1";
    config.port = 0;
    auto started = HttpServer::start(config, backend);
    CHECK(started.ok()) << started.error().to_string();
    server = std::move(started).value();
    port = server->port();
  }

  ClientResponse post(const std::string& target, const std::string& body,
                      const Headers& headers = {}) const {
    return http_request(port, "POST", target, body, headers);
  }
  ClientResponse get(const std::string& target, const Headers& headers = {}) const {
    return http_request(port, "GET", target, "", headers);
  }

  std::shared_ptr<FakeBackend> backend;  // outlives the server
  std::unique_ptr<HttpServer> server;
  uint16_t port = 0;
};

inline const char* kHello = R"({"model":"fake-r1","messages":[{"role":"user","content":"2+2?"}]})";

inline std::string chat_body(const std::string& extra) {
  return R"({"messages":[{"role":"user","content":"2+2?"}])" + (extra.empty() ? "" : "," + extra) +
         "}";
}

inline nlohmann::json parse_json(const std::string& text) {
  nlohmann::json j = nlohmann::json::parse(text, nullptr, false);
  EXPECT_FALSE(j.is_discarded()) << text;
  return j;
}

// True if `body` is {"error":{"message","type","param","code"}} with a
// non-empty message and type.
inline bool is_openai_error(const std::string& body) {
  const nlohmann::json j = nlohmann::json::parse(body, nullptr, false);
  if (j.is_discarded() || !j.contains("error")) return false;
  const nlohmann::json& e = j["error"];
  return e.contains("message") && e["message"].is_string() && !e["message"].empty() &&
         e.contains("type") && e["type"].is_string() && e.contains("param") && e.contains("code");
}

}  // namespace r1::server::test
