// The optional YAML configuration file (--config).
//
// Today it holds only a `pools:` list, validated lightly (each entry a map
// with a unique `name`); pools and autoscaling are not implemented yet, so
// the controller reads the names and does nothing else with them.
//
// Thread-safety: free functions.
#pragma once

#include <string>
#include <vector>

#include "common/status.h"

namespace jobctl::controller {

struct PoolConfig {
  std::string name;
};

struct ControllerConfig {
  std::vector<PoolConfig> pools;
};

// Errors name the file and the field, e.g. "c.yaml: pools[1].name: missing".
Result<ControllerConfig> LoadConfigFile(const std::string& path);
Result<ControllerConfig> ParseConfig(const std::string& yaml, const std::string& file_name);

}  // namespace jobctl::controller
