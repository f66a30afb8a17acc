// Autoscaler: grows and shrinks the configured pools with the queue
// (docs/pools.md). Pure decisions plus provider calls; the server feeds it
// the nodes and waiting jobs on every tick and applies what it returns.
//
// Per pool, each Tick():
//  - collects the provider's finished work (created node ids, failures);
//  - a node that registered is no longer provisioning; one that has not
//    registered provision_timeout after it was asked for is given up:
//    reported, deleted through the provider, and (the demand still being
//    there) asked for again;
//  - target = max(min_nodes, busy nodes + nodes every waiting job of the pool
//    asks for), at most max_nodes; when ready + provisioning < target, asks
//    the provider for the difference (so a request is never repeated while
//    its nodes are on their way; after a failed create it waits
//    create_backoff_ms);
//  - when no job waits for the pool, removes nodes it created that ran no rank
//    for idle_timeout (measured from the last time it saw one running), down
//    to min_nodes; a busy node is never removed. Nodes that joined with
//    `jobagent --pool` on their own count, but are never removed.
//  - waiting jobs of a pool with nodes on their way are SCALING, with a
//    reason "pool cpu: 1 of 2 nodes ready"; others stay (or go back) QUEUED.
//
// Thread-safety: not thread-safe; the server loop owns it.
#pragma once

#include <cstdint>
#include <deque>
#include <map>
#include <memory>
#include <set>
#include <string>
#include <vector>

#include "common/clock.h"
#include "common/protocol/messages.h"
#include "common/status.h"
#include "controller/config.h"
#include "controller/providers/provider.h"

namespace jobctl::controller {

// A registered node, as the autoscaler needs it.
struct ScalerNode {
  std::string id;
  std::string pool;
  bool ready = true;  // false: LOST
  int running_ranks = 0;
};

// A QUEUED or SCALING job, in scheduling order.
struct ScalerJob {
  std::string job_id;
  std::string pool;  // empty: any node (never scales a pool)
  int nodes = 1;
  bool scaling = false;  // in SCALING now
};

struct ScalerDecision {
  std::map<std::string, std::string> scaling;  // job id -> reason: QUEUED -> SCALING
  std::map<std::string, std::string> queued;   // job id -> reason: SCALING -> QUEUED
  std::vector<std::string> removed_nodes;      // forget them: they are being deleted
};

class Autoscaler {
 public:
  explicit Autoscaler(const Clock* clock, int64_t create_backoff_ms = 5000)
      : clock_(clock), create_backoff_ms_(create_backoff_ms) {}

  void AddPool(PoolConfig config, std::unique_ptr<NodeProvider> provider);
  bool has_pools() const { return !pools_.empty(); }
  const PoolConfig* FindPool(const std::string& name) const;

  // The submit-time check: a job naming a pool needs the pool configured or
  // some node registered in it; a job larger than max_nodes is refused.
  // Only applies when pools are configured. Errors are kInvalidArgument
  // naming `file` and the field.
  Status CheckSubmit(const std::string& file, const std::string& pool, int nodes,
                     const std::set<std::string>& node_pools) const;

  // A node being deleted may not register again until its deletion ends.
  bool Refuses(const std::string& node_id) const;

  ScalerDecision Tick(const std::vector<ScalerNode>& nodes, const std::vector<ScalerJob>& jobs);

  // Configured pools plus pools only nodes name, sorted by name.
  std::vector<protocol::PoolInfo> Describe(const std::vector<ScalerNode>& nodes,
                                           const std::vector<ScalerJob>& jobs) const;

 private:
  struct PendingCreate {
    int count = 0;
    int64_t started_ms = 0;
  };
  struct Pool {
    PoolConfig config;
    std::unique_ptr<NodeProvider> provider;
    std::map<uint64_t, PendingCreate> creating;   // create requests without node ids yet
    std::map<std::string, int64_t> provisioning;  // node id -> when it was asked for
    std::set<std::string> deleting;
    std::set<std::string> managed;                // created by the provider
    std::map<std::string, int64_t> last_busy_ms;  // node id -> last tick it ran a rank
    int64_t next_create_ms = 0;
    std::string last_problem;
    std::deque<std::string> events;
    int InFlight() const;
  };
  void Note(Pool& pool, const std::string& event, bool problem = false);
  void CollectEvents(Pool& pool);
  void TickPool(Pool& pool, const std::vector<ScalerNode>& nodes,
                const std::vector<ScalerJob>& jobs, ScalerDecision& decision);

  const Clock* clock_;
  int64_t create_backoff_ms_;
  std::map<std::string, Pool> pools_;
};

}  // namespace jobctl::controller
