// Admin API: the rollout and reload routes (see admin.h).
#include <nlohmann/json.hpp>

#include <algorithm>
#include <chrono>
#include <cstdio>

#include "gateway/admin/admin.h"
#include "gateway/config/config.h"

namespace r1::gateway {
namespace {

using Json = nlohmann::ordered_json;

AdminResponse error_response(int status, const std::string& message, const std::string& type) {
  Json j = {{"error", {{"message", message}, {"type", type}}}};
  return {status, "application/json", j.dump(-1, ' ', false, Json::error_handler_t::replace)};
}

Error field_error(const std::string& field, const std::string& message) {
  return make_error(ErrorCode::kInvalidArgument, field + ": " + message);
}

int64_t unix_ms(TimePoint at) {
  const auto age = SteadyClock::now() - at;
  const auto wall = std::chrono::system_clock::now() - age;
  return std::chrono::duration_cast<std::chrono::milliseconds>(wall.time_since_epoch()).count();
}

Status read_fields(const Json& j, RolloutRequest& r) {
  for (const auto& [key, value] : j.items()) {
    if (key == "model") {
      if (!value.is_string() || value.get<std::string>().empty()) return field_error("model", "must be a non-empty string");
      r.model = value.get<std::string>();
    } else if (key == "strategy") {
      auto s = value.is_string() ? parse_rollout_strategy(value.get<std::string>()) : std::nullopt;
      if (!s) return field_error("strategy", "must be 'canary', 'blue-green' or 'rolling'");
      r.strategy = *s;
    } else if (key == "canary_percent") {
      if (!value.is_number_integer() || value.get<int64_t>() < 1 || value.get<int64_t>() > 99) {
        return field_error("canary_percent", "must be an integer 1..99");
      }
      r.canary_percent = value.get<int>();
    } else if (key == "analysis_window") {
      if (!value.is_string()) return field_error("analysis_window", "must be a duration string like '30m'");
      R1_ASSIGN_OR_RETURN(Duration d, parse_duration(value.get<std::string>(), "analysis_window"));
      if (d <= Duration(0)) return field_error("analysis_window", "must be > 0");
      r.analysis_window = d;
    } else if (key == "version") {
      if (!value.is_string()) return field_error("version", "must be a string");
      r.version = value.get<std::string>();
    } else {
      return field_error(key, "unknown field");
    }
  }
  if (r.model.empty()) return field_error("model", "required");
  return Status();
}

AdminResponse status_response(int code, const AdminControl& control) {
  return {code, "application/json", rollout_status_json(control.rollout_status())};
}


// The controller's canary criteria (rollout.cpp) on the outcomes so far.
bool canary_failing(const RolloutState& s) {
  if (s.phase != RolloutPhase::kAnalyzing || s.spec.strategy != RolloutStrategy::kCanary) return false;
  const RolloutSpec& spec = s.spec;
  if (s.stable_stats.requests < spec.min_requests || s.canary_stats.requests < spec.min_requests) return false;
  const double delta = s.canary_stats.error_rate() - s.stable_stats.error_rate();
  const double ratio = s.canary_stats.p99_ms() / std::max(s.stable_stats.p99_ms(), 1.0);
  return delta > spec.max_error_rate_delta || ratio > spec.max_p99_ratio;
}

void analysis_family(metrics::Registry& r, const std::string& name, const std::string& help,
                     double stable, double canary) {
  auto& f = r.gauge(name, help, {"role"});
  f.with({"stable"}).set(stable);
  f.with({"canary"}).set(canary);
}

void single_gauge(metrics::Registry& r, const std::string& name, const std::string& help, double v) {
  r.gauge(name, help).get().set(v);
}
}  // namespace

Result<RolloutRequest> parse_rollout_request(std::string_view body) {
  Json j = Json::parse(body.begin(), body.end(), nullptr, false);
  if (j.is_discarded() || !j.is_object()) {
    return make_error(ErrorCode::kInvalidArgument, "body: expected a JSON object");
  }
  RolloutRequest r;
  R1_RETURN_IF_ERROR(read_fields(j, r));
  return r;
}

std::string rollout_status_json(const RolloutStatus& st) {
  const RolloutState& s = st.state;
  Json events = Json::array();
  for (const RolloutEvent& e : st.events) {
    events.push_back({{"at_ms", unix_ms(e.at)}, {"phase", rollout_phase_name(e.phase)}, {"message", e.message}});
  }
  Json j = {{"phase", rollout_phase_name(s.phase)},
            {"strategy", rollout_strategy_name(s.spec.strategy)},
            {"version", s.spec.new_version},
            {"model", s.spec.model_path},
            {"canary_percent", s.spec.canary_percent},
            {"message", s.message},
            {"stable_version", s.spec.stable_version},
            {"phase_elapsed_ms", s.phase_elapsed.count()},
            {"events", events}};
  return j.dump(-1, ' ', false, Json::error_handler_t::replace);
}

AdminResponse handle_admin_control(AdminControl& control, std::string_view method, std::string_view path,
                                   std::string_view body) {
  const bool post = method == "POST";
  if (path == "/admin/rollout" && method == "GET") return status_response(200, control);
  if (path == "/admin/rollout" && post) {
    Result<RolloutRequest> r = parse_rollout_request(body);
    if (!r.ok()) return error_response(400, r.error().message, "invalid_request");
    if (rollout_active(control.rollout_status().state.phase)) {
      return error_response(409, "a rollout is in progress (see GET /admin/rollout)", "conflict");
    }
    Status s = control.start_rollout(*r);
    if (!s.ok()) {
      const bool conflict = s.error().code == ErrorCode::kResourceExhausted;
      return error_response(conflict ? 409 : 400, s.error().message, conflict ? "conflict" : "invalid_request");
    }
    return status_response(202, control);
  }
  if ((path == "/admin/rollout/promote" || path == "/admin/rollout/abort") && post) {
    Status s = path.ends_with("promote") ? control.promote_rollout() : control.abort_rollout();
    if (!s.ok()) return error_response(409, s.error().message, "conflict");
    return status_response(200, control);
  }
  if (path == "/admin/reload" && post) {
    Status s = control.reload();
    if (!s.ok()) return error_response(400, s.error().message, "invalid_config");
    return {200, "application/json", R"({"status":"reloaded"})"};
  }
  if (path == "/admin/rollout" || path == "/admin/rollout/promote" || path == "/admin/rollout/abort" ||
      path == "/admin/reload") {
    return error_response(405, "method not allowed", "invalid_request");
  }
  return error_response(404, "not found", "not_found");
}

void rollout_metrics(metrics::Registry& r, const RolloutStatus& status) {
  const RolloutState& s = status.state;
  auto& phase = r.gauge("r1_gateway_rollout_phase", "Rollout phase (1 for the current one).", {"phase"});
  for (int p = static_cast<int>(RolloutPhase::kIdle); p <= static_cast<int>(RolloutPhase::kAborted); ++p) {
    const auto each = static_cast<RolloutPhase>(p);
    phase.with({rollout_phase_name(each)}).set(each == s.phase ? 1 : 0);
  }
  single_gauge(r, "r1_gateway_rollout_phase_seconds", "Seconds since the rollout entered its current phase.",
               std::chrono::duration<double>(s.phase_elapsed).count());
  analysis_family(r, "r1_gateway_rollout_analysis_requests", "Requests counted by the canary analysis.",
                  static_cast<double>(s.stable_stats.requests), static_cast<double>(s.canary_stats.requests));
  analysis_family(r, "r1_gateway_rollout_analysis_error_ratio", "Error ratio seen by the canary analysis.",
                  s.stable_stats.error_rate(), s.canary_stats.error_rate());
  analysis_family(r, "r1_gateway_rollout_analysis_p99_seconds", "p99 latency seen by the canary analysis.",
                  s.stable_stats.p99_ms() / 1000.0, s.canary_stats.p99_ms() / 1000.0);
  single_gauge(r, "r1_gateway_rollout_analysis_max_error_ratio_delta",
               "Largest canary minus stable error ratio the analysis passes.", s.spec.max_error_rate_delta);
  single_gauge(r, "r1_gateway_rollout_analysis_max_p99_ratio",
               "Largest canary over stable p99 latency ratio the analysis passes.", s.spec.max_p99_ratio);
  single_gauge(r, "r1_gateway_rollout_canary_failing",
               "1 while the canary fails its analysis criteria with enough volume (a rollback is coming).",
               canary_failing(s) ? 1 : 0);
}

std::string rollout_metrics_text(const RolloutStatus& status) {
  metrics::Registry r;
  rollout_metrics(r, status);
  return r.expose();
}

}  // namespace r1::gateway
