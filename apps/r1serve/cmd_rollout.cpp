// `r1serve rollout start|status|promote|abort`: a client of the gateway's
// admin API (http::blocking_request, with one deadline).
#include <nlohmann/json.hpp>

#include <cstdio>

#include "cmd_up.h"
#include "common.h"
#include "http/client/blocking_client.h"
#include "http/url.h"

namespace r1::app {
namespace {

constexpr auto kTimeout = std::chrono::seconds(60);

struct Url {
  std::string host;
  uint16_t port = 0;
};

// "http://HOST:PORT", trailing slashes allowed.
Result<Url> parse_url(const std::string& url) {
  const Result<r1::http::Url> u = r1::http::parse_url(url);
  if (!u.ok() || u->scheme != "http" || !u->has_port || u->target.find_first_not_of('/') != std::string::npos) {
    return make_error(ErrorCode::kInvalidArgument, "--admin: expected http://HOST:PORT, got '" + url + "'");
  }
  return Url{u->host, static_cast<uint16_t>(u->port)};
}

struct Answer {
  int status = 0;
  std::string body;
};

Result<Answer> call(const RolloutCommandConfig& c, const std::string& method, const std::string& target,
                    const std::string& body) {
  R1_ASSIGN_OR_RETURN(Url url, parse_url(c.admin));
  r1::http::BlockingRequest req;
  req.method = method;
  req.host = url.host;
  req.port = url.port;
  req.resolve = true;
  req.target = target;
  if (method == "POST") req.content_type = "application/json";
  req.body = body;
  if (!c.admin_key.empty()) req.headers.emplace_back("Authorization", "Bearer " + c.admin_key);
  req.connect_timeout = req.total_timeout = kTimeout;
  req.max_bytes = 16 << 20;
  Result<r1::http::BlockingResponse> res = r1::http::blocking_request(req);
  if (!res.ok()) return make_error(ErrorCode::kIo, "admin API " + c.admin + ": " + res.error().message);
  return Answer{res->status, std::string(res->body())};
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
  if (cmds.start->parsed()) answer = call(c, "POST", "/admin/rollout", start_body(c));
  else if (cmds.status->parsed()) answer = call(c, "GET", "/admin/rollout", "");
  else if (cmds.promote->parsed()) answer = call(c, "POST", "/admin/rollout/promote", "");
  else if (cmds.abort->parsed()) answer = call(c, "POST", "/admin/rollout/abort", "");
  if (!answer.ok()) return report(answer.error());
  if (answer->status < 200 || answer->status >= 300) {
    std::fprintf(stderr, "error: %s\n", error_message(*answer).c_str());
    return kExitError;
  }
  std::printf("%s\n", answer->body.c_str());
  return kExitOk;
}

}  // namespace r1::app
