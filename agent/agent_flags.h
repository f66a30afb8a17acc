// The agent's command-line flags. Each flag's default and help text sit
// together in agent_flags.cc.
//
// Thread-safety: plain data.
#pragma once

#include <map>
#include <optional>
#include <string>
#include <vector>

#include "common/auth/token.h"
#include "common/status.h"

namespace jobctl::agent {

struct AgentFlags {
  std::string controller = "tcp://127.0.0.1:7070";
  std::string work_dir = "/var/lib/jobagent";
  std::string node_id;          // empty: WORK/node-id, else the hostname
  std::string advertise_addr;   // empty: the local address that reaches the controller
  double cpus = 0;              // 0: hardware_concurrency
  int64_t memory_bytes = 0;     // 0: MemTotal of /proc/meminfo
  int gpus = -1;                // -1: nvidia-smi; N >= 0: fake GPUs 0..N-1
  std::string pool = "default";
  std::map<std::string, std::string> labels;
  int heartbeat_ms = 1000;
  int grace_period_ms = 10000;  // default SIGTERM -> SIGKILL grace
  int request_timeout_ms = 5000;
  std::string log_level = "info";
  // Runtimes (runtime_factory.h).
  std::string runtime;                       // podman | docker | process; empty: auto
  std::vector<std::string> insecure_registries;
  std::string podman_oci_runtime = "runc";   // podman --runtime; empty: podman's default
  std::string podman_cgroup_manager = "cgroupfs";  // podman --cgroup-manager; empty: default
  std::string podman_root;                   // podman --root; empty: podman's default
  std::string podman_runroot;                // podman --runroot; empty: podman's default
  std::string containers_conf;               // empty: WORK/containers.conf, written by the agent
  int pull_timeout_s = 600;
  std::string token_file;  // --token-file: the join token; empty: $JOBCTL_TOKEN
  bool keep_attempt_dirs = false;  // keep finished attempts' WORK/jobs/ directories
};

// Parses argv. `--help` gives kCancelled with the help text as the message;
// bad input gives kInvalidArgument naming the option.
Result<AgentFlags> ParseAgentFlags(int argc, char** argv);

// The message when neither --token-file nor $JOBCTL_TOKEN gives a token.
inline constexpr const char* kNoJoinTokenMessage =
    "no join token: pass --token-file FILE (create one with `jobctl token create --agent`)";

// The agent's join token: --token-file FILE when given, else `env_token`
// (the text of $JOBCTL_TOKEN). kInvalidArgument naming the source when
// neither gives one, when it cannot be read or parsed, or when it is a user
// token ("a user token cannot join as an agent").
Result<auth::Token> ResolveJoinToken(const std::string& token_file,
                                     const std::optional<std::string>& env_token);

}  // namespace jobctl::agent
