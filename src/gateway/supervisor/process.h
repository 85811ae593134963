// Process primitives under the Supervisor: fork + exec into a new process
// group with PR_SET_PDEATHSIG, and group termination with a grace period.
// See supervisor.h for the policy around them.
//
// Thread contract: free functions; spawn_process() may be called from any
// thread, but the calling thread is the child's PDEATHSIG parent, so it must
// outlive the child.
#pragma once

#include <sys/types.h>

#include <string>
#include <vector>

#include "core/result.h"
#include "core/clock.h"

namespace r1::gateway {

struct SpawnParams {
  std::vector<std::string> argv;  // argv[0]: a path, or a name looked up in PATH
  std::string log_path;           // empty: inherit stdout/stderr
};

// The child's pid (also its process group id). Exec failures come back as
// an Error naming argv[0] (the child has exited and been reaped).
Result<pid_t> spawn_process(const SpawnParams& params);

// SIGTERM to each process group, SIGKILL to the groups still alive after
// `grace`, SIGKILL to every group once its leader is reaped (stragglers).
// Returns how each leader exited ("exit 0", "signal 9"), in order.
std::vector<std::string> terminate_groups(const std::vector<pid_t>& pids, Duration grace);

// "exit 3" / "signal 9" from a waitpid status.
std::string describe_wait_status(int status);

}  // namespace r1::gateway
