// `jobctl up` and `jobctl down`: a local controller and agents (see
// local_cluster.h for the on-disk layout).
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <memory>
#include <set>
#include <thread>

#include "cli/commands/command.h"
#include "cli/config.h"
#include "cli/exit_codes.h"
#include "cli/local_cluster.h"
#include "common/auth/client_credentials.h"
#include "common/auth/token.h"
#include "common/protocol/messages.h"

namespace jobctl::cli {

namespace {

namespace fs = std::filesystem;
using std::chrono::milliseconds;
using std::chrono::steady_clock;

struct UpOptions {
  int agents = 2;
  std::string config;
  std::string data_dir;
  std::vector<std::string> agent_args;
  std::vector<std::string> controller_args;
  int port = 0;
  int wait_s = 30;
};

struct DownOptions {
  std::string data_dir;
  int grace_s = 15;
};

// A daemon this `up` started and must watch until the cluster is ready.
struct Started {
  pid_t pid;
  std::string what;
  std::string log;
};

Result<std::string> ResolveDataDir(const std::string& flag) {
  std::string dir = flag.empty() ? DefaultDataDir(ProcessEnv) : flag;
  if (dir.empty()) {
    return InvalidArgumentError("--data-dir: not given, and neither XDG_DATA_HOME nor HOME is set");
  }
  std::error_code ec;
  fs::path abs = fs::absolute(dir, ec);
  if (ec) return InvalidArgumentError("--data-dir: " + dir + ": " + ec.message());
  return abs.lexically_normal().string();
}

int Fail(const std::string& message) {
  std::fprintf(stderr, "jobctl: %s\n", message.c_str());
  return kExitFailed;
}

// An error naming the daemon that died and its log, or OK.
Status CheckStarted(const std::vector<Started>& started) {
  for (const auto& s : started) {
    if (auto how = ChildExited(s.pid)) {
      return FailedPreconditionError(s.what + " (pid " + std::to_string(s.pid) + ") " + *how +
                                     "; see its log " + s.log + ":\n" + TailOfFile(s.log, 10));
    }
  }
  return Status::Ok();
}

// Polls `ready` every 100 ms until it is true, a started daemon dies, or the
// deadline passes.
Status WaitFor(const std::function<bool()>& ready, const std::vector<Started>& started,
               steady_clock::time_point deadline, const std::string& what) {
  while (true) {
    JOBCTL_RETURN_IF_ERROR(CheckStarted(started));
    if (ready()) return Status::Ok();
    if (steady_clock::now() >= deadline) return DeadlineExceededError("timed out waiting for " + what);
    std::this_thread::sleep_for(milliseconds(100));
  }
}

Result<std::string> ChooseEndpoint(const LocalClusterPaths& paths, int port_flag) {
  auto recorded = ReadSmallFile(paths.EndpointFile());
  std::string endpoint;
  if (recorded) {
    endpoint = *recorded;
    while (!endpoint.empty() && (endpoint.back() == '\n' || endpoint.back() == ' ')) endpoint.pop_back();
  }
  if (port_flag > 0) {
    std::string wanted = "tcp://127.0.0.1:" + std::to_string(port_flag);
    if (!endpoint.empty() && endpoint != wanted) {
      std::fprintf(stderr, "jobctl: --port %d replaces the recorded address %s\n", port_flag,
                   endpoint.c_str());
    }
    endpoint = wanted;
  } else if (endpoint.empty() || !ValidateEndpoint(endpoint, paths.EndpointFile()).ok()) {
    JOBCTL_ASSIGN_OR_RETURN(int port, PickFreePort());
    endpoint = "tcp://127.0.0.1:" + std::to_string(port);
  }
  JOBCTL_RETURN_IF_ERROR(WriteSmallFile(paths.EndpointFile(), endpoint + "\n"));
  return endpoint;
}

int RunUp(const UpOptions& options) {
  auto dir = ResolveDataDir(options.data_dir);
  if (!dir.ok()) {
    std::fprintf(stderr, "jobctl: %s\n", dir.status().message().c_str());
    return kExitUsage;
  }
  std::string config_file;
  if (!options.config.empty()) {
    std::error_code ec;
    if (!fs::is_regular_file(options.config, ec)) {
      std::fprintf(stderr, "jobctl: --config: %s is not a readable file\n", options.config.c_str());
      return kExitUsage;
    }
    config_file = fs::absolute(options.config).string();
  }
  LocalClusterPaths paths(*dir);
  std::error_code ec;
  for (const auto& d : {paths.ControllerDataDir(), paths.RunDir(), paths.LogDir(), paths.dir() + "/agents"}) {
    fs::create_directories(d, ec);
    if (ec) return Fail("cannot create " + d + ": " + ec.message());
  }
  auto endpoint = ChooseEndpoint(paths, options.port);
  if (!endpoint.ok()) return Fail(endpoint.status().message());
  auto deadline = steady_clock::now() + std::chrono::seconds(options.wait_s);
  std::vector<Started> started;

  // The controller.
  if (auto pid = LivePid(paths.ControllerPidFile(), kControllerBinary, paths.ControllerDataDir())) {
    std::printf("controller already running (pid %d) at %s\n", *pid, endpoint->c_str());
  } else {
    auto binary = FindDaemonBinary(kControllerBinary);
    if (!binary.ok()) return Fail(binary.status().message());
    std::vector<std::string> argv = {*binary, "--listen", *endpoint, "--data-dir",
                                     paths.ControllerDataDir()};
    if (!config_file.empty()) {
      argv.push_back("--config");
      argv.push_back(config_file);
    }
    argv.insert(argv.end(), options.controller_args.begin(), options.controller_args.end());
    auto spawned = SpawnDaemon(argv, paths.ControllerLog(), paths.ControllerPidFile());
    if (!spawned.ok()) return Fail(spawned.status().message());
    std::printf("started controller (pid %d) at %s, log %s\n", *spawned, endpoint->c_str(),
                paths.ControllerLog().c_str());
    started.push_back({*spawned, "jobctld", paths.ControllerLog()});
  }
  std::fflush(stdout);

  // jobctld writes its keys and the local tokens on its first start.
  Status keys = WaitFor(
      [&] {
        std::error_code exists_ec;
        return fs::exists(paths.AdminTokenFile(), exists_ec) &&
               fs::exists(paths.AgentTokenFile(), exists_ec);
      },
      started, deadline,
      "the controller to write " + paths.AdminTokenFile() + " (log " + paths.ControllerLog() + ")");
  if (!keys.ok()) return Fail(keys.message());
  auto admin = auth::ReadTokenFile(paths.AdminTokenFile());
  if (!admin.ok()) return Fail(admin.status().message());
  auto creds = auth::CredentialsFromToken(*admin);
  if (!creds.ok()) return Fail(paths.AdminTokenFile() + ": " + creds.status().message());

  ControllerClient client(*endpoint, milliseconds(1000), *creds);
  Status up = WaitFor(
      [&] { return client.Call<protocol::PingReply>(protocol::PingRequest{}).ok(); }, started,
      deadline, "the controller at " + *endpoint + " to answer (log " + paths.ControllerLog() + ")");
  if (!up.ok()) return Fail(up.message());

  // The agents.
  std::set<std::string> wanted;
  for (int i = 1; i <= options.agents; ++i) {
    std::string node = LocalClusterPaths::AgentNodeId(i);
    wanted.insert(node);
    std::string work_dir = paths.AgentWorkDir(node);
    if (auto pid = LivePid(paths.AgentPidFile(node), kAgentBinary, work_dir)) {
      std::printf("agent %s already running (pid %d)\n", node.c_str(), *pid);
      continue;
    }
    auto binary = FindDaemonBinary(kAgentBinary);
    if (!binary.ok()) return Fail(binary.status().message());
    fs::create_directories(work_dir, ec);
    if (ec) return Fail("cannot create " + work_dir + ": " + ec.message());
    std::vector<std::string> argv = {*binary,     "--controller", *endpoint,
                                     "--node-id", node,           "--work-dir",
                                     work_dir,    "--token-file", paths.AgentTokenFile()};
    argv.insert(argv.end(), options.agent_args.begin(), options.agent_args.end());
    auto spawned = SpawnDaemon(argv, paths.AgentLog(node), paths.AgentPidFile(node));
    if (!spawned.ok()) return Fail(spawned.status().message());
    std::printf("started agent %s (pid %d), log %s\n", node.c_str(), *spawned,
                paths.AgentLog(node).c_str());
    started.push_back({*spawned, "jobagent " + node, paths.AgentLog(node)});
  }
  std::fflush(stdout);

  size_t ready_count = 0;
  Status ready = WaitFor(
      [&] {
        auto nodes = client.Call<protocol::ListNodesReply>(protocol::ListNodesRequest{});
        if (!nodes.ok()) return false;
        ready_count = 0;
        for (const auto& n : nodes->nodes) {
          if (wanted.count(n.id) && n.state == "READY") ++ready_count;
        }
        return ready_count == wanted.size();
      },
      started, deadline,
      std::to_string(options.agents) + " agents to be READY (logs in " + paths.LogDir() + ")");
  if (!ready.ok()) {
    return Fail(ready.message() + " (" + std::to_string(ready_count) + " of " +
                std::to_string(wanted.size()) + " ready)");
  }

  std::string config_path = UserConfigPath(ProcessEnv);
  Status recorded = WriteLoginToConfig(config_path, *endpoint, admin->Encode());
  if (!recorded.ok()) {
    std::fprintf(stderr,
                 "jobctl: warning: could not record the controller address and admin token: "
                 "%s\n",
                 recorded.message().c_str());
  } else {
    std::printf("recorded controller %s and the admin token in %s\n", endpoint->c_str(),
                config_path.c_str());
  }
  std::printf("cluster up: controller %s, %d agent(s) READY, data in %s\n", endpoint->c_str(),
              options.agents, paths.dir().c_str());
  return kExitOk;
}

int RunDown(const DownOptions& options) {
  auto dir = ResolveDataDir(options.data_dir);
  if (!dir.ok()) {
    std::fprintf(stderr, "jobctl: %s\n", dir.status().message().c_str());
    return kExitUsage;
  }
  LocalClusterPaths paths(*dir);
  std::error_code ec;
  if (!fs::is_directory(paths.RunDir(), ec)) {
    std::printf("nothing to stop: no %s\n", paths.RunDir().c_str());
    return kExitOk;
  }
  struct Target {
    pid_t pid;
    std::string what;
    std::string pid_file;
  };
  std::vector<Target> targets;
  std::vector<std::string> stale;
  for (const auto& entry : fs::directory_iterator(paths.RunDir(), ec)) {
    std::string file = entry.path().string();
    if (entry.path().extension() != ".pid") continue;
    std::string name = entry.path().stem().string();
    std::optional<pid_t> pid =
        name == "jobctld" ? LivePid(file, kControllerBinary, paths.ControllerDataDir())
                          : LivePid(file, kAgentBinary, paths.AgentWorkDir(name));
    if (pid) {
      targets.push_back({*pid, name == "jobctld" ? "controller" : "agent " + name, file});
    } else {
      stale.push_back(file);
    }
  }
  std::vector<pid_t> pids;
  for (const auto& t : targets) pids.push_back(t.pid);
  auto killed = StopProcesses(pids, std::chrono::seconds(options.grace_s));
  for (const auto& t : targets) {
    bool was_killed = std::find(killed.begin(), killed.end(), t.pid) != killed.end();
    std::printf("stopped %s (pid %d%s)\n", t.what.c_str(), t.pid,
                was_killed ? ", killed after the grace period" : "");
    fs::remove(t.pid_file, ec);
  }
  for (const auto& file : stale) fs::remove(file, ec);
  if (targets.empty()) std::printf("nothing was running in %s\n", paths.dir().c_str());
  return kExitOk;
}

}  // namespace

void RegisterCluster(CLI::App& app, GlobalOptions& /*global*/, CommandTable& table) {
  auto up = std::make_shared<UpOptions>();
  CLI::App* cmd = app.add_subcommand(
      "up",
      "Start a local controller and N agents (local-1..local-N) in the background, wait until "
      "they are READY, and record the controller's address and the local admin token "
      "(DATA_DIR/controller/auth/admin.token) in the user's config file (mode 0600). The agents "
      "join with DATA_DIR/controller/auth/agent.token. Idempotent: starts only what is not running "
      "(also restarts a killed controller).");
  cmd->add_option("--agents", up->agents, "Number of agents")
      ->check(CLI::NonNegativeNumber)
      ->capture_default_str();
  cmd->add_option("--config", up->config,
                  "Controller config file, passed to jobctld --config: node pools that grow "
                  "and shrink with the queue (docs/pools.md); use --agents 0 to rely on them");
  cmd->add_option("--data-dir", up->data_dir,
                  "Where the cluster keeps everything (default $XDG_DATA_HOME/jobctl or "
                  "~/.local/share/jobctl): controller/, agents/local-N/, run/ (pid files, "
                  "controller.endpoint), logs/");
  cmd->add_option("--agent-arg", up->agent_args,
                  "An extra argument for every agent, e.g. --agent-arg=--heartbeat-ms=200 "
                  "(repeatable)")
      ->allow_extra_args(false);
  cmd->add_option("--controller-arg", up->controller_args,
                  "An extra argument for jobctld, e.g. --controller-arg=--heartbeat-timeout-ms=2000 "
                  "(repeatable)")
      ->allow_extra_args(false);
  cmd->add_option("--port", up->port,
                  "Controller port on 127.0.0.1 (default: a free port picked on the first up and "
                  "reused after)")
      ->check(CLI::Range(1, 65535));
  cmd->add_option("--wait", up->wait_s, "Seconds to wait for the cluster to be ready")
      ->check(CLI::PositiveNumber)
      ->capture_default_str();
  cmd->footer("Examples:\n  jobctl up\n  jobctl up --agents 4 --data-dir /tmp/cluster "
              "--agent-arg=--cpus=2\n\nDaemon logs are in DATA_DIR/logs/. Exit status: 0 when "
              "everything is ready, 1 when a daemon could not be started or did not become "
              "ready (the message names its log), 2 for bad options.");
  table.Add(cmd, [up] { return RunUp(*up); });

  auto down = std::make_shared<DownOptions>();
  cmd = app.add_subcommand("down",
                           "Stop the controller and agents `jobctl up` started for a data dir "
                           "(SIGTERM, then SIGKILL after the grace period) and remove their pid "
                           "files");
  cmd->add_option("--data-dir", down->data_dir,
                  "The data dir given to up (default $XDG_DATA_HOME/jobctl or ~/.local/share/jobctl)");
  cmd->add_option("--grace", down->grace_s, "Seconds to wait after SIGTERM before SIGKILL")
      ->check(CLI::NonNegativeNumber)
      ->capture_default_str();
  cmd->footer("Examples:\n  jobctl down\n  jobctl down --data-dir /tmp/cluster");
  table.Add(cmd, [down] { return RunDown(*down); });
}

}  // namespace jobctl::cli
