#include "core/os/fd_limit.h"

#include <sys/resource.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <string>

namespace r1 {

namespace {

uint64_t capped(rlim_t v) {
  if (v == RLIM_INFINITY) return kMaxFdLimit;
  return std::min<uint64_t>(static_cast<uint64_t>(v), kMaxFdLimit);
}

}  // namespace

Result<FdLimit> raise_fd_limit() {
  rlimit lim{};
  if (getrlimit(RLIMIT_NOFILE, &lim) != 0) {
    return make_error(ErrorCode::kIo, std::string("getrlimit(RLIMIT_NOFILE): ") + std::strerror(errno));
  }
  FdLimit out;
  out.soft_before = capped(lim.rlim_cur);
  out.hard = capped(lim.rlim_max);
  out.soft = out.soft_before;
  if (out.soft >= out.hard) return out;
  rlimit raised = lim;
  raised.rlim_cur = static_cast<rlim_t>(out.hard);
  if (setrlimit(RLIMIT_NOFILE, &raised) != 0) {
    return make_error(ErrorCode::kIo, "setrlimit(RLIMIT_NOFILE, " + std::to_string(out.hard) +
                                          "): " + std::strerror(errno));
  }
  out.soft = out.hard;
  return out;
}

uint64_t fd_soft_limit() {
  rlimit lim{};
  if (getrlimit(RLIMIT_NOFILE, &lim) != 0) return 0;
  return capped(lim.rlim_cur);
}

}  // namespace r1
