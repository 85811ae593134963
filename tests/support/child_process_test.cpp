// test_support::ChildProcess on /bin/sh: stderr capture and waiting for a
// line, the environment, exit statuses (code, signal, exec failure), the
// destructor's SIGTERM-then-SIGKILL, and run_command().
#include <gtest/gtest.h>
#include <signal.h>

#include <chrono>
#include <string>

#include "support/child_process.h"

namespace r1::test_support {
namespace {

using Ms = std::chrono::milliseconds;
using SteadyClock = std::chrono::steady_clock;

TEST(ChildProcess, CapturesStderrAndTheExitCode) {
  ChildProcess p({"/bin/sh", "-c", "echo out; echo first >&2; sleep 0.2; echo second >&2; exit 3"});
  ASSERT_GT(p.pid(), 0);
  EXPECT_TRUE(p.wait_for_log("first", Ms(10'000))) << p.log();
  EXPECT_TRUE(p.wait_for_log([](const std::string& log) { return log.find("second\n") != std::string::npos; },
                             Ms(10'000)));
  EXPECT_EQ(p.wait_exit(Ms(10'000)), 3);
  EXPECT_EQ(p.wait_exit(Ms(0)), 3);  // again, once reaped
  EXPECT_TRUE(p.exited());
  EXPECT_EQ(p.log(), "first\nsecond\n");  // stdout went to /dev/null
  EXPECT_EQ(p.log_tail(7), "...second\n");
  EXPECT_FALSE(p.wait_for_log("never", Ms(10'000)));  // stderr closed: no wait
}

TEST(ChildProcess, ExtraEnvironmentComesFirst) {
  ChildProcess p({"/bin/sh", "-c", "echo \"[$R1_CHILD_TEST] [$HOME]\" >&2"},
                 {.env = {"R1_CHILD_TEST=one two", "HOME=/r1-home"}});
  EXPECT_EQ(p.wait_exit(Ms(10'000)), 0);
  EXPECT_TRUE(p.wait_for_log("\n", Ms(10'000)));
  EXPECT_EQ(p.log(), "[one two] [/r1-home]\n");
}

TEST(ChildProcess, SignalsAndExecFailures) {
  ChildProcess sleeper({"/bin/sh", "-c", "exec sleep 30"});
  EXPECT_FALSE(sleeper.exited());
  EXPECT_EQ(sleeper.wait_exit(Ms(50)), -1);
  sleeper.send_signal(SIGKILL);
  EXPECT_EQ(sleeper.wait_exit(Ms(10'000)), -2);

  ChildProcess missing({"/nonexistent-r1/binary"});
  EXPECT_EQ(missing.wait_exit(Ms(10'000)), 127);
}

TEST(ChildProcess, DestructorEscalatesFromSigtermToSigkill) {
  const auto t0 = SteadyClock::now();
  {
    // Ignores SIGTERM: only the SIGKILL after stop_grace ends it.
    ChildProcess stubborn({"/bin/sh", "-c", "trap '' TERM; echo ready >&2; while :; do sleep 0.05; done"},
                          {.stop_grace = Ms(300)});
    ASSERT_TRUE(stubborn.wait_for_log("ready", Ms(10'000)));
  }
  EXPECT_GE(SteadyClock::now() - t0, Ms(300));
  const auto t1 = SteadyClock::now();
  {
    ChildProcess polite({"/bin/sh", "-c", "echo ready >&2; exec sleep 30"});
    ASSERT_TRUE(polite.wait_for_log("ready", Ms(10'000)));
  }
  // SIGTERM ends it: the destructor does not sit out the 15 s grace.
  EXPECT_LT(SteadyClock::now() - t1, Ms(10'000));
}

TEST(ChildProcess, RunCommandGivesTheExitStatus) {
  EXPECT_EQ(run_command({"/bin/sh", "-c", "exit 0"}), 0);
  EXPECT_EQ(run_command({"/bin/sh", "-c", "exit 9"}), 9);
  EXPECT_EQ(run_command({"/bin/sh", "-c", "kill -9 $$"}), -2);
  EXPECT_EQ(run_command({}), -1);
}

TEST(PollUntil, TrueOnceThePredicateHoldsElseFalseAtTheTimeout) {
  int calls = 0;
  EXPECT_TRUE(poll_until([&] { return ++calls == 3; }, Ms(10'000), Ms(1)));
  EXPECT_EQ(calls, 3);
  EXPECT_FALSE(poll_until([] { return false; }, Ms(30), Ms(5)));
}

}  // namespace
}  // namespace r1::test_support
