// Runtime: starts a rank and stops it. The seam between the agent and how a
// rank's processes are run: ProcessRuntime (a process group on the host) and
// ContainerRuntime (a podman or docker container per rank, see
// container_runtime.h).
//
// Contract: Start() returns the read ends of the rank's stdout and stderr
// (non-blocking; the caller owns and closes them) and, on the io_context the
// runtime was built with, calls `on_exit` exactly once when the rank has
// ended. By then the runtime has also killed whatever the rank left behind
// (its whole process group), so nothing of the rank outlives it.
// Signal() delivers a signal to every process of the rank.
// PrepareImage() makes a job's environment image usable on this node before
// its ranks start (pull or cache); runtimes without images refuse it.
//
// Thread-safety: a Runtime belongs to the thread running its io_context.
#pragma once

#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "agent/child_process.h"
#include "common/status.h"

namespace jobctl::agent {

struct RankLaunch {
  std::string command;           // run with /bin/sh -c
  std::string cwd;               // must exist
  std::vector<std::string> env;  // the complete environment, "KEY=VALUE"
  // For container runtimes (the process runtime refuses a non-empty image).
  std::string image;                // the job's environment.image, pulled by PrepareImage
  std::vector<int> gpus;            // host GPU indices of this rank
  std::vector<std::string> mounts;  // host directories mounted at the same path
  std::vector<std::string> read_only_mounts;  // host paths (inputs) mounted read-only
  std::string job_id;               // name the container jobctl-JOB-aATTEMPT-rRANK
  int attempt = 0;
  int rank = 0;
};

struct ImageRequest {
  std::string image;
  std::string pull_policy = "if_not_present";  // always | if_not_present | never
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
  // Makes `request.image` present on this node. `on_line` gets progress lines
  // (e.g. the pull's output); `on_done` runs once, on the io_context thread
  // (possibly before PrepareImage returns), with OK or the reason the image
  // cannot be used.
  virtual void PrepareImage(const ImageRequest& request,
                            std::function<void(std::string_view line)> on_line,
                            std::function<void(Status)> on_done);
  // "process", "podman" or "docker".
  virtual std::string Name() const { return "process"; }
};

}  // namespace jobctl::agent
