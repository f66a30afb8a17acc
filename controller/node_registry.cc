#include "controller/node_registry.h"

namespace jobctl::controller {

void NodeRegistry::Register(const protocol::NodeInfo& info) {
  NodeEntry& entry = nodes_[info.id];
  entry.info = info;
  entry.info.registered_ms = clock_->NowMillis();
  entry.info.last_heartbeat_ms = entry.info.registered_ms;
  entry.ready = true;
  entry.last_heartbeat_steady_ms = clock_->SteadyMillis();
}

bool NodeRegistry::Heartbeat(const std::string& node_id) {
  auto it = nodes_.find(node_id);
  if (it == nodes_.end() || !it->second.ready) return false;
  it->second.last_heartbeat_steady_ms = clock_->SteadyMillis();
  it->second.info.last_heartbeat_ms = clock_->NowMillis();
  return true;
}

std::vector<std::string> NodeRegistry::ExpireLost() {
  std::vector<std::string> lost;
  int64_t now = clock_->SteadyMillis();
  for (auto& [id, entry] : nodes_) {
    if (entry.ready && now - entry.last_heartbeat_steady_ms > heartbeat_timeout_ms_) {
      entry.ready = false;
      lost.push_back(id);
    }
  }
  return lost;
}

const NodeEntry* NodeRegistry::Find(const std::string& node_id) const {
  auto it = nodes_.find(node_id);
  return it == nodes_.end() ? nullptr : &it->second;
}

int NodeRegistry::ReadyCount() const {
  int n = 0;
  for (const auto& [id, entry] : nodes_) n += entry.ready ? 1 : 0;
  return n;
}

int64_t NodeRegistry::SilenceMs(const std::string& node_id) const {
  const NodeEntry* e = Find(node_id);
  return e ? clock_->SteadyMillis() - e->last_heartbeat_steady_ms : 0;
}

}  // namespace jobctl::controller
