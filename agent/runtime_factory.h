// Picks and builds the agent's Runtime from its flags: `--runtime process`
// (host processes), `podman` or `docker` (containers, container_runtime.h);
// without the flag, podman if it is on PATH, else docker, else process.
//
// For podman the agent brings its own configuration instead of relying on
// /etc: it writes WORK/containers.conf (an empty `default_ulimits`, since
// podman's defaults can exceed the host's hard limits) and points its podman
// children at it with CONTAINERS_CONF (or at --containers-conf), and passes
// the global flags --runtime/--cgroup-manager/--root/--runroot from its own
// flags.
//
// Thread-safety: call from the thread that will run `io`.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include <boost/asio/io_context.hpp>

#include "agent/agent_flags.h"
#include "agent/command_runner.h"
#include "agent/container_runtime.h"
#include "agent/runtime.h"

namespace jobctl::agent {

struct RuntimeSetup {
  std::unique_ptr<CommandRunner> commands;
  std::unique_ptr<Runtime> runtime;
  ContainerRuntime* containers = nullptr;  // runtime, when it is a container runtime
};

// The absolute path of `name` in the colon-separated `path`, or "".
std::string FindInPath(const std::string& name, const std::string& path);

// Builds the podman/docker CLI options (exposed for tests).
Result<ContainerCliOptions> ContainerOptionsFromFlags(const std::string& kind,
                                                      const std::string& binary,
                                                      const AgentFlags& flags,
                                                      const std::string& node_id,
                                                      const std::vector<std::string>& base_env);

Result<RuntimeSetup> MakeRuntime(boost::asio::io_context& io, const AgentFlags& flags,
                                 const std::string& node_id,
                                 const std::vector<std::string>& base_env);

}  // namespace jobctl::agent
