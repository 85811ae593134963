#include "gateway/rollout/rollout_state.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>

namespace r1::gateway {
namespace {

using Json = nlohmann::ordered_json;
constexpr int kFormat = 1;

Json spec_json(const RolloutSpec& s) {
  return Json{{"stable_version", s.stable_version},
              {"stable_model_path", s.stable_model_path},
              {"new_version", s.new_version},
              {"model_path", s.model_path},
              {"strategy", rollout_strategy_name(s.strategy)},
              {"replicas", s.replicas},
              {"canary_percent", s.canary_percent},
              {"analysis_window_ms", s.analysis_window.count()},
              {"min_requests", s.min_requests},
              {"max_error_rate_delta", s.max_error_rate_delta},
              {"max_p99_ratio", s.max_p99_ratio},
              {"ready_timeout_ms", s.ready_timeout.count()},
              {"drain_timeout_ms", s.drain_timeout.count()}};
}

Json stats_json(const VersionStats& s) {
  return Json{{"requests", s.requests}, {"errors", s.errors}, {"latencies_ms", s.latencies_ms}};
}

// Thrown only inside this file (caught in parse_rollout_state).
struct BadValue {
  std::string what;
};

template <typename T, typename Parse>
T enum_field(const Json& j, const char* key, Parse parse) {
  const std::string name = j.at(key).get<std::string>();
  auto v = parse(name);
  if (!v) throw BadValue{std::string("unknown ") + key + " '" + name + "'"};
  return *v;
}

RolloutSpec parse_spec(const Json& j) {
  RolloutSpec s;
  s.stable_version = j.at("stable_version").get<std::string>();
  s.stable_model_path = j.at("stable_model_path").get<std::string>();
  s.new_version = j.at("new_version").get<std::string>();
  s.model_path = j.at("model_path").get<std::string>();
  s.strategy = enum_field<RolloutStrategy>(j, "strategy", parse_rollout_strategy);
  s.replicas = j.at("replicas").get<int>();
  s.canary_percent = j.at("canary_percent").get<int>();
  s.analysis_window = Duration(j.at("analysis_window_ms").get<int64_t>());
  s.min_requests = j.at("min_requests").get<int>();
  s.max_error_rate_delta = j.at("max_error_rate_delta").get<double>();
  s.max_p99_ratio = j.at("max_p99_ratio").get<double>();
  s.ready_timeout = Duration(j.at("ready_timeout_ms").get<int64_t>());
  s.drain_timeout = Duration(j.at("drain_timeout_ms").get<int64_t>());
  return s;
}

VersionStats parse_stats(const Json& j) {
  VersionStats s;
  s.requests = j.at("requests").get<int64_t>();
  s.errors = j.at("errors").get<int64_t>();
  s.latencies_ms = j.at("latencies_ms").get<std::vector<double>>();
  if (s.requests < 0 || s.errors < 0 || s.errors > s.requests) throw BadValue{"bad request/error counts"};
  if (s.latencies_ms.size() > VersionStats::kMaxLatencySamples) throw BadValue{"too many latency samples"};
  return s;
}

void parse_rolling(const Json& j, RolloutState& s) {
  s.replica_index = j.at("replica_index").get<int>();
  s.step = enum_field<RollingStep>(j, "step", parse_rolling_step);
  s.step_elapsed = Duration(j.at("step_elapsed_ms").get<int64_t>());
  s.replaced = j.at("replaced").get<int>();
  s.restore_pending = j.at("restore_pending").get<std::vector<int>>();
  s.restore_final = enum_field<RolloutPhase>(j, "restore_final", parse_rollout_phase);
  const int n = s.spec.replicas;
  if (n < 1 || s.replica_index < 0 || s.replica_index >= n || s.replaced < 0 || s.replaced > n) {
    throw BadValue{"rolling progress out of range"};
  }
  for (int idx : s.restore_pending) {
    if (idx < 0 || idx >= n) throw BadValue{"restore_pending index out of range"};
  }
}

RolloutState parse_state(const Json& j) {
  if (!j.is_object()) throw BadValue{"not a JSON object"};
  if (j.at("format").get<int>() != kFormat) throw BadValue{"unsupported format"};
  RolloutState s;
  s.phase = enum_field<RolloutPhase>(j, "phase", parse_rollout_phase);
  s.message = j.at("message").get<std::string>();
  s.phase_elapsed = Duration(j.at("phase_elapsed_ms").get<int64_t>());
  s.spec = parse_spec(j.at("spec"));
  parse_rolling(j.at("rolling"), s);
  s.stable_stats = parse_stats(j.at("stats").at("stable"));
  s.canary_stats = parse_stats(j.at("stats").at("canary"));
  s.waiting_reported = j.at("waiting_reported").get<bool>();
  if (s.phase_elapsed.count() < 0 || s.step_elapsed.count() < 0) throw BadValue{"negative elapsed time"};
  return s;
}

Error corrupt(const std::string& source, const std::string& what) {
  return make_error(ErrorCode::kCorrupt, "rollout state file " + source + ": " + what);
}

}  // namespace

std::string rollout_state_to_json(const RolloutState& s) {
  Json j{{"format", kFormat},
         {"phase", rollout_phase_name(s.phase)},
         {"message", s.message},
         {"phase_elapsed_ms", s.phase_elapsed.count()},
         {"spec", spec_json(s.spec)},
         {"rolling", Json{{"replica_index", s.replica_index},
                          {"step", rolling_step_name(s.step)},
                          {"step_elapsed_ms", s.step_elapsed.count()},
                          {"replaced", s.replaced},
                          {"restore_pending", s.restore_pending},
                          {"restore_final", rollout_phase_name(s.restore_final)}}},
         {"stats", Json{{"stable", stats_json(s.stable_stats)}, {"canary", stats_json(s.canary_stats)}}},
         {"waiting_reported", s.waiting_reported}};
  return j.dump(1) + "\n";
}

Result<RolloutState> parse_rollout_state(std::string_view text, const std::string& source) {
  Json j = Json::parse(text, nullptr, /*allow_exceptions=*/false);
  if (j.is_discarded()) return corrupt(source, "malformed or truncated JSON");
  try {
    return parse_state(j);
  } catch (const BadValue& e) {
    return corrupt(source, e.what);
  } catch (const nlohmann::json::exception& e) {
    return corrupt(source, e.what());
  }
}

Status write_rollout_state(const std::string& path, const RolloutState& state) {
  const std::string text = rollout_state_to_json(state);
  const std::string tmp = path + ".tmp";
  int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0) return make_error(ErrorCode::kIo, "cannot create " + tmp + ": " + std::strerror(errno));
  size_t done = 0;
  while (done < text.size()) {
    ssize_t n = ::write(fd, text.data() + done, text.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) {
      const std::string why = std::strerror(errno);
      ::close(fd);
      ::unlink(tmp.c_str());
      return make_error(ErrorCode::kIo, "cannot write " + tmp + ": " + why);
    }
    done += static_cast<size_t>(n);
  }
  const bool synced = ::fsync(fd) == 0;
  ::close(fd);
  if (!synced || std::rename(tmp.c_str(), path.c_str()) != 0) {
    const std::string why = std::strerror(errno);
    ::unlink(tmp.c_str());
    return make_error(ErrorCode::kIo, "cannot replace " + path + ": " + why);
  }
  return {};
}

Result<RolloutState> read_rollout_state(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return make_error(ErrorCode::kNotFound, "rollout state file " + path + ": cannot open");
  std::ostringstream ss;
  ss << in.rdbuf();
  if (in.bad()) return make_error(ErrorCode::kIo, "rollout state file " + path + ": read error");
  return parse_rollout_state(ss.str(), path);
}

}  // namespace r1::gateway
