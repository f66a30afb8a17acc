#include "tests/e2e/local_cluster.h"

#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <stdexcept>
#include <thread>

#include "common/auth/token.h"
#include "tests/e2e/sanitizer_reports.h"

namespace jobctl::testing {
namespace {

int FreePort() {
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  addr.sin_port = 0;
  bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr));
  socklen_t len = sizeof(addr);
  getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len);
  int port = ntohs(addr.sin_port);
  close(fd);
  return port;
}

void Fail(const std::string& what) { throw std::runtime_error(what); }

}  // namespace

std::string ReadFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

std::vector<std::string> SplitLines(const std::string& text) {
  std::vector<std::string> lines;
  size_t start = 0;
  while (start < text.size()) {
    size_t nl = text.find('\n', start);
    if (nl == std::string::npos) nl = text.size();
    lines.push_back(text.substr(start, nl - start));
    start = nl + 1;
  }
  return lines;
}

LocalCluster::LocalCluster(ClusterOptions options) : options_(options) {
  char tmpl[] = "/tmp/jobctl-e2e-XXXXXX";
  if (!mkdtemp(tmpl)) Fail("mkdtemp failed");
  dir_ = tmpl;
  std::filesystem::create_directories(dir_ + "/logs");
  endpoint_ = "tcp://127.0.0.1:" + std::to_string(FreePort());
  client_ = std::make_unique<RpcClient>(context_, endpoint_);
}

std::optional<auth::ClientCredentials> LocalCluster::agent_credentials() const {
  auto token = auth::ReadTokenFile(agent_token_file());
  if (!token.ok()) return std::nullopt;
  auto creds = auth::CredentialsFromToken(*token);
  if (!creds.ok()) return std::nullopt;
  return *creds;
}

std::unique_ptr<RpcClient> LocalCluster::MakeClient(zmq::context_t& context) const {
  return std::make_unique<RpcClient>(context, endpoint_, admin_);
}

LocalCluster::~LocalCluster() {
  for (auto& [id, agent] : agents_) agent->Stop(std::chrono::seconds(10));
  if (controller_) controller_->Stop(std::chrono::seconds(5));
  client_.reset();
  ExpectNoSanitizerReportIn(dir_ + "/logs");
  std::error_code ec;
  if (!std::getenv("JOBCTL_KEEP_TEST_DIRS")) std::filesystem::remove_all(dir_, ec);
}

void LocalCluster::StartController() {
  if (controller_ && controller_->running()) return;
  controller_ = std::make_unique<Subprocess>();
  std::string listen = options_.listen_any ? "tcp://0.0.0.0:" + std::to_string(port()) : endpoint_;
  std::vector<std::string> argv = {JOBCTLD_PATH,
                                   "--listen",
                                   listen,
                                   "--data-dir",
                                   dir_ + "/controller",
                                   "--heartbeat-timeout-ms",
                                   std::to_string(options_.heartbeat_timeout_ms),
                                   "--grace-period-ms",
                                   std::to_string(options_.grace_period_ms)};
  argv.insert(argv.end(), options_.controller_args.begin(), options_.controller_args.end());
  if (!controller_->Start(argv, dir_ + "/logs/jobctld.log")) Fail("cannot start jobctld");
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(20);
  if (!admin_) {
    // jobctld writes its keys and the local tokens before it listens.
    std::error_code ec;
    while (!std::filesystem::exists(admin_token_file(), ec) &&
           std::chrono::steady_clock::now() < deadline && controller_->running()) {
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    auto token = auth::ReadTokenFile(admin_token_file());
    if (!token.ok()) Fail(token.status().ToString() + "\n" + DaemonLog("jobctld"));
    auto creds = auth::CredentialsFromToken(*token);
    if (!creds.ok()) Fail(creds.status().ToString());
    admin_ = *creds;
    client_ = std::make_unique<RpcClient>(context_, endpoint_, admin_);
  }
  while (std::chrono::steady_clock::now() < deadline) {
    auto r =
        client_->Call<protocol::PingReply>(protocol::PingRequest{}, std::chrono::milliseconds(300));
    if (r.ok()) return;
    if (!controller_->running()) break;
  }
  Fail("controller did not come up:\n" + DaemonLog("jobctld"));
}

void LocalCluster::KillController(int sig) {
  if (!controller_) return;
  controller_->Signal(sig);
  controller_->Wait(std::chrono::seconds(10));
}

int LocalCluster::port() const { return std::stoi(endpoint_.substr(endpoint_.rfind(':') + 1)); }

void LocalCluster::StartAgent(const std::string& node_id, std::vector<std::string> extra_args) {
  StartAgentVia({}, "127.0.0.1", node_id, std::move(extra_args));
}

Subprocess* LocalCluster::SpawnAgent(const std::string& node_id,
                                     std::vector<std::string> extra_args, bool with_token) {
  auto agent = std::make_unique<Subprocess>();
  std::vector<std::string> argv = {JOBAGENT_PATH,
                                   "--controller",
                                   endpoint_,
                                   "--node-id",
                                   node_id,
                                   "--work-dir",
                                   dir_ + "/agents/" + node_id,
                                   "--heartbeat-ms",
                                   std::to_string(options_.agent_heartbeat_ms)};
  if (with_token) {
    argv.push_back("--token-file");
    argv.push_back(agent_token_file());
  }
  argv.insert(argv.end(), extra_args.begin(), extra_args.end());
  if (!agent->Start(argv, dir_ + "/logs/" + node_id + ".log", {{"JOBCTL_TOKEN", ""}})) {
    Fail("cannot start jobagent");
  }
  Subprocess* raw = agent.get();
  agents_[node_id] = std::move(agent);
  return raw;
}

void LocalCluster::StartAgentVia(const std::vector<std::string>& prefix,
                                 const std::string& controller_host, const std::string& node_id,
                                 std::vector<std::string> extra_args) {
  auto agent = std::make_unique<Subprocess>();
  std::vector<std::string> argv = prefix;
  std::vector<std::string> agent_argv = {JOBAGENT_PATH,
                                         "--controller",
                                         "tcp://" + controller_host + ":" + std::to_string(port()),
                                         "--node-id",
                                         node_id,
                                         "--work-dir",
                                         dir_ + "/agents/" + node_id,
                                         "--heartbeat-ms",
                                         std::to_string(options_.agent_heartbeat_ms),
                                         "--token-file",
                                         agent_token_file()};
  argv.insert(argv.end(), agent_argv.begin(), agent_argv.end());
  argv.insert(argv.end(), extra_args.begin(), extra_args.end());
  if (!agent->Start(argv, dir_ + "/logs/" + node_id + ".log")) Fail("cannot start jobagent");
  agents_[node_id] = std::move(agent);
  if (!WaitForNodeState(node_id, "READY", std::chrono::seconds(20))) {
    Fail("agent " + node_id + " did not register:\n" + DaemonLog(node_id));
  }
}

void LocalCluster::KillAgent(const std::string& node_id, int sig) {
  auto it = agents_.find(node_id);
  if (it == agents_.end()) return;
  it->second->Signal(sig);
  it->second->Wait(std::chrono::seconds(10));
}

std::map<std::string, std::string> LocalCluster::JobctlEnv() const {
  return {{"XDG_CONFIG_HOME", dir_ + "/config"},
          {"NO_COLOR", "1"},
          {"JOBCTL_TOKEN", ""},
          {"JOBCTL_TOKEN_FILE", admin_token_file()}};
}

CommandResult LocalCluster::Jobctl(std::vector<std::string> args,
                                   std::chrono::milliseconds timeout) {
  return JobctlWithEnv({}, std::move(args), timeout);
}

CommandResult LocalCluster::JobctlWithEnv(const std::map<std::string, std::string>& env,
                                          std::vector<std::string> args,
                                          std::chrono::milliseconds timeout) {
  std::vector<std::string> argv = {JOBCTL_PATH, "--controller", endpoint_};
  argv.insert(argv.end(), args.begin(), args.end());
  auto full_env = JobctlEnv();
  for (const auto& [k, v] : env) full_env[k] = v;
  return RunCommand(argv, timeout, full_env);
}

std::string LocalCluster::Submit(const std::string& yaml) {
  std::string path = dir_ + "/spec-" + std::to_string(++spec_counter_) + ".yaml";
  std::ofstream(path) << yaml;
  auto r = Jobctl({"submit", path});
  if (r.exit_code != 0) Fail("submit failed (" + std::to_string(r.exit_code) + "): " + r.err);
  std::string id = r.out;
  while (!id.empty() && (id.back() == '\n' || id.back() == ' ')) id.pop_back();
  return id;
}

protocol::JobDetail LocalCluster::GetJob(const std::string& job_id) {
  protocol::GetJobRequest req;
  req.job_id = job_id;
  for (int i = 0; i < 20; ++i) {
    auto r = client_->Call<protocol::GetJobReply>(req, std::chrono::seconds(2));
    if (r.ok()) return r->job;
    if (r.status().code() != StatusCode::kUnavailable) Fail(r.status().ToString());
  }
  Fail("controller unavailable");
  return {};
}

std::vector<protocol::NodeInfo> LocalCluster::Nodes() {
  auto r = client_->Call<protocol::ListNodesReply>(protocol::ListNodesRequest{},
                                                   std::chrono::seconds(2));
  if (!r.ok()) return {};
  return r->nodes;
}

std::string LocalCluster::WaitForState(const std::string& job_id,
                                       const std::set<std::string>& states,
                                       std::chrono::milliseconds timeout) {
  auto deadline = std::chrono::steady_clock::now() + timeout;
  std::string state;
  while (std::chrono::steady_clock::now() < deadline) {
    state = GetJob(job_id).summary.state;
    if (states.count(state)) return state;
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  return state;
}

bool LocalCluster::WaitForNodeState(const std::string& node_id, const std::string& state,
                                    std::chrono::milliseconds timeout) {
  auto deadline = std::chrono::steady_clock::now() + timeout;
  while (std::chrono::steady_clock::now() < deadline) {
    for (const auto& n : Nodes()) {
      if (n.id == node_id && n.state == state) return true;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  return false;
}

std::string LocalCluster::DaemonLog(const std::string& name) const {
  return ReadFile(dir_ + "/logs/" + name + ".log");
}

}  // namespace jobctl::testing
