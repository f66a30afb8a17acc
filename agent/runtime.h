// Runtime: starts a rank and stops it. The seam between the agent and how a
// rank's processes are run: ProcessRuntime (a process group on the host)
// today; podman/docker containers later implement the same interface.
//
// Contract: Start() returns the read ends of the rank's stdout and stderr
// (non-blocking; the caller owns and closes them) and, on the io_context the
// runtime was built with, calls `on_exit` exactly once when the rank has
// ended. By then the runtime has also killed whatever the rank left behind
// (its whole process group), so nothing of the rank outlives it.
// Signal() delivers a signal to every process of the rank.
//
// Thread-safety: a Runtime belongs to the thread running its io_context.
#pragma once

#include <functional>
#include <string>
#include <vector>

#include "agent/child_process.h"
#include "common/status.h"

namespace jobctl::agent {

struct RankLaunch {
  std::string command;           // run with /bin/sh -c
  std::string cwd;               // must exist
  std::vector<std::string> env;  // the complete environment, "KEY=VALUE"
};

struct StartedRank {
  int id = 0;          // the runtime's handle for Signal()
  int stdout_fd = -1;
  int stderr_fd = -1;
  int pid = 0;         // for diagnostics and tests
};

class Runtime {
 public:
  virtual ~Runtime() = default;
  virtual Result<StartedRank> Start(const RankLaunch& launch,
                                    std::function<void(ExitInfo)> on_exit) = 0;
  // Signals every process of the rank. Signalling a rank that already ended
  // (or an id the runtime never gave out) is a no-op and OK.
  virtual Status Signal(int id, int signal) = 0;
};

}  // namespace jobctl::agent
