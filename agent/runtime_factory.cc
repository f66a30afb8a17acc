#include "agent/runtime_factory.h"

#include <unistd.h>

#include <filesystem>
#include <fstream>

#include "agent/paths.h"
#include "agent/process_runtime.h"

namespace jobctl::agent {
namespace {

constexpr char kContainersConf[] =
    "# Written by jobagent for its podman commands (CONTAINERS_CONF).\n"
    "# podman's default ulimits can exceed the host's hard limits; the\n"
    "# containers inherit the agent's limits instead.\n"
    "[containers]\n"
    "default_ulimits = []\n";

std::string EnvValue(const std::vector<std::string>& env, const std::string& key) {
  for (const auto& kv : env) {
    if (kv.size() > key.size() && kv.compare(0, key.size(), key) == 0 && kv[key.size()] == '=') {
      return kv.substr(key.size() + 1);
    }
  }
  return "";
}

}  // namespace

std::string FindInPath(const std::string& name, const std::string& path) {
  size_t pos = 0;
  while (pos <= path.size()) {
    size_t colon = path.find(':', pos);
    if (colon == std::string::npos) colon = path.size();
    std::string dir = path.substr(pos, colon - pos);
    if (!dir.empty()) {
      std::string candidate = dir;
      candidate.append("/").append(name);
      if (::access(candidate.c_str(), X_OK) == 0) return candidate;
    }
    pos = colon + 1;
  }
  return "";
}

Result<ContainerCliOptions> ContainerOptionsFromFlags(const std::string& kind,
                                                      const std::string& binary,
                                                      const AgentFlags& flags,
                                                      const std::string& node_id,
                                                      const std::vector<std::string>& base_env) {
  ContainerCliOptions o;
  o.kind = kind;
  o.binary = binary;
  o.node_id = node_id;
  o.base_env = base_env;
  o.insecure_registries = flags.insecure_registries;
  o.pull_timeout = std::chrono::seconds(flags.pull_timeout_s);
  o.stop_grace_seconds = (flags.grace_period_ms + 999) / 1000;
  if (kind != "podman") return o;
  if (!flags.podman_oci_runtime.empty()) {
    o.global_flags.insert(o.global_flags.end(), {"--runtime", flags.podman_oci_runtime});
  }
  if (!flags.podman_cgroup_manager.empty()) {
    o.global_flags.insert(o.global_flags.end(), {"--cgroup-manager", flags.podman_cgroup_manager});
  }
  if (!flags.podman_root.empty()) {
    o.global_flags.insert(o.global_flags.end(), {"--root", flags.podman_root});
  }
  if (!flags.podman_runroot.empty()) {
    o.global_flags.insert(o.global_flags.end(), {"--runroot", flags.podman_runroot});
  }
  std::string conf = flags.containers_conf;
  if (conf.empty()) {
    conf = paths::ContainersConfFile(flags.work_dir);
    std::error_code ec;
    std::filesystem::create_directories(flags.work_dir, ec);
    std::ofstream out(conf, std::ios::trunc);
    out << kContainersConf;
    out.close();
    if (!out) return InvalidArgumentError("--work-dir: cannot write " + conf);
  } else if (::access(conf.c_str(), R_OK) != 0) {
    return InvalidArgumentError("--containers-conf: cannot read " + conf);
  }
  o.extra_env.push_back("CONTAINERS_CONF=" + conf);
  return o;
}

Result<RuntimeSetup> MakeRuntime(boost::asio::io_context& io, const AgentFlags& flags,
                                 const std::string& node_id,
                                 const std::vector<std::string>& base_env) {
  std::string path = EnvValue(base_env, "PATH");
  if (path.empty()) path = "/usr/local/bin:/usr/bin:/bin:/usr/sbin:/sbin";
  std::string kind = flags.runtime;
  std::string binary;
  if (kind.empty()) {
    for (const char* candidate : {"podman", "docker"}) {
      binary = FindInPath(candidate, path);
      if (!binary.empty()) {
        kind = candidate;
        break;
      }
    }
    if (kind.empty()) kind = "process";
  } else if (kind != "process") {
    binary = FindInPath(kind, path);
    if (binary.empty()) {
      return InvalidArgumentError("--runtime " + kind + ": no '" + kind + "' on PATH");
    }
  }
  RuntimeSetup setup;
  if (kind == "process") {
    setup.runtime = std::make_unique<ProcessRuntime>(io);
    return setup;
  }
  JOBCTL_ASSIGN_OR_RETURN(ContainerCliOptions options,
                          ContainerOptionsFromFlags(kind, binary, flags, node_id, base_env));
  setup.commands = std::make_unique<AsioCommandRunner>(io);
  auto containers = std::make_unique<ContainerRuntime>(io, setup.commands.get(), options);
  setup.containers = containers.get();
  setup.runtime = std::move(containers);
  return setup;
}

}  // namespace jobctl::agent
