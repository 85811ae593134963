#include "gateway/supervisor/supervisor.h"

#include <signal.h>
#include <sys/wait.h>

#include <algorithm>

#include "core/check.h"
#include "core/log.h"
#include "gateway/policy/http_probe.h"
#include "gateway/supervisor/process.h"

namespace r1::gateway {

const char* worker_state_name(WorkerState state) {
  switch (state) {
    case WorkerState::kPending: return "pending";
    case WorkerState::kRunning: return "running";
    case WorkerState::kReady: return "ready";
    case WorkerState::kStopping: return "stopping";
    case WorkerState::kFailed: return "failed";
    case WorkerState::kStopped: return "stopped";
  }
  return "?";
}

ProcessSupervisor::ProcessSupervisor(const Clock& clock, SupervisorConfig options)
    : clock_(clock), options_(options) {
  CHECK(options_.backoff_base.count() > 0 && options_.backoff_max >= options_.backoff_base);
  CHECK(options_.crash_loop_count >= 1);
}

ProcessSupervisor::~ProcessSupervisor() {
  set_event_callback(nullptr);  // its target may already be gone
  stop_all();
}

Status ProcessSupervisor::add(const WorkerSpec& spec) {
  if (spec.name.empty()) return make_error(ErrorCode::kInvalidArgument, "worker: empty name");
  if (spec.argv.empty()) return make_error(ErrorCode::kInvalidArgument, "worker '" + spec.name + "': empty argv");
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (stopping_) return make_error(ErrorCode::kInvalidArgument, "supervisor is stopping");
    if (workers_.count(spec.name) != 0) {
      return make_error(ErrorCode::kInvalidArgument, "worker '" + spec.name + "' already added");
    }
    Worker w;
    w.spec = spec;
    w.status.name = spec.name;
    w.status.next_spawn = clock_.now();
    workers_.emplace(spec.name, std::move(w));
  }
  thread_.wake();  // spawn it now
  return Status();
}

void ProcessSupervisor::on_crash(Worker& w, TimePoint t, const std::string& exit, Events& events) {
  WorkerStatus& s = w.status;
  events.push_back(WorkerEvent{WorkerEventKind::kExited, s.name, s.pid, s.port, exit});
  log::warn("gateway: worker {} (pid {}) exited: {}", s.name, s.pid, exit);
  s.pid = 0;
  s.last_exit = exit;
  ++s.crashes;
  if (!w.crashed_at) w.crashed_at = t;
  w.crash_times.push_back(t);
  while (!w.crash_times.empty() && t - w.crash_times.front() >= options_.crash_loop_window) {
    w.crash_times.pop_front();
  }
  if (static_cast<int>(w.crash_times.size()) >= options_.crash_loop_count) {
    s.state = WorkerState::kFailed;
    const std::string why = "crash loop: " + std::to_string(w.crash_times.size()) + " crashes within " +
                            std::to_string(options_.crash_loop_window.count()) + "ms, last " + exit;
    events.push_back(WorkerEvent{WorkerEventKind::kFailed, s.name, 0, s.port, why});
    log::error("gateway: worker {} failed: {}", s.name, why);
    return;
  }
  ++w.consecutive_crashes;
  const int shift = std::min(w.consecutive_crashes - 1, 30);
  const auto backoff = std::min<int64_t>(options_.backoff_base.count() << shift, options_.backoff_max.count());
  s.state = WorkerState::kPending;
  s.next_spawn = t + Duration(backoff);
}

void ProcessSupervisor::reap(Worker& w, TimePoint t, Events& events) {
  const pid_t pid = w.status.pid;
  int status = 0;
  const pid_t r = ::waitpid(pid, &status, WNOHANG);
  if (r == 0) return;
  ::kill(-pid, SIGKILL);  // whatever the worker left in its group
  std::string exit = r < 0 ? "lost (not our child)" : describe_wait_status(status);
  if (w.kill_requested) exit = "killed: unresponsive (" + exit + ")";
  w.kill_requested = false;
  on_crash(w, t, exit, events);
}

void ProcessSupervisor::spawn(Worker& w, Events& events) {
  WorkerStatus& s = w.status;
  SpawnParams params{w.spec.argv, w.spec.log_path};
  s.port = 0;
  if (!w.spec.port_flag.empty()) {
    s.port = find_free_port();
    params.argv.push_back(w.spec.port_flag);
    params.argv.push_back(std::to_string(s.port));
  }
  Result<pid_t> pid = spawn_process(params);
  if (!pid.ok()) {
    s.state = WorkerState::kFailed;
    s.last_exit = pid.error().message;
    events.push_back(WorkerEvent{WorkerEventKind::kFailed, s.name, 0, s.port, pid.error().message});
    log::error("gateway: worker {} failed: {}", s.name, pid.error().message);
    return;
  }
  s.pid = *pid;
  s.state = WorkerState::kRunning;
  ++s.spawns;
  events.push_back(WorkerEvent{WorkerEventKind::kSpawned, s.name, s.pid, s.port, ""});
}

void ProcessSupervisor::poll_once() {
  Events events;
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (stopping_) return;
    const TimePoint t = clock_.now();
    for (auto& [name, w] : workers_) {
      const WorkerState st = w.status.state;
      if ((st == WorkerState::kRunning || st == WorkerState::kReady) && w.status.pid > 0) reap(w, t, events);
      if (w.status.state == WorkerState::kPending && w.status.next_spawn <= t) spawn(w, events);
    }
  }
  emit(events);
}

void ProcessSupervisor::report_ready(const std::string& name) {
  std::lock_guard<std::mutex> lock(mu_);
  auto it = workers_.find(name);
  if (it == workers_.end() || it->second.status.state != WorkerState::kRunning) return;
  Worker& w = it->second;
  w.status.state = WorkerState::kReady;
  w.consecutive_crashes = 0;
  if (w.crashed_at) {
    w.status.last_recovery = std::chrono::duration_cast<Duration>(clock_.now() - *w.crashed_at);
    w.crashed_at.reset();
  }
}

void ProcessSupervisor::report_unresponsive(const std::string& name) {
  std::lock_guard<std::mutex> lock(mu_);
  auto it = workers_.find(name);
  if (it == workers_.end() || it->second.status.pid <= 0) return;
  const WorkerState st = it->second.status.state;
  if (st != WorkerState::kRunning && st != WorkerState::kReady) return;
  it->second.kill_requested = true;
  ::kill(-it->second.status.pid, SIGKILL);  // reaped as a crash by poll_once()
}

Status ProcessSupervisor::remove(const std::string& name) {
  pid_t pid = 0;
  {
    std::lock_guard<std::mutex> lock(mu_);
    auto it = workers_.find(name);
    if (it == workers_.end()) return make_error(ErrorCode::kNotFound, "no worker '" + name + "'");
    if (it->second.status.state == WorkerState::kStopping) {
      return make_error(ErrorCode::kInvalidArgument, "worker '" + name + "' is already stopping");
    }
    pid = it->second.status.pid;
    it->second.status.state = WorkerState::kStopping;
  }
  std::string exit = "not running";
  if (pid > 0) exit = terminate_groups({pid}, options_.stop_grace)[0];
  {
    std::lock_guard<std::mutex> lock(mu_);
    workers_.erase(name);
  }
  emit({WorkerEvent{WorkerEventKind::kStopped, name, pid, 0, exit}});
  return Status();
}

std::optional<WorkerStatus> ProcessSupervisor::status(const std::string& name) const {
  std::lock_guard<std::mutex> lock(mu_);
  auto it = workers_.find(name);
  if (it == workers_.end()) return std::nullopt;
  return it->second.status;
}

std::vector<WorkerStatus> ProcessSupervisor::statuses() const {
  std::lock_guard<std::mutex> lock(mu_);
  std::vector<WorkerStatus> out;
  for (const auto& [name, w] : workers_) out.push_back(w.status);
  return out;
}

void ProcessSupervisor::set_event_callback(std::function<void(const WorkerEvent&)> callback) {
  callback_.set(std::move(callback));
}

void ProcessSupervisor::emit(const Events& events) {
  const auto callback = callback_.get();
  if (!callback) return;
  for (const WorkerEvent& e : events) callback(e);
}

void ProcessSupervisor::start() {
  thread_.start([this] {
    poll_once();
    return options_.poll_interval;
  });
}

void ProcessSupervisor::stop_thread() { thread_.stop(); }

void ProcessSupervisor::stop_all() {
  std::vector<pid_t> pids;
  std::vector<std::string> names;
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (stopping_) return;
    stopping_ = true;  // poll_once() does nothing from here on
  }
  stop_thread();
  {
    std::lock_guard<std::mutex> lock(mu_);
    for (auto& [name, w] : workers_) {
      if (w.status.pid > 0 && w.status.state != WorkerState::kStopping) {
        pids.push_back(w.status.pid);
        names.push_back(name);
      }
    }
  }
  const std::vector<std::string> exits = terminate_groups(pids, options_.stop_grace);
  Events events;
  {
    std::lock_guard<std::mutex> lock(mu_);
    for (auto& [name, w] : workers_) {
      if (w.status.state == WorkerState::kStopping) continue;
      w.status.state = WorkerState::kStopped;
      w.status.pid = 0;
    }
  }
  for (size_t i = 0; i < pids.size(); ++i) {
    events.push_back(WorkerEvent{WorkerEventKind::kStopped, names[i], pids[i], 0, exits[i]});
  }
  emit(events);
}

}  // namespace r1::gateway
