// A scratch directory for a test: made under the system's temporary
// directory with a name unique to this process and object
// ("<prefix>_<pid>_<n>"), removed with everything in it when destroyed.
// scratch_path() gives a file in one such directory per process and
// prefix, removed at exit.
//
// Thread contract: TempDir is a value owned by one test; scratch_path() is
// safe to call from any thread.
#pragma once

#include <unistd.h>

#include <atomic>
#include <filesystem>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <system_error>

namespace r1::test_support {

class TempDir {
 public:
  explicit TempDir(const std::string& prefix) {
    static std::atomic<int> counter{0};
    path_ = std::filesystem::temp_directory_path() /
            (prefix + "_" + std::to_string(::getpid()) + "_" + std::to_string(counter.fetch_add(1)));
    std::filesystem::create_directories(path_);
  }
  ~TempDir() {
    std::error_code ec;
    std::filesystem::remove_all(path_, ec);
  }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;

  const std::filesystem::path& path() const { return path_; }
  std::string file(const std::string& name) const { return (path_ / name).string(); }

 private:
  std::filesystem::path path_;
};

inline std::string scratch_path(const std::string& prefix, const std::string& name) {
  static std::mutex mu;
  static std::map<std::string, std::unique_ptr<TempDir>> dirs;
  std::lock_guard<std::mutex> lock(mu);
  std::unique_ptr<TempDir>& dir = dirs[prefix];
  if (!dir) dir = std::make_unique<TempDir>(prefix);
  return dir->file(name);
}

}  // namespace r1::test_support
