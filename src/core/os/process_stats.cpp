#include "core/os/process_stats.h"

#include <sched.h>
#include <sys/resource.h>
#include <unistd.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <limits>
#include <sstream>
#include <string>
#include <vector>

namespace r1 {

namespace {

// "btime" of /proc/stat: the boot time in Unix seconds (0 if unknown).
double boot_time_seconds() {
  std::ifstream stat("/proc/stat");
  std::string key;
  double value = 0;
  while (stat >> key) {
    if (key == "btime" && (stat >> value)) return value;
    stat.ignore(std::numeric_limits<std::streamsize>::max(), '\n');
  }
  return 0;
}

double open_fd_count() {
  std::error_code ec;
  std::filesystem::directory_iterator it("/proc/self/fd", ec);
  if (ec) return 0;
  // The iterator's own descriptor is listed too.
  return std::max(0.0, static_cast<double>(std::distance(it, {})) - 1);
}

// A "Key:   N kB" line of /proc/self/status in bytes (0 if absent).
double status_kb(const std::string& key) {
  std::ifstream status("/proc/self/status");
  for (std::string line; std::getline(status, line);) {
    if (line.rfind(key + ":", 0) == 0) {
      std::istringstream in(line.substr(key.size() + 1));
      double kb = 0;
      if (in >> kb) return kb * 1024;
    }
  }
  return 0;
}

// cpu.max of this process's cgroup (v2): quota / period; 0 when unlimited.
double cgroup_cpu_quota() {
  std::ifstream cgroup("/proc/self/cgroup");
  std::string line, path;
  while (std::getline(cgroup, line)) {
    if (line.rfind("0::", 0) == 0) path = line.substr(3);
  }
  if (path.empty()) return 0;
  std::ifstream max("/sys/fs/cgroup" + path + "/cpu.max");
  std::string quota;
  double period = 0;
  if (!(max >> quota >> period) || quota == "max" || period <= 0) return 0;
  return std::stod(quota) / period;
}

}  // namespace

double available_cpu_cores() {
  cpu_set_t set;
  CPU_ZERO(&set);
  double cores = sched_getaffinity(0, sizeof(set), &set) == 0 ? CPU_COUNT(&set)
                                                              : static_cast<double>(sysconf(_SC_NPROCESSORS_ONLN));
  const double quota = cgroup_cpu_quota();
  if (quota > 0) cores = std::min(cores, quota);
  return std::max(cores, 1.0);
}

ProcessStats read_process_stats() {
  ProcessStats p;
  std::ifstream file("/proc/self/stat");
  std::string text((std::istreambuf_iterator<char>(file)), std::istreambuf_iterator<char>());
  // Fields after the command name "(...)": field N of proc(5) is token N-3.
  const size_t close = text.rfind(')');
  std::vector<std::string> tokens;
  if (close != std::string::npos) {
    std::istringstream in(text.substr(close + 1));
    for (std::string t; in >> t;) tokens.push_back(t);
  }
  const double ticks = static_cast<double>(sysconf(_SC_CLK_TCK));
  const double page = static_cast<double>(sysconf(_SC_PAGESIZE));
  if (tokens.size() > 21 && ticks > 0) {
    p.cpu_seconds = (std::stod(tokens[11]) + std::stod(tokens[12])) / ticks;
    p.start_time_seconds = boot_time_seconds() + std::stod(tokens[19]) / ticks;
    p.virtual_bytes = std::stod(tokens[20]);
    p.resident_bytes = std::stod(tokens[21]) * page;
  }
  p.anonymous_bytes = status_kb("RssAnon");
  p.open_fds = open_fd_count();
  rlimit limit{};
  if (getrlimit(RLIMIT_NOFILE, &limit) == 0 && limit.rlim_cur != RLIM_INFINITY) {
    p.max_fds = static_cast<double>(limit.rlim_cur);
  }
  return p;
}

}  // namespace r1
