// LocalCluster: a real controller and real agents as child processes in a
// temporary directory, for end-to-end tests (Mesos' StartMaster/StartSlave).
//
// Each test gets its own data dir and a free port; the destructor stops every
// process it started (and the job processes they started, which live in the
// agents' process groups' children: agents stop their ranks on SIGTERM).
//
// The controller authenticates every connection (docs/security.md): after
// StartController the cluster reads DATA/auth/admin.token (written by jobctld
// on its first start) and uses it for its own client and for Jobctl(); agents
// start with --token-file DATA/auth/agent.token.
//
// Thread-safety: not thread-safe; one test thread drives it.
#pragma once

#include <chrono>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <vector>
#include <zmq.hpp>

#include "common/auth/client_credentials.h"
#include "common/protocol/messages.h"
#include "common/transport/rpc_client.h"
#include "tests/e2e/subprocess.h"

namespace jobctl::testing {

struct ClusterOptions {
  int heartbeat_timeout_ms = 1500;
  int agent_heartbeat_ms = 200;
  int grace_period_ms = 1000;
  std::vector<std::string> controller_args;  // extra jobctld flags (e.g. --config FILE)
  // Listen on every interface (same port), for agents in network namespaces;
  // the test's own client still uses 127.0.0.1.
  bool listen_any = false;
};

class LocalCluster {
 public:
  explicit LocalCluster(ClusterOptions options = {});
  ~LocalCluster();

  const std::string& dir() const { return dir_; }
  const std::string& endpoint() const { return endpoint_; }

  // Starts (or restarts) the controller on the same data dir and port, waits
  // for its admin token, and waits until it answers a ping with it.
  void StartController();
  // The controller's --data-dir, and the tokens jobctld writes there.
  std::string controller_data_dir() const { return dir_ + "/controller"; }
  std::string admin_token_file() const { return controller_data_dir() + "/auth/admin.token"; }
  std::string agent_token_file() const { return controller_data_dir() + "/auth/agent.token"; }
  // The admin's CURVE keys (nullopt before the first StartController).
  std::optional<auth::ClientCredentials> admin_credentials() const { return admin_; }
  // The CURVE keys of DATA/auth/agent.token, for tests that speak as an agent
  // (metric batches); nullopt when it cannot be read.
  std::optional<auth::ClientCredentials> agent_credentials() const;
  // A client of this controller with the admin's credentials.
  std::unique_ptr<RpcClient> MakeClient(zmq::context_t& context) const;
  void KillController(int sig);
  // Starts agent `node_id` and waits until the controller lists it READY.
  void StartAgent(const std::string& node_id, std::vector<std::string> extra_args = {});
  void KillAgent(const std::string& node_id, int sig);
  // Starts an agent through a command prefix (e.g. `ip netns exec NS`) that
  // reaches the controller at `controller_host` (same port), and waits until
  // it is READY.
  void StartAgentVia(const std::vector<std::string>& prefix, const std::string& controller_host,
                     const std::string& node_id, std::vector<std::string> extra_args = {});
  int port() const;

  // Runs `jobctl --controller ENDPOINT args...` as the admin (JOBCTL_TOKEN_FILE).
  CommandResult Jobctl(std::vector<std::string> args,
                       std::chrono::milliseconds timeout = std::chrono::seconds(60));
  // The same with `env` added; e.g. {"JOBCTL_TOKEN", TEXT} runs it as another
  // user (the variable wins over the admin's JOBCTL_TOKEN_FILE).
  CommandResult JobctlWithEnv(const std::map<std::string, std::string>& env,
                              std::vector<std::string> args,
                              std::chrono::milliseconds timeout = std::chrono::seconds(60));
  // The environment Jobctl() gives jobctl, for tests that start it themselves.
  std::map<std::string, std::string> JobctlEnv() const;
  // Starts agent `node_id` without waiting for it; `with_token` false leaves
  // out --token-file (the caller may give its own in extra_args).
  Subprocess* SpawnAgent(const std::string& node_id, std::vector<std::string> extra_args,
                         bool with_token = true);

  // Writes `yaml` to a spec file in the cluster dir and submits it; returns the job id.
  std::string Submit(const std::string& yaml);

  // Job and node state through the protocol.
  protocol::JobDetail GetJob(const std::string& job_id);
  std::vector<protocol::NodeInfo> Nodes();
  // Polls until the job is in one of `states`; returns the last state seen.
  std::string WaitForState(const std::string& job_id, const std::set<std::string>& states,
                           std::chrono::milliseconds timeout = std::chrono::seconds(60));
  bool WaitForNodeState(const std::string& node_id, const std::string& state,
                        std::chrono::milliseconds timeout);

  // Process ids of the controller and of an agent (-1 when not started).
  pid_t ControllerPid() const { return controller_ ? controller_->pid() : -1; }
  pid_t AgentPid(const std::string& node_id) const {
    auto it = agents_.find(node_id);
    return it == agents_.end() ? -1 : it->second->pid();
  }

  // The text of a daemon's log file, for failure messages.
  std::string DaemonLog(const std::string& name) const;

 private:
  ClusterOptions options_;
  std::string dir_;
  std::string endpoint_;
  zmq::context_t context_;
  std::unique_ptr<RpcClient> client_;
  std::optional<auth::ClientCredentials> admin_;
  std::unique_ptr<Subprocess> controller_;
  std::map<std::string, std::unique_ptr<Subprocess>> agents_;
  int spec_counter_ = 0;
};

// Reads a whole file ("" when missing).
std::string ReadFile(const std::string& path);
// Lines of `text` without their newlines.
std::vector<std::string> SplitLines(const std::string& text);

}  // namespace jobctl::testing
