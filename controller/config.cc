#include "controller/config.h"

#include <fstream>
#include <set>
#include <sstream>

#include <yaml-cpp/yaml.h>

namespace jobctl::controller {

Result<ControllerConfig> ParseConfig(const std::string& yaml, const std::string& file_name) {
  ControllerConfig config;
  try {
    YAML::Node root = YAML::Load(yaml);
    if (!root || root.IsNull()) return config;
    if (!root.IsMap()) return InvalidArgumentError(file_name + ": expected a map at the top level");
    for (const auto& entry : root) {
      std::string key = entry.first.as<std::string>();
      if (key != "pools") {
        return InvalidArgumentError(file_name + ":" + std::to_string(entry.first.Mark().line + 1) +
                                    ": unknown key '" + key + "' (known: pools)");
      }
    }
    YAML::Node pools = root["pools"];
    if (!pools || pools.IsNull()) return config;
    if (!pools.IsSequence()) return InvalidArgumentError(file_name + ": pools: expected a list");
    std::set<std::string> seen;
    for (size_t i = 0; i < pools.size(); ++i) {
      std::string where = file_name + ": pools[" + std::to_string(i) + "]";
      if (!pools[i].IsMap()) return InvalidArgumentError(where + ": expected a map");
      YAML::Node name = pools[i]["name"];
      if (!name || !name.IsScalar() || name.as<std::string>().empty()) {
        return InvalidArgumentError(where + ".name: missing or empty");
      }
      PoolConfig pool{name.as<std::string>()};
      if (!seen.insert(pool.name).second) {
        return InvalidArgumentError(where + ".name: duplicate pool '" + pool.name + "'");
      }
      config.pools.push_back(pool);
    }
  } catch (const YAML::Exception& e) {
    return InvalidArgumentError(file_name + ": " + e.what());
  }
  return config;
}

Result<ControllerConfig> LoadConfigFile(const std::string& path) {
  std::ifstream in(path);
  if (!in) return InvalidArgumentError("--config: cannot read " + path);
  std::stringstream buffer;
  buffer << in.rdbuf();
  return ParseConfig(buffer.str(), path);
}

}  // namespace jobctl::controller
