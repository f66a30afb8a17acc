#include "controller/config.h"

#include <yaml-cpp/yaml.h>

#include <array>
#include <fstream>
#include <limits>
#include <set>
#include <sstream>
#include <string_view>

#include "common/job_spec/spec_diagnostics.h"
#include "common/job_spec/spec_reader.h"

namespace jobctl::controller {
namespace {

constexpr std::array<std::string_view, 1> kTopKeys = {"pools"};
constexpr std::array<std::string_view, 6> kPoolKeys = {
    "name", "min_nodes", "max_nodes", "idle_timeout", "provision_timeout", "provider"};
constexpr std::array<std::string_view, 8> kProviderKeys = {
    "type", "agent_binary", "agent_args", "stop_grace", "netns", "create", "delete", "timeout"};
constexpr std::array<std::string_view, 2> kProviderTypes = {"local", "command"};
constexpr int64_t kMaxSeconds = 30LL * 24 * 3600;

bool IsPoolName(std::string_view s) {
  if (s.empty() || s.size() > 63) return false;
  for (char c : s) {
    bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
              c == '-' || c == '_' || c == '.';
    if (!ok) return false;
  }
  return true;
}

SpecField Child(const SpecField& parent, const std::string& path, const YAML::Node& node) {
  SpecField f;
  f.node = node;
  f.path = path;
  f.mark = node.Mark().is_null() ? parent.mark : node.Mark();
  f.key_mark = f.mark;
  return f;
}

// Seconds (a non-negative integer) into milliseconds.
void ReadSeconds(const SpecMap& map, std::string_view key, int64_t min, SpecDiagnostics& diag,
                 int64_t* out_ms) {
  const SpecField* f = map.Find(key);
  if (!f) return;
  auto v = ReadInteger(*f, diag, min, kMaxSeconds,
                       min == 0 ? "a number of seconds >= 0" : "a number of seconds >= 1");
  if (v) *out_ms = *v * 1000;
}

void ParseProvider(const SpecField& field, PoolConfig& pool, SpecDiagnostics& diag) {
  std::optional<SpecMap> map = SpecMap::Read(field, kProviderKeys, diag);
  if (!map) return;
  ProviderConfig& p = pool.provider;
  if (const SpecField* f = map->Require("type", diag)) {
    if (auto t = ReadEnum(*f, diag, kProviderTypes)) p.type = *t;
  }
  if (const SpecField* f = map->Find("agent_binary")) {
    if (auto v = ReadString(*f, diag, true)) p.agent_binary = *v;
  }
  if (const SpecField* f = map->Find("agent_args")) {
    if (!f->node.IsSequence()) {
      diag.Add(f->mark, f->path, "expected a list of strings, got " + DescribeValue(f->node));
    } else {
      for (size_t i = 0; i < f->node.size(); ++i) {
        SpecField item = Child(*f, f->path + "[" + std::to_string(i) + "]", f->node[i]);
        if (auto v = ReadString(item, diag)) p.agent_args.push_back(*v);
      }
    }
  }
  ReadSeconds(*map, "stop_grace", 0, diag, &p.stop_grace_ms);
  ReadSeconds(*map, "timeout", 1, diag, &p.timeout_ms);
  if (const SpecField* f = map->Find("netns")) {
    std::string v = f->node.IsScalar() ? f->node.Scalar() : "";
    if (v == "true") {
      diag.Add(f->mark, f->path, "network namespaces per node are not implemented yet");
    } else if (v != "false") {
      diag.Add(f->mark, f->path, "expected true or false, got " + DescribeValue(f->node));
    }
  }
  if (const SpecField* f = map->Find("create")) {
    if (auto v = ReadString(*f, diag, true)) p.create = *v;
  }
  if (const SpecField* f = map->Find("delete")) {
    if (auto v = ReadString(*f, diag, true)) p.del = *v;
  }
  bool local_only = map->Find("agent_binary") || map->Find("agent_args") || map->Find("stop_grace");
  bool command_only = map->Find("create") || map->Find("delete") || map->Find("timeout");
  if (p.type == "command") {
    if (!map->Find("create"))
      diag.Add(field.mark, field.path + ".create", "required for type command");
    if (!map->Find("delete"))
      diag.Add(field.mark, field.path + ".delete", "required for type command");
    if (local_only) {
      diag.Add(field.mark, field.path,
               "agent_binary, agent_args and stop_grace belong to type local");
    }
  } else if (p.type == "local" && command_only) {
    diag.Add(field.mark, field.path, "create, delete and timeout belong to type command");
  }
}

void ParsePool(const SpecField& field, std::set<std::string>& seen, ControllerConfig& config,
               SpecDiagnostics& diag) {
  std::optional<SpecMap> map = SpecMap::Read(field, kPoolKeys, diag);
  if (!map) return;
  PoolConfig pool;
  if (const SpecField* f = map->Require("name", diag)) {
    if (auto v = ReadString(*f, diag, true)) {
      if (!IsPoolName(*v)) {
        diag.Add(f->mark, f->path,
                 "expected a pool name of letters, digits, '-', '_' and '.', got " +
                     DescribeValue(f->node));
      } else if (!seen.insert(*v).second) {
        diag.Add(f->mark, f->path, "duplicate pool '" + *v + "'");
      }
      pool.name = *v;
    }
  }
  constexpr int64_t kMaxNodes = 10000;
  if (const SpecField* f = map->Find("min_nodes")) {
    if (auto v = ReadInteger(*f, diag, 0, kMaxNodes, "a non-negative integer")) {
      pool.min_nodes = static_cast<int>(*v);
    }
  }
  if (const SpecField* f = map->Require("max_nodes", diag)) {
    if (auto v = ReadInteger(*f, diag, 1, kMaxNodes, "a positive integer")) {
      pool.max_nodes = static_cast<int>(*v);
      if (pool.min_nodes > pool.max_nodes) {
        diag.Add(f->mark, f->path,
                 "must be >= min_nodes (" + std::to_string(pool.min_nodes) + "), got " +
                     std::to_string(pool.max_nodes));
      }
    }
  }
  ReadSeconds(*map, "idle_timeout", 0, diag, &pool.idle_timeout_ms);
  ReadSeconds(*map, "provision_timeout", 1, diag, &pool.provision_timeout_ms);
  if (const SpecField* f = map->Require("provider", diag)) ParseProvider(*f, pool, diag);
  config.pools.push_back(std::move(pool));
}

}  // namespace

Result<ControllerConfig> ParseConfig(const std::string& yaml, const std::string& file_name) {
  ControllerConfig config;
  SpecDiagnostics diag(file_name);
  try {
    YAML::Node doc = YAML::Load(yaml);
    SpecField root;
    root.node = doc;
    root.mark = doc.Mark().is_null() ? YAML::Mark() : doc.Mark();
    root.key_mark = root.mark;
    if (doc.IsNull() || !doc.IsDefined()) return config;
    if (!doc.IsMap()) {
      diag.Add(root.mark, "", "expected a mapping with a `pools:` list, got " + DescribeValue(doc));
      return diag.ToStatus();
    }
    std::optional<SpecMap> map = SpecMap::Read(root, kTopKeys, diag);
    if (map) {
      if (const SpecField* f = map->Find("pools")) {
        if (f->node.IsNull()) {
          // `pools:` with nothing: no pools.
        } else if (!f->node.IsSequence()) {
          diag.Add(f->mark, f->path, "expected a list of pools, got " + DescribeValue(f->node));
        } else {
          std::set<std::string> seen;
          for (size_t i = 0; i < f->node.size(); ++i) {
            ParsePool(Child(*f, "pools[" + std::to_string(i) + "]", f->node[i]), seen, config,
                      diag);
          }
        }
      }
    }
  } catch (const YAML::Exception& e) {
    diag.Add(e.mark, "", "YAML syntax error: " + e.msg);
  }
  JOBCTL_RETURN_IF_ERROR(diag.ToStatus());
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
