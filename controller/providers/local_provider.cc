#include "controller/providers/local_provider.h"

#include <signal.h>
#include <spdlog/spdlog.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <sstream>
#include <thread>

#include "controller/providers/spawn.h"

namespace jobctl::controller {
namespace fs = std::filesystem;

LocalProvider::LocalProvider(PoolConfig pool, ProviderContext context, std::string agent_binary,
                             const Clock* clock)
    : pool_(std::move(pool)),
      context_(std::move(context)),
      agent_binary_(std::move(agent_binary)),
      clock_(clock) {}

LocalProvider::~LocalProvider() {
  for (auto& [id, agent] : agents_) {
    if (agent.kill_at_ms < 0) SignalGroup(agent.pid, SIGTERM);
  }
  auto deadline = std::chrono::steady_clock::now() +
                  std::chrono::milliseconds(std::min<int64_t>(pool_.provider.stop_grace_ms, 10000));
  while (!agents_.empty()) {
    for (auto it = agents_.begin(); it != agents_.end();) {
      it = TryReap(it->second.pid) ? agents_.erase(it) : std::next(it);
    }
    if (agents_.empty()) break;
    if (std::chrono::steady_clock::now() >= deadline) {
      for (auto& [id, agent] : agents_) {
        SignalGroup(agent.pid, SIGKILL);
        while (!TryReap(agent.pid)) std::this_thread::sleep_for(std::chrono::milliseconds(5));
      }
      agents_.clear();
      break;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
}

Result<std::string> LocalProvider::FindAgentBinary(const std::string& configured) {
  if (!configured.empty()) {
    if (::access(configured.c_str(), X_OK) != 0) {
      return InvalidArgumentError("provider.agent_binary: " + configured + " is not executable");
    }
    return configured;
  }
  std::error_code ec;
  fs::path self = fs::read_symlink("/proc/self/exe", ec);
  std::vector<fs::path> candidates;
  if (!ec) {
    candidates.push_back(self.parent_path() / "jobagent");
    candidates.push_back(self.parent_path().parent_path() / "agent" / "jobagent");
  }
  if (const char* path = std::getenv("PATH")) {
    std::stringstream dirs(path);
    std::string dir;
    while (std::getline(dirs, dir, ':')) {
      if (!dir.empty()) candidates.push_back(fs::path(dir) / "jobagent");
    }
  }
  for (const auto& c : candidates) {
    if (::access(c.c_str(), X_OK) == 0) return c.lexically_normal().string();
  }
  return InvalidArgumentError(
      "provider.agent_binary: not given, and no jobagent next to jobctld or on $PATH");
}

std::string LocalProvider::NextNodeId() const {
  for (int k = 1;; ++k) {
    std::string id = pool_.name + "-" + std::to_string(k);
    if (agents_.count(id) == 0) return id;
  }
}

uint64_t LocalProvider::Create(int count) {
  uint64_t request = next_request_++;
  ProviderEvent event{ProviderEvent::Kind::kCreated, request, count, {}, ""};
  std::string pool_dir = context_.data_dir + "/pools/" + pool_.name;
  for (int i = 0; i < count; ++i) {
    std::string id = NextNodeId();
    std::string work = pool_dir + "/" + id;
    std::error_code ec;
    fs::create_directories(work, ec);
    SpawnOptions spawn;
    spawn.argv = {agent_binary_,
                  "--controller",
                  context_.controller_endpoint,
                  "--node-id",
                  id,
                  "--pool",
                  pool_.name,
                  "--work-dir",
                  work};
    std::string token_file = AgentTokenFile(context_);
    std::error_code token_ec;
    if (fs::exists(token_file, token_ec)) {
      spawn.argv.push_back("--token-file");
      spawn.argv.push_back(token_file);
    }
    spawn.argv.insert(spawn.argv.end(), pool_.provider.agent_args.begin(),
                      pool_.provider.agent_args.end());
    spawn.stdout_file = pool_dir + "/" + id + ".log";
    spawn.die_with_parent = true;
    auto pid = ec ? Result<pid_t>(UnavailableError("cannot create " + work + ": " + ec.message()))
                  : Spawn(spawn);
    if (!pid.ok()) {
      event.kind = ProviderEvent::Kind::kCreateFailed;
      event.error = pid.status().message();
      break;
    }
    spdlog::info("pool {}: started jobagent {} (pid {}, log {})", pool_.name, id, *pid,
                 spawn.stdout_file);
    agents_[id] = Agent{*pid, -1};
    event.nodes.push_back(id);
  }
  events_.push_back(std::move(event));
  return request;
}

void LocalProvider::Delete(const std::string& node_id) {
  auto it = agents_.find(node_id);
  if (it == agents_.end()) {
    events_.push_back(ProviderEvent{ProviderEvent::Kind::kDeleted, 0, 0, {node_id}, ""});
    return;
  }
  if (it->second.kill_at_ms >= 0) return;  // already stopping
  SignalGroup(it->second.pid, SIGTERM);
  it->second.kill_at_ms = clock_->SteadyMillis() + pool_.provider.stop_grace_ms;
}

std::vector<ProviderEvent> LocalProvider::Poll() {
  int64_t now = clock_->SteadyMillis();
  for (auto it = agents_.begin(); it != agents_.end();) {
    Agent& agent = it->second;
    if (auto exit = TryReap(agent.pid)) {
      if (agent.kill_at_ms < 0) {
        spdlog::warn("pool {}: jobagent {} (pid {}) {}; see {}/pools/{}/{}.log", pool_.name,
                     it->first, agent.pid, exit->how, context_.data_dir, pool_.name, it->first);
      }
      events_.push_back(ProviderEvent{ProviderEvent::Kind::kDeleted, 0, 0, {it->first}, ""});
      it = agents_.erase(it);
      continue;
    }
    if (agent.kill_at_ms >= 0 && now >= agent.kill_at_ms) {
      spdlog::warn("pool {}: jobagent {} did not stop within the grace; SIGKILL", pool_.name,
                   it->first);
      SignalGroup(agent.pid, SIGKILL);
      agent.kill_at_ms = now + 3600'000;  // once
    }
    ++it;
  }
  return std::exchange(events_, {});
}

}  // namespace jobctl::controller
