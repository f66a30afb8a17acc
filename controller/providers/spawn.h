// Starting and watching the child processes providers run (agents, scripts)
// without blocking: Spawn() forks and execs at once; TryReap() asks whether
// the child ended (waitpid WNOHANG).
//
// Thread-safety: free functions; call from the thread that owns the children.
#pragma once

#include <sys/types.h>

#include <map>
#include <optional>
#include <string>
#include <vector>

#include "common/status.h"

namespace jobctl::controller {

struct SpawnOptions {
  std::vector<std::string> argv;
  std::map<std::string, std::string> env;  // added to (or replacing in) the environment
  std::string stdout_file;                 // truncated; empty: /dev/null
  std::string stderr_file;                 // truncated; empty: same as stdout
  bool die_with_parent = false;            // PR_SET_PDEATHSIG SIGTERM
};

// Starts the child in its own process group, stdin from /dev/null.
Result<pid_t> Spawn(const SpawnOptions& options);

// How the child ended ("exited with code 1", "killed by signal 9") and its
// exit code (128+signal when signalled) once it has; nullopt while it runs.
struct ChildExit {
  int code = 0;
  std::string how;
};
std::optional<ChildExit> TryReap(pid_t pid);

// Signals the child's process group (and the child, should it have left it).
void SignalGroup(pid_t pid, int sig);

// Reads a small file whole ("" when missing); at most `max_bytes`.
std::string ReadFileHead(const std::string& path, size_t max_bytes = 64 * 1024);

}  // namespace jobctl::controller
