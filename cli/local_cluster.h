// A local cluster for `jobctl up` / `jobctl down`: one jobctld and N jobagent
// processes on this host, all state under one data folder:
//
//   DIR/
//     controller/             jobctld --data-dir
//       auth/admin.token      written by jobctld on its first start: the
//                             local admin's token, stored in the user's
//                             config by `up`
//       auth/agent.token      the join token the local agents start with
//     agents/local-1/         jobagent --work-dir of node local-1
//     run/
//       controller.endpoint   tcp://127.0.0.1:PORT, chosen on the first `up`
//       jobctld.pid
//       local-1.pid
//     logs/
//       jobctld.log           the daemon's stdout and stderr
//       local-1.log
//
// Every path is built by LocalClusterPaths. A pid file counts as live only
// when its process exists, is not a zombie, and its /proc/PID/cmdline names
// the expected binary and this data folder (so a recycled pid is never
// signalled).
//
// Thread-safety: not thread-safe (forks, reaps children).
#pragma once

#include <sys/types.h>

#include <chrono>
#include <optional>
#include <string>
#include <vector>

#include "common/status.h"

namespace jobctl::cli {

inline constexpr const char* kControllerBinary = "jobctld";
inline constexpr const char* kAgentBinary = "jobagent";

class LocalClusterPaths {
 public:
  explicit LocalClusterPaths(std::string dir) : dir_(std::move(dir)) {}
  const std::string& dir() const { return dir_; }
  std::string ControllerDataDir() const { return dir_ + "/controller"; }
  std::string AdminTokenFile() const { return ControllerDataDir() + "/auth/admin.token"; }
  std::string AgentTokenFile() const { return ControllerDataDir() + "/auth/agent.token"; }
  std::string AgentWorkDir(const std::string& node_id) const { return dir_ + "/agents/" + node_id; }
  std::string RunDir() const { return dir_ + "/run"; }
  std::string LogDir() const { return dir_ + "/logs"; }
  std::string EndpointFile() const { return RunDir() + "/controller.endpoint"; }
  std::string ControllerPidFile() const { return RunDir() + "/jobctld.pid"; }
  std::string ControllerLog() const { return LogDir() + "/jobctld.log"; }
  std::string AgentPidFile(const std::string& node_id) const { return RunDir() + "/" + node_id + ".pid"; }
  std::string AgentLog(const std::string& node_id) const { return LogDir() + "/" + node_id + ".log"; }
  // "local-1", "local-2", ...
  static std::string AgentNodeId(int index) { return "local-" + std::to_string(index); }

 private:
  std::string dir_;
};

// The directory of the running executable (readlink /proc/self/exe).
std::string SelfDir();
// `name` next to this executable, else on $PATH. kNotFound naming both.
Result<std::string> FindDaemonBinary(const std::string& name);

// A TCP port on 127.0.0.1 that was free a moment ago.
Result<int> PickFreePort();

// The pid in `pid_file` when that process is live and its command line has
// `binary` as argv[0]'s basename and mentions `must_mention`; nullopt
// otherwise (missing file, dead process, recycled pid).
std::optional<pid_t> LivePid(const std::string& pid_file, const std::string& binary,
                             const std::string& must_mention);

// Whether `pid` exists and is not a zombie.
bool ProcessAlive(pid_t pid);

// Starts `argv` in the background: a new session, stdin /dev/null, stdout and
// stderr appended to `log_file`; writes its pid to `pid_file`. The child stays
// this process's child (use ChildExited to see an early death).
Result<pid_t> SpawnDaemon(const std::vector<std::string>& argv, const std::string& log_file,
                          const std::string& pid_file);

// For a child started by SpawnDaemon: a description of how it ended
// ("exited with code 1", "killed by signal 9") once it has, else nullopt.
std::optional<std::string> ChildExited(pid_t pid);

// Sends SIGTERM to each pid, waits up to `grace` for all to end, then sends
// SIGKILL to the rest. Returns the pids that had to be killed.
std::vector<pid_t> StopProcesses(const std::vector<pid_t>& pids, std::chrono::milliseconds grace);

// Reads a whole small file; nullopt when it cannot be read.
std::optional<std::string> ReadSmallFile(const std::string& path);
Status WriteSmallFile(const std::string& path, const std::string& content);
// The last `lines` lines of a file, for error messages.
std::string TailOfFile(const std::string& path, int lines);

}  // namespace jobctl::cli
