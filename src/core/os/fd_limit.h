// The process's open-file limit (RLIMIT_NOFILE). A server or load generator
// holding ~1,000 sockets needs more than the usual soft limit of 1024:
// raise_fd_limit() lifts the soft limit to the hard limit (which needs no
// privilege), capped at kMaxFdLimit.
//
// Thread contract: process-wide state; call at start-up, from one thread.
#pragma once

#include <cstdint>

#include "core/result.h"

namespace r1 {

inline constexpr uint64_t kMaxFdLimit = uint64_t{1} << 20;  // Linux's default nr_open

struct FdLimit {
  uint64_t soft = 0;  // after the call
  uint64_t hard = 0;  // kMaxFdLimit when unlimited
  uint64_t soft_before = 0;
};

// Errors (kIo) when getrlimit/setrlimit fail; the limit is then unchanged.
Result<FdLimit> raise_fd_limit();

// The current soft limit (0 if unknown).
uint64_t fd_soft_limit();

}  // namespace r1
