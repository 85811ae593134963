// The worker's standard process_* metrics and its utilisation and leak
// signals (r1serve_cpu_available_cores, r1serve_process_anonymous_memory_bytes),
// checked against what this test process does: burning CPU, touching memory,
// opening files.
#include <fcntl.h>
#include <time.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <chrono>
#include <cstring>
#include <memory>
#include <string>
#include <thread>

#include "server/server_metrics.h"

namespace r1::server {
namespace {

double value_of(const std::string& text, const std::string& name) {
  const size_t at = text.find("\n" + name + " ");
  if (at == std::string::npos) return -1;
  return std::stod(text.substr(at + name.size() + 2));
}

std::string scrape(metrics::Registry& registry, ServerMetrics& m) {
  m.update(BackendStats{});
  return registry.expose();
}

// This process's CPU time (user + system), measured independently.
double process_cpu_now() {
  timespec ts{};
  clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
  return static_cast<double>(ts.tv_sec) + static_cast<double>(ts.tv_nsec) * 1e-9;
}

// Spins until the process used `seconds` of CPU (at most 20 s of wall time
// on a loaded machine); the CPU seconds actually used.
double burn_cpu(double seconds) {
  volatile double x = 1;
  const double start = process_cpu_now();
  const auto give_up = std::chrono::steady_clock::now() + std::chrono::seconds(20);
  while (process_cpu_now() - start < seconds && std::chrono::steady_clock::now() < give_up) {
    for (int i = 0; i < 10000; ++i) x = x * 1.0000001 + 1e-9;
  }
  return process_cpu_now() - start;
}

TEST(ProcessMetrics, StandardFamiliesAreExposedWithTypes) {
  metrics::Registry registry;
  ServerMetrics m(registry, "0.1.0", "tiny");
  const std::string text = scrape(registry, m);
  for (const char* family : {"process_resident_memory_bytes", "process_virtual_memory_bytes",
                             "process_start_time_seconds", "process_open_fds", "process_max_fds",
                             "r1serve_process_anonymous_memory_bytes", "r1serve_cpu_available_cores"}) {
    EXPECT_NE(text.find(std::string("# TYPE ") + family + " gauge\n"), std::string::npos) << family;
  }
  EXPECT_NE(text.find("# TYPE process_cpu_seconds_total counter\n"), std::string::npos);
  // The older name stays, with the same value as the standard one.
  EXPECT_EQ(value_of(text, "r1serve_process_resident_memory_bytes"), value_of(text, "process_resident_memory_bytes"));
}

TEST(ProcessMetrics, CpuSecondsFollowTheWorkDone) {
  metrics::Registry registry;
  ServerMetrics m(registry, "0.1.0", "tiny");
  const double before = value_of(scrape(registry, m), "process_cpu_seconds_total");
  ASSERT_GE(before, 0);
  const double used = burn_cpu(0.3);
  ASSERT_GE(used, 0.3);
  const double after = value_of(scrape(registry, m), "process_cpu_seconds_total");
  // /proc counts in clock ticks (10 ms): a tick or two either way.
  EXPECT_NEAR(after - before, used, 0.05);
  const double cores = value_of(registry.expose(), "r1serve_cpu_available_cores");
  EXPECT_GE(cores, 1);
  EXPECT_LE(cores, static_cast<double>(std::thread::hardware_concurrency()));
}

TEST(ProcessMetrics, StartTimeIsThisProcessStart) {
  metrics::Registry registry;
  ServerMetrics m(registry, "0.1.0", "tiny");
  const double start = value_of(scrape(registry, m), "process_start_time_seconds");
  const double now = std::chrono::duration<double>(std::chrono::system_clock::now().time_since_epoch()).count();
  EXPECT_LE(start, now + 1);
  EXPECT_GE(start, now - 600);  // this test binary started moments ago
}

TEST(ProcessMetrics, AnonymousMemoryAndFdsTrackAllocations) {
  metrics::Registry registry;
  ServerMetrics m(registry, "0.1.0", "tiny");
  std::string text = scrape(registry, m);
  const double anon = value_of(text, "r1serve_process_anonymous_memory_bytes");
  const double rss = value_of(text, "process_resident_memory_bytes");
  const double fds = value_of(text, "process_open_fds");
  ASSERT_GT(anon, 0);
  EXPECT_LE(anon, rss);
  constexpr size_t kBytes = 64u << 20;
  std::unique_ptr<char[]> block(new char[kBytes]);
  std::memset(block.get(), 1, kBytes);  // touched: resident and anonymous
  const int fd_a = open("/dev/null", O_RDONLY), fd_b = open("/dev/null", O_RDONLY);
  text = scrape(registry, m);
  EXPECT_GE(value_of(text, "r1serve_process_anonymous_memory_bytes") - anon, 0.75 * kBytes);
  EXPECT_GE(value_of(text, "process_resident_memory_bytes") - rss, 0.75 * kBytes);
  EXPECT_EQ(value_of(text, "process_open_fds") - fds, 2);
  EXPECT_GE(value_of(text, "process_max_fds"), value_of(text, "process_open_fds"));
  close(fd_a);
  close(fd_b);
  EXPECT_EQ(block[kBytes - 1], 1);
}

}  // namespace
}  // namespace r1::server
