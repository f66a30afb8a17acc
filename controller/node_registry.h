// NodeRegistry: the agents the controller knows (soft state, never stored).
//
// A node is READY from its registration until it misses heartbeats for
// heartbeat_timeout_ms; then ExpireLost() marks it LOST and reports it once.
// A LOST node that registers again is READY again. Resources held by
// attempts are tracked by the JobManager, not here.
//
// Thread-safety: not thread-safe; one thread owns the registry.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "common/clock.h"
#include "common/protocol/messages.h"

namespace jobctl::controller {

struct NodeEntry {
  protocol::NodeInfo info;  // as registered; state/free fields filled by ListNodes
  bool ready = true;
  int64_t last_heartbeat_steady_ms = 0;
};

class NodeRegistry {
 public:
  NodeRegistry(const Clock* clock, int64_t heartbeat_timeout_ms)
      : clock_(clock), heartbeat_timeout_ms_(heartbeat_timeout_ms) {}

  // Adds or replaces the node; it becomes READY.
  void Register(const protocol::NodeInfo& info);
  // Returns false for a node that is unknown or LOST (it must register again).
  bool Heartbeat(const std::string& node_id);
  // Marks nodes that missed their heartbeats LOST; returns them (once each).
  std::vector<std::string> ExpireLost();

  // Forgets the node (a pool removed it); false when it was unknown.
  bool Remove(const std::string& node_id) { return nodes_.erase(node_id) != 0; }

  const NodeEntry* Find(const std::string& node_id) const;
  const std::map<std::string, NodeEntry>& nodes() const { return nodes_; }
  int ReadyCount() const;
  int64_t heartbeat_timeout_ms() const { return heartbeat_timeout_ms_; }
  // Milliseconds since the node's last heartbeat (0 for an unknown node).
  int64_t SilenceMs(const std::string& node_id) const;

 private:
  const Clock* clock_;
  int64_t heartbeat_timeout_ms_;
  std::map<std::string, NodeEntry> nodes_;  // ordered: placement is deterministic
};

}  // namespace jobctl::controller
