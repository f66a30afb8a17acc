// The optional YAML configuration file (--config): the node pools.
//
//   pools:
//     - name: cpu
//       min_nodes: 0
//       max_nodes: 3
//       idle_timeout: 120        # seconds
//       provision_timeout: 300   # seconds
//       provider:
//         type: local            # or: command
//
// docs/pools.md is the reference. Errors are reported like job specs':
// "FILE:LINE:COL: pools[0].max_nodes: expected ..., got ...", one per line.
//
// Thread-safety: free functions.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "common/status.h"

namespace jobctl::controller {

struct ProviderConfig {
  std::string type = "local";  // local | command
  // local: the jobagent binary (empty: next to jobctld, then $PATH), extra
  // arguments for every agent, and the SIGTERM -> SIGKILL grace.
  std::string agent_binary;
  std::vector<std::string> agent_args;
  int64_t stop_grace_ms = 10000;
  bool netns = false;  // not implemented yet: refused when true
  // command: shell commands run with /bin/sh -c.
  std::string create;
  std::string del;  // `delete`
  int64_t timeout_ms = 300000;
};

struct PoolConfig {
  std::string name;
  int min_nodes = 0;
  int max_nodes = 1;
  int64_t idle_timeout_ms = 120000;
  int64_t provision_timeout_ms = 300000;
  ProviderConfig provider;
};

struct ControllerConfig {
  std::vector<PoolConfig> pools;
};

Result<ControllerConfig> LoadConfigFile(const std::string& path);
Result<ControllerConfig> ParseConfig(const std::string& yaml, const std::string& file_name);

}  // namespace jobctl::controller
