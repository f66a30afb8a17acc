#include "controller/autoscaler.h"

#include <spdlog/spdlog.h>

#include <algorithm>

namespace jobctl::controller {
namespace {

constexpr size_t kMaxEvents = 20;

std::string Seconds(int64_t ms) { return std::to_string(ms / 1000) + " s"; }

}  // namespace

int Autoscaler::Pool::InFlight() const {
  int n = static_cast<int>(provisioning.size());
  for (const auto& [id, c] : creating) n += c.count;
  return n;
}

void Autoscaler::AddPool(PoolConfig config, std::unique_ptr<NodeProvider> provider) {
  std::string name = config.name;
  Pool& pool = pools_[name];
  pool.config = std::move(config);
  pool.provider = std::move(provider);
}

const PoolConfig* Autoscaler::FindPool(const std::string& name) const {
  auto it = pools_.find(name);
  return it == pools_.end() ? nullptr : &it->second.config;
}

Status Autoscaler::CheckSubmit(const std::string& file, const std::string& pool, int nodes,
                               const std::set<std::string>& node_pools) const {
  if (pools_.empty() || pool.empty()) return Status::Ok();
  std::string where = file.empty() ? "job spec" : file;
  auto it = pools_.find(pool);
  if (it == pools_.end()) {
    if (node_pools.count(pool) != 0) return Status::Ok();
    std::string known;
    for (const auto& [name, p] : pools_) known += (known.empty() ? "" : ", ") + name;
    return InvalidArgumentError(where + ": compute: pool '" + pool +
                                "' does not exist (configured pools: " + known +
                                "; no registered node is in it either)");
  }
  if (nodes > it->second.config.max_nodes) {
    return InvalidArgumentError(where + ": resources.instance_count: the job asks for " +
                                std::to_string(nodes) + " nodes, but pool '" + pool +
                                "' has max_nodes " + std::to_string(it->second.config.max_nodes));
  }
  return Status::Ok();
}

bool Autoscaler::Refuses(const std::string& node_id) const {
  return std::any_of(pools_.begin(), pools_.end(),
                     [&](const auto& p) { return p.second.deleting.count(node_id) != 0; });
}

void Autoscaler::Note(Pool& pool, const std::string& event, bool problem) {
  if (problem) {
    spdlog::warn("pool {}: {}", pool.config.name, event);
    pool.last_problem = event;
  } else {
    spdlog::info("pool {}: {}", pool.config.name, event);
  }
  pool.events.push_back(event);
  while (pool.events.size() > kMaxEvents) pool.events.pop_front();
}

void Autoscaler::CollectEvents(Pool& pool) {
  int64_t now = clock_->SteadyMillis();
  for (ProviderEvent& e : pool.provider->Poll()) {
    switch (e.kind) {
      case ProviderEvent::Kind::kCreated: {
        int64_t started = now;
        if (auto c = pool.creating.find(e.request); c != pool.creating.end()) {
          started = c->second.started_ms;
          pool.creating.erase(c);
        }
        std::string names;
        for (const auto& id : e.nodes) {
          pool.provisioning[id] = started;
          pool.managed.insert(id);
          names += (names.empty() ? "" : ", ") + id;
        }
        Note(pool, "provider created " + names + "; waiting for them to register");
        if (static_cast<int>(e.nodes.size()) < e.count) {
          Note(pool,
               "provider created " + std::to_string(e.nodes.size()) + " of " +
                   std::to_string(e.count) + " nodes asked for",
               true);
        }
        break;
      }
      case ProviderEvent::Kind::kCreateFailed:
        pool.creating.erase(e.request);
        pool.next_create_ms = now + create_backoff_ms_;
        Note(pool, "creating " + std::to_string(e.count) + " node(s) failed: " + e.error, true);
        break;
      case ProviderEvent::Kind::kDeleted:
        for (const auto& id : e.nodes) {
          if (pool.deleting.erase(id) != 0) Note(pool, "node " + id + " deleted");
          pool.provisioning.erase(id);
          pool.managed.erase(id);
        }
        break;
      case ProviderEvent::Kind::kDeleteFailed:
        for (const auto& id : e.nodes) {
          pool.deleting.erase(id);
          pool.managed.erase(id);
        }
        Note(pool,
             "deleting " + (e.nodes.empty() ? std::string("a node") : e.nodes.front()) +
                 " failed: " + e.error,
             true);
        break;
    }
  }
}

ScalerDecision Autoscaler::Tick(const std::vector<ScalerNode>& nodes,
                                const std::vector<ScalerJob>& jobs) {
  ScalerDecision decision;
  for (auto& [name, pool] : pools_) TickPool(pool, nodes, jobs, decision);
  return decision;
}

void Autoscaler::TickPool(Pool& pool, const std::vector<ScalerNode>& nodes,
                          const std::vector<ScalerJob>& jobs, ScalerDecision& decision) {
  const PoolConfig& cfg = pool.config;
  int64_t now = clock_->SteadyMillis();
  CollectEvents(pool);

  // What is there now.
  int ready = 0;
  int busy = 0;
  std::vector<const ScalerNode*> mine;
  for (const ScalerNode& n : nodes) {
    if (n.pool != cfg.name || pool.deleting.count(n.id) != 0) continue;
    mine.push_back(&n);
    if (pool.provisioning.erase(n.id) != 0) {
      Note(pool, "node " + n.id + " registered");
      pool.last_problem.clear();
    }
    auto [it, first] = pool.last_busy_ms.try_emplace(n.id, now);
    if (n.ready) {
      ++ready;
      if (n.running_ranks > 0) {
        ++busy;
        it->second = now;
      }
    }
  }
  // Forget idle clocks of nodes that are gone.
  for (auto it = pool.last_busy_ms.begin(); it != pool.last_busy_ms.end();) {
    bool present = std::any_of(mine.begin(), mine.end(),
                               [&](const ScalerNode* n) { return n->id == it->first; });
    it = present ? std::next(it) : pool.last_busy_ms.erase(it);
  }

  // Nodes that never registered.
  for (auto it = pool.provisioning.begin(); it != pool.provisioning.end();) {
    if (now - it->second < cfg.provision_timeout_ms) {
      ++it;
      continue;
    }
    std::string id = it->first;
    it = pool.provisioning.erase(it);
    Note(pool,
         "node " + id + " did not register within " + Seconds(cfg.provision_timeout_ms) +
             "; given up, deleted and asked for again",
         true);
    pool.deleting.insert(id);
    pool.provider->Delete(id);
  }

  // Demand.
  int asked = 0;
  std::vector<const ScalerJob*> waiting;
  for (const ScalerJob& j : jobs) {
    if (j.pool != cfg.name) continue;
    waiting.push_back(&j);
    asked += j.nodes;
  }
  int target = std::min(cfg.max_nodes, std::max(cfg.min_nodes, busy + asked));
  int have = ready + pool.InFlight();
  if (have < target && now >= pool.next_create_ms) {
    int missing = target - have;
    uint64_t request = pool.provider->Create(missing);
    pool.creating[request] = PendingCreate{missing, now};
    Note(pool, "asking the " + pool.provider->type() + " provider for " + std::to_string(missing) +
                   " node(s) (" + std::to_string(ready) + " ready, " + std::to_string(busy) +
                   " busy, " + std::to_string(asked) + " asked for by waiting jobs, max " +
                   std::to_string(cfg.max_nodes) + ")");
    CollectEvents(pool);  // a provider may answer at once
    have = ready + pool.InFlight();
  }

  // Idle nodes, when no job waits for the pool.
  if (waiting.empty()) {
    std::vector<std::pair<int64_t, const ScalerNode*>> idle;  // (idle since, node)
    for (const ScalerNode* n : mine) {
      if (pool.managed.count(n->id) == 0 || n->running_ranks > 0) continue;
      int64_t since = pool.last_busy_ms[n->id];
      if (now - since >= cfg.idle_timeout_ms) idle.emplace_back(since, n);
    }
    std::sort(idle.begin(), idle.end(), [](const auto& a, const auto& b) {
      return a.first != b.first ? a.first < b.first : a.second->id < b.second->id;
    });
    int count = have;
    for (const auto& [since, n] : idle) {
      // LOST nodes are of no use: removed whatever min_nodes says.
      if (n->ready && count <= cfg.min_nodes) continue;
      if (n->ready) --count;
      Note(pool, "removing node " + n->id + " (" + (n->ready ? "idle" : "lost") + " for " +
                     Seconds(now - since) + ", idle_timeout " + Seconds(cfg.idle_timeout_ms) + ")");
      pool.deleting.insert(n->id);
      pool.last_busy_ms.erase(n->id);
      pool.provider->Delete(n->id);
      decision.removed_nodes.push_back(n->id);
    }
  }

  // Job states.
  int in_flight = pool.InFlight();
  int idle_ready = ready - busy;
  for (const ScalerJob* j : waiting) {
    if (in_flight > 0) {
      std::string reason = "pool " + cfg.name + ": " +
                           std::to_string(std::min(idle_ready, j->nodes)) + " of " +
                           std::to_string(j->nodes) + " nodes ready (" + std::to_string(in_flight) +
                           " being provisioned)";
      if (!pool.last_problem.empty()) reason += "; " + pool.last_problem;
      decision.scaling[j->job_id] = reason;
    } else if (j->scaling) {
      std::string reason = "pool " + cfg.name + ": no node being provisioned";
      if (have >= cfg.max_nodes) reason += " (at max_nodes " + std::to_string(cfg.max_nodes) + ")";
      if (!pool.last_problem.empty()) reason += "; " + pool.last_problem;
      decision.queued[j->job_id] = reason;
    }
  }
}

std::vector<protocol::PoolInfo> Autoscaler::Describe(const std::vector<ScalerNode>& nodes,
                                                     const std::vector<ScalerJob>& jobs) const {
  std::map<std::string, protocol::PoolInfo> out;
  int64_t now = clock_->SteadyMillis();
  for (const auto& [name, pool] : pools_) {
    protocol::PoolInfo& info = out[name];
    info.name = name;
    info.configured = true;
    info.provider = pool.config.provider.type;
    info.min_nodes = pool.config.min_nodes;
    info.max_nodes = pool.config.max_nodes;
    info.idle_timeout_ms = pool.config.idle_timeout_ms;
    info.provision_timeout_ms = pool.config.provision_timeout_ms;
    info.provisioning = pool.InFlight();
    info.events.assign(pool.events.begin(), pool.events.end());
    for (const auto& [id, since] : pool.provisioning) {
      info.nodes.push_back(protocol::PoolNodeInfo{id, "PROVISIONING", false, 0, 0, true});
    }
    for (const auto& id : pool.deleting) {
      info.nodes.push_back(protocol::PoolNodeInfo{id, "DELETING", false, 0, 0, true});
    }
  }
  for (const ScalerNode& n : nodes) {
    if (n.pool.empty()) continue;
    protocol::PoolInfo& info = out[n.pool];
    info.name = n.pool;
    auto pool = pools_.find(n.pool);
    bool managed = pool != pools_.end() && pool->second.managed.count(n.id) != 0;
    if (pool != pools_.end() && pool->second.deleting.count(n.id) != 0) continue;
    protocol::PoolNodeInfo node{
        n.id, n.ready ? "READY" : "LOST", n.running_ranks > 0, n.running_ranks, 0, managed};
    if (n.ready) {
      ++info.ready;
      if (node.busy) ++info.busy;
    }
    if (pool != pools_.end() && n.ready && !node.busy) {
      auto since = pool->second.last_busy_ms.find(n.id);
      if (since != pool->second.last_busy_ms.end()) node.idle_ms = now - since->second;
    }
    info.nodes.push_back(node);
  }
  for (const ScalerJob& j : jobs) {
    auto it = out.find(j.pool);
    if (it != out.end()) ++it->second.waiting_jobs;
  }
  std::vector<protocol::PoolInfo> list;
  for (auto& [name, info] : out) {
    std::sort(info.nodes.begin(), info.nodes.end(),
              [](const auto& a, const auto& b) { return a.id < b.id; });
    list.push_back(std::move(info));
  }
  return list;
}

}  // namespace jobctl::controller
