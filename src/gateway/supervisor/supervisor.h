// Worker process supervision.
//
// Spawning: fork + exec (not posix_spawn: the child must call prctl). The
// child gets its own process group (setpgid), PR_SET_PDEATHSIG=SIGKILL (so a
// gateway killed with -9 leaves no orphan worker), default signal
// dispositions and mask, no inherited fds but 0-2, and optionally stdout and
// stderr appended to log_path. Exec failure (say, a missing binary) is
// reported through a CLOEXEC pipe and marks the worker failed at once. Each
// spawn gets a fresh free port appended as `<port_flag> <port>`; the
// kSpawned event and status() carry it (the gateway re-registers the
// replica's health target and route).
//
// Caveat: PDEATHSIG fires when the *thread* that forked exits, so spawns only
// happen in poll_once(), which runs on the supervisor's own thread after
// start() (alive until stop_all()). Grandchildren are covered by killing the
// whole process group, not by PDEATHSIG.
//
// Reaping: no SIGCHLD handler; poll_once() calls waitpid(pid, WNOHANG) on the
// pids it owns only (never -1, so other children of the process are left
// alone). Any exit that was not asked for is a crash: the group is SIGKILLed
// (stragglers), and the worker respawns after min(base * 2^(k-1), max),
// k = crashes since it was last ready. crash_loop_count crashes within
// crash_loop_window mark it kFailed: no more restarts, a kFailed event.
// report_unresponsive() (from the health checker's liveness failures) kills
// the group with SIGKILL; the exit is then handled as a crash.
// report_ready() records the time from the first crash since the worker was
// last ready to a replacement being ready (status().last_recovery), so a
// replica that needed several restarts reports its whole outage.
//
// Stopping: SIGTERM to every group, SIGKILL after stop_grace, then reap, so
// no process is left behind.
//
// Thread contract: all methods are safe from any thread. The event callback
// runs on the thread that called poll_once()/stop_all()/remove() with no
// lock held. The policy timing (backoff, crash window, recovery time) uses
// the injected Clock; stop_grace waits use real time (they wait on the OS).
#pragma once

#include <sys/types.h>

#include <deque>
#include <functional>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "core/result.h"
#include "core/callback_slot.h"
#include "core/clock.h"
#include "core/periodic_thread.h"

namespace r1::gateway {

struct WorkerSpec {
  std::string name;               // unique, e.g. "r1-7b/0"
  std::vector<std::string> argv;  // argv[0]: a path, or a name looked up in PATH
  std::string port_flag = "--port";  // empty: no port is assigned
  std::string log_path;           // empty: inherit the gateway's stdout/stderr
};

enum class WorkerState {
  kPending,   // waiting to be spawned (first start or backoff)
  kRunning,   // spawned, not yet reported ready
  kReady,     // report_ready() since the last spawn
  kStopping,  // remove() in progress
  kFailed,    // crash loop or exec failure: not restarted
  kStopped,   // stop_all() done
};
const char* worker_state_name(WorkerState state);

struct WorkerStatus {
  std::string name;
  WorkerState state = WorkerState::kPending;
  pid_t pid = 0;  // 0 when not running
  int port = 0;
  int spawns = 0;
  int crashes = 0;        // lifetime
  std::string last_exit;  // "exit 1", "signal 9", "killed: unresponsive"
  std::optional<Duration> last_recovery;  // crash -> replacement ready
  TimePoint next_spawn{};
};

enum class WorkerEventKind { kSpawned, kExited, kFailed, kStopped };
struct WorkerEvent {
  WorkerEventKind kind;
  std::string name;
  pid_t pid = 0;
  int port = 0;
  std::string detail;
};

// The supervisor's settings (gateway YAML `supervisor:`), declared once.
struct SupervisorConfig {
  std::string binary;  // worker executable; empty = the gateway's own
  Duration backoff_base = std::chrono::seconds(1);
  Duration backoff_max = std::chrono::seconds(30);
  int crash_loop_count = 5;  // crashes within crash_loop_window -> failed
  Duration crash_loop_window = std::chrono::minutes(5);
  Duration stop_grace = std::chrono::seconds(30);
  Duration poll_interval = std::chrono::milliseconds(50);  // start()'s thread
};

class Supervisor {
 public:
  virtual ~Supervisor() = default;
  // Registers the worker; it is spawned by the next poll.
  virtual Status add(const WorkerSpec& spec) = 0;
  // Gracefully stops one worker (SIGTERM, SIGKILL after grace) and forgets it.
  virtual Status remove(const std::string& name) = 0;
  virtual void report_ready(const std::string& name) = 0;
  virtual void report_unresponsive(const std::string& name) = 0;
  virtual std::optional<WorkerStatus> status(const std::string& name) const = 0;
  virtual std::vector<WorkerStatus> statuses() const = 0;
  virtual void stop_all() = 0;
  virtual void set_event_callback(std::function<void(const WorkerEvent&)> callback) = 0;
};

class ProcessSupervisor final : public Supervisor {
 public:
  ProcessSupervisor(const Clock& clock, SupervisorConfig options);
  ~ProcessSupervisor() override;  // stop_all() without firing events

  Status add(const WorkerSpec& spec) override;
  Status remove(const std::string& name) override;
  void report_ready(const std::string& name) override;
  void report_unresponsive(const std::string& name) override;
  std::optional<WorkerStatus> status(const std::string& name) const override;
  std::vector<WorkerStatus> statuses() const override;
  void stop_all() override;
  void set_event_callback(std::function<void(const WorkerEvent&)> callback) override;

  // Reaps exited workers and spawns due ones. The thread's body; tests may
  // call it directly (then the calling thread is the PDEATHSIG parent).
  void poll_once();
  void start();

 private:
  struct Worker {
    WorkerSpec spec;
    WorkerStatus status;
    bool kill_requested = false;
    int consecutive_crashes = 0;
    std::deque<TimePoint> crash_times;
    std::optional<TimePoint> crashed_at;  // awaiting a ready replacement
  };
  using Events = std::vector<WorkerEvent>;
  void reap(Worker& w, TimePoint t, Events& events);
  void on_crash(Worker& w, TimePoint t, const std::string& exit, Events& events);
  void spawn(Worker& w, Events& events);
  void emit(const Events& events);
  void stop_thread();

  const Clock& clock_;
  const SupervisorConfig options_;
  mutable std::mutex mu_;
  std::map<std::string, Worker> workers_;
  CallbackSlot<const WorkerEvent&> callback_;
  bool stopping_ = false;
  PeriodicThread thread_;  // last: joined before the rest is destroyed
};

}  // namespace r1::gateway
