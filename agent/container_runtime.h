// ContainerRuntime: each rank of a job with an environment image is a
// container of that image (ranks of jobs without one run as host processes,
// through an embedded ProcessRuntime),
// run through a container CLI (podman or docker) as a child process: the
// `podman run` client stays attached, so the rank's stdout and stderr are the
// client's pipes and its exit code is the container's.
//
// Containers get the host network and IPC namespaces (NCCL, rendezvous), the
// attempt's work directory mounted at the same path (code/ and outputs/ are
// inside it), the job's uri_file/uri_folder inputs mounted read-only at
// their paths, the rank's working directory, its environment (passed as
// `-e KEY` with the value in the client's environment, so values never show
// in `ps`), its GPUs by index (podman: CDI `--device nvidia.com/gpu=N`;
// docker: `--gpus "device=N,M"`; CUDA_VISIBLE_DEVICES is renumbered 0..k-1
// inside), `--init` (so SIGTERM reaches the command), the name
// jobctl-JOB-aATTEMPT-rRANK and the label jobctl.node=NODE.
//
// Signal(SIGTERM) is `stop -t GRACE`, Signal(SIGKILL) is `rm -f` (and the
// client's process group is killed); when the client exits the container is
// removed (`rm -f`) before on_exit runs, so no container of ours outlives its
// rank. RemoveLeftovers() removes containers labelled for this node that a
// previous agent left behind.
//
// PrepareImage pulls once per node and image: concurrent requests for one
// image share the pull; `if_not_present` checks the local store first,
// `always` pulls, `never` fails when the image is absent. Pulls are bounded
// by `pull_timeout`; registries listed in `insecure_registries` are reached
// over plain HTTP (podman `--tls-verify=false`; docker needs the daemon's
// "insecure-registries" setting instead).
//
// Thread-safety: belongs to the thread running `io`.
#pragma once

#include <chrono>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include <boost/asio/io_context.hpp>

#include "agent/command_runner.h"
#include "agent/process_runtime.h"
#include "agent/runtime.h"

namespace jobctl::agent {

struct ContainerCliOptions {
  std::string kind = "podman";             // podman | docker
  std::string binary = "/usr/bin/podman";  // absolute path of the CLI
  std::vector<std::string> global_flags;   // before the subcommand (--runtime runc ...)
  std::vector<std::string> extra_env;      // added to the CLI's environment (CONTAINERS_CONF=...)
  std::vector<std::string> base_env;       // the CLI's environment for helper commands
  std::vector<std::string> insecure_registries;  // HOST[:PORT] reached over plain HTTP
  std::string node_id;
  std::chrono::milliseconds pull_timeout{600000};
  std::chrono::milliseconds command_timeout{60000};  // stop, rm, image exists, ps
  int stop_grace_seconds = 10;
};

// The container name of one rank: jobctl-JOB-aATTEMPT-rRANK, characters
// outside [A-Za-z0-9_.-] replaced by '_'.
std::string ContainerName(const std::string& job_id, int attempt, int rank);
// The registry host of an image reference ("" for Docker Hub short names).
std::string RegistryOf(const std::string& image);
// Environment keys of the agent's host that do not enter a container (the
// image keeps its own PATH, HOME, ...).
bool HostOnlyVariable(const std::string& key);

// Command lines (argv) and the client environment, exposed for tests.
std::vector<std::string> RunArgv(const ContainerCliOptions& o, const RankLaunch& launch);
std::vector<std::string> RunClientEnv(const ContainerCliOptions& o, const RankLaunch& launch);
std::vector<std::string> PullArgv(const ContainerCliOptions& o, const std::string& image);
std::vector<std::string> ImageExistsArgv(const ContainerCliOptions& o, const std::string& image);
std::vector<std::string> StopArgv(const ContainerCliOptions& o, const std::string& name);
std::vector<std::string> KillArgv(const ContainerCliOptions& o, const std::string& name,
                                  int signal);
std::vector<std::string> RemoveArgv(const ContainerCliOptions& o,
                                    const std::vector<std::string>& names);
std::vector<std::string> ListOursArgv(const ContainerCliOptions& o);

class ContainerRuntime final : public Runtime {
 public:
  // `commands` must outlive the runtime.
  ContainerRuntime(boost::asio::io_context& io, CommandRunner* commands,
                   ContainerCliOptions options);
  ~ContainerRuntime() override;

  Result<StartedRank> Start(const RankLaunch& launch,
                            std::function<void(ExitInfo)> on_exit) override;
  Status Signal(int id, int signal) override;
  void PrepareImage(const ImageRequest& request, std::function<void(std::string_view line)> on_line,
                    std::function<void(Status)> on_done) override;
  std::string Name() const override { return options_.kind; }

  // Removes every container labelled jobctl.node=NODE; `on_done` gets how
  // many were removed, or why listing failed.
  void RemoveLeftovers(std::function<void(Result<int>)> on_done);

  const ContainerCliOptions& options() const { return options_; }

 private:
  struct Rank {
    std::string name;
    pid_t pid = 0;
    bool exited = false;
    std::unique_ptr<ExitWatcher> watcher;
  };
  struct Waiter {
    std::function<void(std::string_view)> on_line;
    std::function<void(Status)> on_done;
  };

  CommandSpec Helper(std::vector<std::string> argv) const;
  void Pull(const std::string& image);
  void FinishPull(const std::string& image, const Status& status);

  boost::asio::io_context& io_;
  CommandRunner* commands_;
  ContainerCliOptions options_;
  int next_id_ = 1;
  std::map<int, Rank> ranks_;
  ProcessRuntime host_;                               // ranks without an image
  std::map<int, int> host_ids_;                       // our id -> host_'s id
  std::map<std::string, std::vector<Waiter>> pulls_;  // image -> waiting attempts
  std::shared_ptr<bool> alive_ = std::make_shared<bool>(true);
};

}  // namespace jobctl::agent
