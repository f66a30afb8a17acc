#include "agent/agent_flags.h"

#include <vector>

#include <CLI/CLI.hpp>

namespace jobctl::agent {

Result<AgentFlags> ParseAgentFlags(int argc, char** argv) {
  AgentFlags f;
  std::vector<std::string> labels;
  std::string memory;
  CLI::App app{"jobagent: the jobctl node agent. Registers this node with the controller, "
               "runs the ranks the controller places here and streams their logs."};
  app.add_option("--controller", f.controller, "Controller endpoint (ZeroMQ)")
      ->capture_default_str();
  app.add_option("--work-dir", f.work_dir, "Agent work directory (jobs, log spool, node id)")
      ->capture_default_str();
  app.add_option("--node-id", f.node_id,
                 "Node id (default: the one persisted in WORK/node-id, else the hostname)");
  app.add_option("--advertise-addr", f.advertise_addr,
                 "Address other nodes use to reach this one (MASTER_ADDR); default: the local "
                 "address of the route to the controller");
  app.add_option("--cpus", f.cpus, "CPUs offered (default: hardware concurrency)")
      ->check(CLI::NonNegativeNumber);
  app.add_option("--memory", memory,
                 "Memory offered, bytes or with a K/M/G/T suffix (default: MemTotal)");
  app.add_option("--gpus", f.gpus,
                 "Fake N GPUs with indices 0..N-1 (tests); default: discover with nvidia-smi")
      ->check(CLI::NonNegativeNumber);
  app.add_option("--pool", f.pool, "Pool this node belongs to")->capture_default_str();
  app.add_option("--label", labels, "Node label KEY=VALUE (repeatable)");
  app.add_option("--heartbeat-ms", f.heartbeat_ms, "Heartbeat period in milliseconds")
      ->capture_default_str()
      ->check(CLI::PositiveNumber);
  app.add_option("--grace-period-ms", f.grace_period_ms,
                 "Default SIGTERM to SIGKILL grace period when stopping ranks (fail-fast, "
                 "agent shutdown)")
      ->capture_default_str()
      ->check(CLI::NonNegativeNumber);
  app.add_option("--request-timeout-ms", f.request_timeout_ms,
                 "Timeout of one request to the controller before it is retried")
      ->capture_default_str()
      ->check(CLI::PositiveNumber);
  app.add_option("--log-level", f.log_level, "trace, debug, info, warn, error")
      ->capture_default_str()
      ->check(CLI::IsMember({"trace", "debug", "info", "warn", "error"}));
  app.add_option("--runtime", f.runtime,
                 "How ranks run: podman or docker (containers of the job's environment.image) "
                 "or process (host processes; jobs with an image fail). Default: podman if "
                 "installed, else docker, else process")
      ->check(CLI::IsMember({"podman", "docker", "process"}));
  app.add_option("--insecure-registry", f.insecure_registries,
                 "Registry HOST:PORT reached over plain HTTP (repeatable; podman: "
                 "--tls-verify=false; docker: configure the daemon's insecure-registries)");
  app.add_option("--podman-oci-runtime", f.podman_oci_runtime,
                 "OCI runtime podman uses (podman --runtime); empty: podman's default")
      ->capture_default_str();
  app.add_option("--podman-cgroup-manager", f.podman_cgroup_manager,
                 "podman --cgroup-manager (cgroupfs or systemd); empty: podman's default")
      ->capture_default_str();
  app.add_option("--podman-root", f.podman_root,
                 "podman --root (image and container storage); default: podman's");
  app.add_option("--podman-runroot", f.podman_runroot,
                 "podman --runroot (runtime state); default: podman's");
  app.add_option("--containers-conf", f.containers_conf,
                 "containers.conf for podman (CONTAINERS_CONF); default: WORK/containers.conf, "
                 "written by the agent with an empty default_ulimits");
  app.add_option("--pull-timeout-s", f.pull_timeout_s,
                 "Longest an image pull may take before the attempt fails in PREPARING")
      ->capture_default_str()
      ->check(CLI::PositiveNumber);
  app.add_option("--token-file", f.token_file,
                 "File holding the join token (an agent token from `jobctl token create "
                 "--agent`, mode 0600). Default: the token text in $JOBCTL_TOKEN. Required: "
                 "the controller refuses agents without a known key");
  app.add_flag("--keep-attempt-dirs", f.keep_attempt_dirs,
               "Keep every finished attempt's work directory WORK/jobs/<job>-attempt-<n> "
               "(unpacked code, outputs, files the ranks wrote) for debugging. Default: "
               "deleted once the attempt ended and its outputs are stored on the controller "
               "(kept when their upload failed); empty ones are reused either way");
  try {
    app.parse(argc, argv);
  } catch (const CLI::CallForHelp&) {
    return CancelledError(app.help());
  } catch (const CLI::ParseError& e) {
    return InvalidArgumentError(e.what());
  }
  for (const auto& l : labels) {
    size_t eq = l.find('=');
    if (eq == std::string::npos || eq == 0) {
      return InvalidArgumentError("--label: expected KEY=VALUE, got '" + l + "'");
    }
    f.labels[l.substr(0, eq)] = l.substr(eq + 1);
  }
  if (!memory.empty()) {
    size_t pos = 0;
    double value = 0;
    try {
      value = std::stod(memory, &pos);
    } catch (const std::exception&) {
      pos = 0;
    }
    std::string suffix = memory.substr(pos);
    double mult = 1;
    if (suffix == "K" || suffix == "Ki") mult = 1024.0;
    else if (suffix == "M" || suffix == "Mi") mult = 1024.0 * 1024;
    else if (suffix == "G" || suffix == "Gi") mult = 1024.0 * 1024 * 1024;
    else if (suffix == "T" || suffix == "Ti") mult = 1024.0 * 1024 * 1024 * 1024;
    else if (!suffix.empty()) pos = 0;
    if (pos == 0 || value < 0) {
      return InvalidArgumentError("--memory: expected bytes or a number with K/M/G/T, got '" +
                                  memory + "'");
    }
    f.memory_bytes = static_cast<int64_t>(value * mult);
  }
  return f;
}

Result<auth::Token> ResolveJoinToken(const std::string& token_file,
                                     const std::optional<std::string>& env_token) {
  Result<auth::Token> token = InvalidArgumentError(kNoJoinTokenMessage);
  std::string source;
  if (!token_file.empty()) {
    source = "--token-file " + token_file;
    token = auth::ReadTokenFile(token_file);
  } else if (env_token && !env_token->empty()) {
    source = "$JOBCTL_TOKEN";
    token = auth::ParseToken(*env_token);
  } else {
    return token;
  }
  if (!token.ok()) {
    return InvalidArgumentError(source + ": " + token.status().message());
  }
  if (token->kind != auth::TokenKind::kAgent) {
    return InvalidArgumentError(source +
                                ": a user token cannot join as an agent (create an agent token "
                                "with `jobctl token create --agent`)");
  }
  return token;
}

}  // namespace jobctl::agent
