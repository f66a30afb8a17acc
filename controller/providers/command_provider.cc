#include "controller/providers/command_provider.h"

#include <signal.h>
#include <spdlog/spdlog.h>
#include <unistd.h>

#include <filesystem>
#include <sstream>
#include <thread>

#include "controller/providers/spawn.h"

namespace jobctl::controller {
namespace {

std::vector<std::string> Lines(const std::string& text) {
  std::vector<std::string> out;
  std::stringstream in(text);
  std::string line;
  while (std::getline(in, line)) {
    while (!line.empty() && (line.back() == '\r' || line.back() == ' ' || line.back() == '\t')) {
      line.pop_back();
    }
    size_t start = line.find_first_not_of(" \t");
    if (start == std::string::npos) continue;
    out.push_back(line.substr(start));
  }
  return out;
}

std::string LastLines(const std::string& text, size_t n) {
  std::vector<std::string> lines = Lines(text);
  std::string out;
  for (size_t i = lines.size() > n ? lines.size() - n : 0; i < lines.size(); ++i) {
    out += (out.empty() ? "" : " | ") + lines[i];
  }
  return out.empty() ? "(no stderr)" : out;
}

bool IsNodeId(const std::string& s) {
  if (s.empty() || s.size() > 253) return false;
  for (char c : s) {
    bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
              c == '-' || c == '_' || c == '.';
    if (!ok) return false;
  }
  return true;
}

}  // namespace

CommandProvider::CommandProvider(PoolConfig pool, ProviderContext context, const Clock* clock)
    : pool_(std::move(pool)),
      context_(std::move(context)),
      clock_(clock),
      dir_(context_.data_dir + "/pools/" + pool_.name) {
  std::error_code ec;
  std::filesystem::create_directories(dir_, ec);
}

CommandProvider::~CommandProvider() {
  for (const Script& s : running_) {
    SignalGroup(s.pid, SIGKILL);
    while (!TryReap(s.pid)) std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
}

uint64_t CommandProvider::Create(int count) {
  Script s;
  s.create = true;
  s.request = next_request_++;
  s.count = count;
  std::string base = dir_ + "/create-" + std::to_string(next_file_++);
  s.out_file = base + ".out";
  s.err_file = base + ".err";
  SpawnOptions spawn;
  spawn.argv = {"/bin/sh", "-c", pool_.provider.create};
  spawn.env = {{"JOBCTL_POOL", pool_.name},
               {"JOBCTL_COUNT", std::to_string(count)},
               {"JOBCTL_CONTROLLER", context_.controller_endpoint}};
  if (std::string token = AgentTokenText(context_); !token.empty()) {
    spawn.env["JOBCTL_TOKEN"] = token;
  }
  spawn.stdout_file = s.out_file;
  spawn.stderr_file = s.err_file;
  auto pid = Spawn(spawn);
  if (!pid.ok()) {
    spdlog::error("pool {}: create: {}", pool_.name, pid.status().message());
    events_.push_back(ProviderEvent{
        ProviderEvent::Kind::kCreateFailed, s.request, count, {}, pid.status().message()});
    return s.request;
  }
  spdlog::info("pool {}: create of {} node(s) started (pid {})", pool_.name, count, *pid);
  s.pid = *pid;
  s.deadline_ms = clock_->SteadyMillis() + pool_.provider.timeout_ms;
  running_.push_back(std::move(s));
  return running_.back().request;
}

void CommandProvider::Delete(const std::string& node_id) {
  Script s;
  s.create = false;
  s.node = node_id;
  std::string base = dir_ + "/delete-" + std::to_string(next_file_++);
  s.out_file = base + ".out";
  s.err_file = base + ".err";
  SpawnOptions spawn;
  spawn.argv = {"/bin/sh", "-c", pool_.provider.del + " \"$1\"", "sh", node_id};
  spawn.env = {{"JOBCTL_POOL", pool_.name},
               {"JOBCTL_NODE", node_id},
               {"JOBCTL_CONTROLLER", context_.controller_endpoint}};
  spawn.stdout_file = s.out_file;
  spawn.stderr_file = s.err_file;
  auto pid = Spawn(spawn);
  if (!pid.ok()) {
    spdlog::error("pool {}: delete {}: {}", pool_.name, node_id, pid.status().message());
    events_.push_back(
        ProviderEvent{ProviderEvent::Kind::kDeleteFailed, 0, 0, {node_id}, pid.status().message()});
    return;
  }
  spdlog::info("pool {}: delete of node {} started (pid {})", pool_.name, node_id, *pid);
  s.pid = *pid;
  s.deadline_ms = clock_->SteadyMillis() + pool_.provider.timeout_ms;
  running_.push_back(std::move(s));
}

void CommandProvider::Finish(const Script& s, bool ok, const std::string& how) {
  std::string what = s.create ? "create" : "delete " + s.node;
  std::string err = ReadFileHead(s.err_file);
  if (s.create && ok) {
    std::vector<std::string> names = Lines(ReadFileHead(s.out_file));
    std::vector<std::string> bad;
    ProviderEvent e{ProviderEvent::Kind::kCreated, s.request, s.count, {}, ""};
    for (auto& n : names) (IsNodeId(n) ? e.nodes : bad).push_back(n);
    if (!bad.empty()) {
      spdlog::warn("pool {}: create printed {} line(s) that are not node ids (first: '{}')",
                   pool_.name, bad.size(), bad.front());
    }
    if (e.nodes.empty()) {
      e.kind = ProviderEvent::Kind::kCreateFailed;
      e.error = "create printed no node id; stderr: " + LastLines(err, 5);
      spdlog::error("pool {}: {}", pool_.name, e.error);
    } else {
      spdlog::info("pool {}: create returned {}", pool_.name, e.nodes.size());
    }
    events_.push_back(std::move(e));
  } else if (s.create) {
    std::string error = "create " + how + "; stderr: " + LastLines(err, 5);
    spdlog::error("pool {}: {}", pool_.name, error);
    events_.push_back(
        ProviderEvent{ProviderEvent::Kind::kCreateFailed, s.request, s.count, {}, error});
  } else if (ok) {
    events_.push_back(ProviderEvent{ProviderEvent::Kind::kDeleted, 0, 0, {s.node}, ""});
  } else {
    std::string error = what + " " + how + "; stderr: " + LastLines(err, 5);
    spdlog::error("pool {}: {}", pool_.name, error);
    events_.push_back(ProviderEvent{ProviderEvent::Kind::kDeleteFailed, 0, 0, {s.node}, error});
  }
  std::error_code ec;
  if (ok) {
    std::filesystem::remove(s.out_file, ec);
    std::filesystem::remove(s.err_file, ec);
  }
}

std::vector<ProviderEvent> CommandProvider::Poll() {
  int64_t now = clock_->SteadyMillis();
  for (auto it = running_.begin(); it != running_.end();) {
    if (auto exit = TryReap(it->pid)) {
      Finish(*it, exit->code == 0, exit->how);
      it = running_.erase(it);
      continue;
    }
    if (now >= it->deadline_ms) {
      SignalGroup(it->pid, SIGKILL);
      while (!TryReap(it->pid)) std::this_thread::sleep_for(std::chrono::milliseconds(1));
      Finish(*it, false, "timed out after " + std::to_string(pool_.provider.timeout_ms) + " ms");
      it = running_.erase(it);
      continue;
    }
    ++it;
  }
  return std::exchange(events_, {});
}

}  // namespace jobctl::controller
