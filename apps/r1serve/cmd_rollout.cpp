// `r1serve rollout start|status|promote|abort`: a client of the gateway's
// admin API (Boost.Beast over one io_context, with a deadline).
#include <nlohmann/json.hpp>

#include <utility>  // before asio: awaitable.hpp uses std::exchange

#include <boost/asio/connect.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <cstdio>

#include "cmd_up.h"
#include "common.h"
#include "http/url.h"

namespace r1::app {
namespace {

namespace beast = boost::beast;
namespace http = beast::http;
namespace net = boost::asio;
using tcp = net::ip::tcp;

constexpr auto kTimeout = std::chrono::seconds(60);

struct Url {
  std::string host;
  std::string port;
};

// "http://HOST:PORT", trailing slashes allowed.
Result<Url> parse_url(const std::string& url) {
  const Result<r1::http::Url> u = r1::http::parse_url(url);
  if (!u.ok() || u->scheme != "http" || !u->has_port || u->target.find_first_not_of('/') != std::string::npos) {
    return make_error(ErrorCode::kInvalidArgument, "--admin: expected http://HOST:PORT, got '" + url + "'");
  }
  return Url{u->host, std::to_string(u->port)};
}

struct Answer {
  int status = 0;
  std::string body;
};

Result<Answer> call(const RolloutCommandConfig& c, http::verb method, const std::string& target,
                    const std::string& body) {
  R1_ASSIGN_OR_RETURN(Url url, parse_url(c.admin));
  net::io_context ioc;
  beast::tcp_stream stream(ioc);
  http::request<http::string_body> req{method, target, 11};
  req.set(http::field::host, url.host + ":" + url.port);
  if (!c.admin_key.empty()) req.set(http::field::authorization, "Bearer " + c.admin_key);
  if (method == http::verb::post) req.set(http::field::content_type, "application/json");
  req.body() = body;
  req.prepare_payload();
  beast::flat_buffer buffer;
  http::response<http::string_body> res;
  beast::error_code result;
  tcp::resolver resolver(ioc);
  stream.expires_after(kTimeout);
  resolver.async_resolve(url.host, url.port, [&](beast::error_code ec, tcp::resolver::results_type eps) {
    if (ec) return void(result = ec);
    stream.async_connect(eps, [&](beast::error_code ec2, const tcp::endpoint&) {
      if (ec2) return void(result = ec2);
      http::async_write(stream, req, [&](beast::error_code ec3, size_t) {
        if (ec3) return void(result = ec3);
        http::async_read(stream, buffer, res, [&](beast::error_code ec4, size_t) { result = ec4; });
      });
    });
  });
  ioc.run();
  if (result) return make_error(ErrorCode::kIo, "admin API " + c.admin + ": " + result.message());
  return Answer{static_cast<int>(res.result_int()), res.body()};
}

std::string start_body(const RolloutCommandConfig& c) {
  nlohmann::json j = {{"model", c.model}, {"strategy", c.strategy}};
  if (c.canary_percent) j["canary_percent"] = *c.canary_percent;
  if (!c.analysis_window.empty()) j["analysis_window"] = c.analysis_window;
  if (!c.version.empty()) j["version"] = c.version;
  return j.dump();
}

// The error message of an admin error answer, else the body itself.
std::string error_message(const Answer& a) {
  nlohmann::json j = nlohmann::json::parse(a.body, nullptr, false);
  if (j.is_object() && j.contains("error") && j["error"].is_object() && j["error"].contains("message")) {
    return "HTTP " + std::to_string(a.status) + ": " + j["error"]["message"].get<std::string>();
  }
  return "HTTP " + std::to_string(a.status) + ": " + a.body;
}

void add_admin_options(CLI::App* cmd, RolloutCommandConfig& c) {
  cmd->add_option("--admin", c.admin, "admin API of the gateway");
  cmd->add_option("--admin-key", c.admin_key, "Bearer key of the admin API")
      ->envname("R1SERVE_ADMIN_KEY")
      ->configurable(false);
}

}  // namespace

RolloutCommands add_rollout_command(CLI::App& app, RolloutCommandConfig& c) {
  RolloutCommands r;
  r.group = app.add_subcommand("rollout", "start, watch, promote or abort a model rollout on a running gateway");
  r.group->require_subcommand(1);
  r.start = r.group->add_subcommand("start", "roll out a new model version");
  r.start->add_option("-m,--model", c.model, "GGUF of the new version (a path the gateway can read)")->required();
  r.start->add_option("--strategy", c.strategy, "canary, blue-green or rolling")
      ->check(CLI::IsMember({"canary", "blue-green", "rolling"}));
  r.start->add_option("--canary-percent", c.canary_percent, "canary share of sessions (1..99)")
      ->check(CLI::Range(1, 99));
  r.start->add_option("--analysis-window", c.analysis_window, "canary analysis / blue-green bake time, e.g. 30m");
  r.start->add_option("--version", c.version, "the new version's name (default: the model's file name)");
  r.status = r.group->add_subcommand("status", "show the rollout's phase and events");
  r.promote = r.group->add_subcommand("promote", "canary: promote now; blue-green: stop the old version now");
  r.abort = r.group->add_subcommand("abort", "go back to the old version");
  for (CLI::App* sub : {r.start, r.status, r.promote, r.abort}) add_admin_options(sub, c);
  return r;
}

int rollout_command(const RolloutCommands& cmds, const RolloutCommandConfig& c) {
  Result<Answer> answer = make_error(ErrorCode::kInvalidArgument, "rollout: no action given");
  if (cmds.start->parsed()) answer = call(c, http::verb::post, "/admin/rollout", start_body(c));
  else if (cmds.status->parsed()) answer = call(c, http::verb::get, "/admin/rollout", "");
  else if (cmds.promote->parsed()) answer = call(c, http::verb::post, "/admin/rollout/promote", "");
  else if (cmds.abort->parsed()) answer = call(c, http::verb::post, "/admin/rollout/abort", "");
  if (!answer.ok()) return report(answer.error());
  if (answer->status < 200 || answer->status >= 300) {
    std::fprintf(stderr, "error: %s\n", error_message(*answer).c_str());
    return kExitError;
  }
  std::printf("%s\n", answer->body.c_str());
  return kExitOk;
}

}  // namespace r1::app
