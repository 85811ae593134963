// ProcessSupervisor with real child processes (integration). Policy timing
// runs on a FakeClock; only the OS (exit, reaping) is waited for, with
// bounded polls.
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <dirent.h>

#include <fstream>
#include <functional>
#include <sstream>
#include <thread>

#include "gateway/support/fake_clock.h"
#include "gateway/supervisor/process.h"
#include "gateway/supervisor/supervisor.h"
#include "support/poll_until.h"

namespace r1::gateway {
namespace {

using std::chrono::milliseconds;
using std::chrono::seconds;

bool wait_until(const std::function<bool()>& done, milliseconds limit = milliseconds(5000)) {
  return test_support::poll_until(done, limit, milliseconds(5));
}

// Live (not zombie) processes whose process group is `pgid`.
std::vector<pid_t> live_group_members(pid_t pgid) {
  std::vector<pid_t> out;
  DIR* dir = ::opendir("/proc");
  if (dir == nullptr) return out;
  while (dirent* e = ::readdir(dir)) {
    const pid_t pid = static_cast<pid_t>(std::atoi(e->d_name));
    if (pid <= 0) continue;
    std::ifstream in("/proc/" + std::string(e->d_name) + "/stat");
    std::string line;
    if (!std::getline(in, line)) continue;
    std::istringstream rest(line.substr(line.rfind(')') + 2));
    char state = 0;
    pid_t ppid = 0, pgrp = 0;
    rest >> state >> ppid >> pgrp;
    if (pgrp == pgid && state != 'Z' && state != 'X') out.push_back(pid);
  }
  ::closedir(dir);
  return out;
}

bool alive(pid_t pid) {
  std::ifstream in("/proc/" + std::to_string(pid) + "/stat");
  std::string line;
  if (!std::getline(in, line)) return false;
  const char state = line[line.rfind(')') + 2];
  return state != 'Z' && state != 'X';
}

SupervisorConfig options() {
  SupervisorConfig o;
  o.backoff_base = seconds(1);
  o.backoff_max = seconds(4);
  o.crash_loop_count = 10;
  o.crash_loop_window = seconds(60);
  o.stop_grace = milliseconds(300);
  return o;
}

WorkerSpec sleeper(const std::string& name) {
  return WorkerSpec{name, {"sh", "-c", "exec sleep 300", "worker"}, "", ""};
}

class SupervisorTest : public ::testing::Test {
 protected:
  SupervisorTest() : sup_(clock_, options()) {
    sup_.set_event_callback([this](const WorkerEvent& e) { events_.push_back(e); });
  }
  WorkerStatus st(const std::string& name) { return *sup_.status(name); }
  // Polls (real time) until the worker's exit has been reaped.
  void await_reaped(const std::string& name) {
    ASSERT_TRUE(wait_until([&] {
      sup_.poll_once();
      return st(name).pid == 0;
    }));
  }
  FakeClock clock_;
  std::vector<WorkerEvent> events_;  // outlives sup_
  ProcessSupervisor sup_;
};

TEST_F(SupervisorTest, RestartsAfterKillWithExponentialBackoff) {
  ASSERT_TRUE(sup_.add(sleeper("w")).ok());
  EXPECT_FALSE(sup_.add(sleeper("w")).ok());
  sup_.poll_once();
  pid_t pid = st("w").pid;
  ASSERT_GT(pid, 0);
  EXPECT_EQ(st("w").state, WorkerState::kRunning);
  for (int64_t backoff_ms : {1000, 2000, 4000, 4000}) {
    ::kill(pid, SIGKILL);
    await_reaped("w");
    EXPECT_EQ(st("w").state, WorkerState::kPending);
    EXPECT_EQ(st("w").last_exit, "signal 9");
    clock_.advance(milliseconds(backoff_ms - 1));
    sup_.poll_once();
    EXPECT_EQ(st("w").pid, 0) << "respawned before the " << backoff_ms << "ms backoff";
    clock_.advance(milliseconds(1));
    sup_.poll_once();
    ASSERT_GT(st("w").pid, 0);
    EXPECT_NE(st("w").pid, pid);
    pid = st("w").pid;
  }
  EXPECT_EQ(st("w").spawns, 5);
  EXPECT_EQ(st("w").crashes, 4);
  // Ready resets the backoff and records the outage: first crash -> ready.
  clock_.advance(milliseconds(500));
  sup_.report_ready("w");
  EXPECT_EQ(st("w").state, WorkerState::kReady);
  ASSERT_TRUE(st("w").last_recovery.has_value());
  EXPECT_EQ(*st("w").last_recovery, milliseconds(1000 + 2000 + 4000 + 4000 + 500));
  ::kill(pid, SIGKILL);
  await_reaped("w");
  EXPECT_EQ(st("w").next_spawn - clock_.now(), seconds(1));
  clock_.advance(seconds(1));
  sup_.poll_once();
  clock_.advance(milliseconds(300));
  sup_.report_ready("w");
  EXPECT_EQ(*st("w").last_recovery, milliseconds(1300));
}

TEST_F(SupervisorTest, CrashLoopIsDetected) {
  SupervisorConfig o = options();
  o.crash_loop_count = 3;
  ProcessSupervisor sup(clock_, o);
  std::vector<WorkerEvent> events;
  sup.set_event_callback([&](const WorkerEvent& e) { events.push_back(e); });
  ASSERT_TRUE(sup.add(WorkerSpec{"bad", {"sh", "-c", "exit 3"}, "", ""}).ok());
  for (int i = 0; i < 3; ++i) {
    sup.poll_once();
    ASSERT_TRUE(wait_until([&] {
      sup.poll_once();
      return sup.status("bad")->pid == 0;
    }));
    clock_.advance(seconds(4));
  }
  EXPECT_EQ(sup.status("bad")->state, WorkerState::kFailed);
  EXPECT_EQ(sup.status("bad")->last_exit, "exit 3");
  ASSERT_FALSE(events.empty());
  EXPECT_EQ(events.back().kind, WorkerEventKind::kFailed);
  EXPECT_NE(events.back().detail.find("crash loop"), std::string::npos) << events.back().detail;
  clock_.advance(seconds(60));
  sup.poll_once();
  EXPECT_EQ(sup.status("bad")->spawns, 3);  // no more restarts
}

TEST_F(SupervisorTest, ExecFailureFailsAtOnce) {
  ASSERT_TRUE(sup_.add(WorkerSpec{"x", {"/nonexistent/r1serve"}, "--port", ""}).ok());
  sup_.poll_once();
  EXPECT_EQ(st("x").state, WorkerState::kFailed);
  EXPECT_NE(st("x").last_exit.find("No such file"), std::string::npos) << st("x").last_exit;
}

TEST_F(SupervisorTest, PassesAFreePortAndLogs) {
  const std::string dir = std::string(R1_BINARY_DIR);
  const std::string out = dir + "/gateway_sup_args.txt";
  const std::string log = dir + "/gateway_sup_log.txt";
  ::unlink(out.c_str());
  ::unlink(log.c_str());
  WorkerSpec spec{"p", {"sh", "-c", "echo \"$1 $2\" > " + out + "; echo hello; exec sleep 300", "w"}, "--port", log};
  ASSERT_TRUE(sup_.add(spec).ok());
  sup_.poll_once();
  const int port = st("p").port;
  ASSERT_GT(port, 0);
  std::string line;
  ASSERT_TRUE(wait_until([&] {
    std::ifstream in(out);
    return std::getline(in, line) && !line.empty();
  }));
  EXPECT_EQ(line, "--port " + std::to_string(port));
  ASSERT_TRUE(wait_until([&] {
    std::ifstream in(log);
    std::string l;
    return std::getline(in, l) && l == "hello";
  }));
  ASSERT_EQ(events_.size(), 1u);
  EXPECT_EQ(events_[0].kind, WorkerEventKind::kSpawned);
  EXPECT_EQ(events_[0].port, port);
}

TEST_F(SupervisorTest, UnresponsiveWorkerIsKilledAndRespawned) {
  ASSERT_TRUE(sup_.add(sleeper("w")).ok());
  sup_.poll_once();
  const pid_t pid = st("w").pid;
  sup_.report_unresponsive("w");
  await_reaped("w");
  EXPECT_EQ(st("w").last_exit, "killed: unresponsive (signal 9)");
  clock_.advance(seconds(1));
  sup_.poll_once();
  EXPECT_GT(st("w").pid, 0);
  EXPECT_NE(st("w").pid, pid);
}

TEST_F(SupervisorTest, StopAllLeavesNoOrphans) {
  // A tree per worker; the second ignores SIGTERM and needs the SIGKILL.
  ASSERT_TRUE(sup_.add(WorkerSpec{"tree", {"sh", "-c", "sleep 300 & sleep 300 & wait"}, "", ""}).ok());
  ASSERT_TRUE(sup_.add(WorkerSpec{"stubborn", {"sh", "-c", "trap '' TERM; sleep 300 & wait; sleep 300"}, "", ""}).ok());
  sup_.poll_once();
  const pid_t a = st("tree").pid, b = st("stubborn").pid;
  ASSERT_TRUE(wait_until([&] { return live_group_members(a).size() == 3 && live_group_members(b).size() == 2; }));
  const auto t0 = SteadyClock::now();
  sup_.stop_all();
  EXPECT_GE(SteadyClock::now() - t0, milliseconds(300));  // waited the grace for "stubborn"
  EXPECT_TRUE(wait_until([&] { return live_group_members(a).empty() && live_group_members(b).empty(); }));
  EXPECT_EQ(st("tree").state, WorkerState::kStopped);
  EXPECT_FALSE(sup_.add(sleeper("late")).ok());
  sup_.poll_once();  // nothing respawns after a stop
  EXPECT_EQ(st("tree").pid, 0);
}

TEST_F(SupervisorTest, RemoveStopsOneWorker) {
  ASSERT_TRUE(sup_.add(sleeper("a")).ok());
  ASSERT_TRUE(sup_.add(sleeper("b")).ok());
  sup_.poll_once();
  const pid_t a = st("a").pid;
  ASSERT_TRUE(sup_.remove("a").ok());
  EXPECT_FALSE(sup_.status("a").has_value());
  EXPECT_FALSE(alive(a));
  EXPECT_GT(st("b").pid, 0);
  EXPECT_FALSE(sup_.remove("a").ok());
}

TEST_F(SupervisorTest, ThreadedModeRestartsOnItsOwn) {
  SupervisorConfig o = options();
  o.backoff_base = milliseconds(20);
  o.poll_interval = milliseconds(5);
  ProcessSupervisor sup(real_clock(), o);
  ASSERT_TRUE(sup.add(sleeper("w")).ok());
  sup.start();
  ASSERT_TRUE(wait_until([&] { return sup.status("w")->pid > 0; }));
  ::kill(sup.status("w")->pid, SIGKILL);
  EXPECT_TRUE(wait_until([&] { return sup.status("w")->spawns == 2 && sup.status("w")->pid > 0; }));
  sup.stop_all();
}

// The gateway dying with SIGKILL (no stop_all) still takes its workers down.
TEST(Supervisor, WorkersDieWithTheGateway) {
  int fds[2];
  ASSERT_EQ(::pipe(fds), 0);
  const pid_t gateway = ::fork();
  ASSERT_GE(gateway, 0);
  if (gateway == 0) {
    ::close(fds[0]);
    Result<pid_t> worker = spawn_process(SpawnParams{{"sleep", "300"}, ""});
    pid_t pid = worker.ok() ? *worker : -1;
    ssize_t ignored = ::write(fds[1], &pid, sizeof(pid));
    (void)ignored;
    ::pause();
    ::_exit(0);
  }
  ::close(fds[1]);
  pid_t worker = 0;
  ASSERT_EQ(::read(fds[0], &worker, sizeof(worker)), static_cast<ssize_t>(sizeof(worker)));
  ::close(fds[0]);
  ASSERT_GT(worker, 0);
  EXPECT_TRUE(alive(worker));
  ::kill(gateway, SIGKILL);
  ::waitpid(gateway, nullptr, 0);
  EXPECT_TRUE(wait_until([&] { return !alive(worker); }));
}

TEST(Process, DescribesWaitStatus) {
  Result<pid_t> pid = spawn_process(SpawnParams{{"sh", "-c", "exit 7"}, ""});
  ASSERT_TRUE(pid.ok());
  int status = 0;
  ASSERT_EQ(::waitpid(*pid, &status, 0), *pid);
  EXPECT_EQ(describe_wait_status(status), "exit 7");
  EXPECT_FALSE(spawn_process(SpawnParams{}).ok());
}

}  // namespace
}  // namespace r1::gateway
