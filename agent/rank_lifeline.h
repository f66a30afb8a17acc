// RankLifeline: the ranks' process groups die with the agent, however it dies.
//
// Each rank is a process group of its own (setsid), so when the agent dies
// without running its destructors (kill -9, the OOM killer, a crash) nothing
// stops the ranks: they run on as orphans, e.g. a trainer that keeps writing
// checkpoints while the job's next attempt runs on another node.
// PR_SET_PDEATHSIG alone does not cover it: ranks are started with
// posix_spawn (no hook between fork and exec), the signal reaches only the
// direct child (`/bin/sh -c`, which dash does not replace with the command),
// and it fires when the spawning thread exits, not the process.
//
// The lifeline is one helper process per runtime, forked from the agent (no
// exec; it makes async-signal-safe system calls only) into a session of its
// own, holding one end of a socket pair. The agent holds the other end
// (close-on-exec: no rank inherits it) and tells the helper the group id of
// every rank it starts and ends. When the agent process dies, the kernel
// closes its end; the helper reads end-of-file, sends SIGKILL to every group
// still registered, and exits. Close() (and the destructor) does the same on
// purpose.
//
// Left uncovered: a rank whose agent dies between the spawn and Add()
// (microseconds), and a process that leaves its rank's group (setsid).
//
// Thread-safety: not thread-safe; belongs to its runtime's thread.
#pragma once

#include <sys/types.h>

#include <set>

#include "common/status.h"

namespace jobctl::agent {

class RankLifeline {
 public:
  RankLifeline() = default;
  ~RankLifeline() { Close(); }
  RankLifeline(const RankLifeline&) = delete;
  RankLifeline& operator=(const RankLifeline&) = delete;

  // Starts the helper (once; OK when it runs already).
  Status Start();
  // Registers / unregisters a rank's process group. When the helper is gone
  // (killed), a new one is started and given every registered group.
  Status Add(pid_t pgid);
  Status Remove(pid_t pgid);
  // Closes the agent's end: the helper kills every group still registered
  // and exits; waits (bounded) until it has.
  void Close();

  pid_t helper_pid() const { return helper_; }

 private:
  Status Send(int record);
  Status Restart();

  int fd_ = -1;
  pid_t helper_ = -1;
  std::set<pid_t> groups_;
};

}  // namespace jobctl::agent
