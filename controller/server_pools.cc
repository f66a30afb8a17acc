// The server's side of pools: builds the autoscaler and its providers at
// start, feeds it nodes and waiting jobs on the loop's timer, applies its
// decisions, answers list_pools and checks a submit's `compute`.
#include <spdlog/spdlog.h>

#include <set>

#include "controller/server.h"

namespace jobctl::controller {

Status Server::StartPools() {
  autoscaler_ = std::make_unique<Autoscaler>(clock_);
  ProviderContext context{endpoint_, options_.data_dir};
  for (const PoolConfig& pool : options_.pools) {
    JOBCTL_ASSIGN_OR_RETURN(auto provider, MakeProvider(pool, context));
    spdlog::info("pool {}: {} provider, {}..{} nodes, idle_timeout {} s, provision_timeout {} s",
                 pool.name, provider->type(), pool.min_nodes, pool.max_nodes,
                 pool.idle_timeout_ms / 1000, pool.provision_timeout_ms / 1000);
    autoscaler_->AddPool(pool, std::move(provider));
  }
  if (autoscaler_->has_pools()) TickPools();  // min_nodes at once
  return Status::Ok();
}

std::vector<ScalerNode> Server::ScalerNodes() const {
  std::vector<ScalerNode> out;
  for (const auto& [id, entry] : nodes_.nodes()) {
    protocol::NodeInfo info = jobs_.Describe(entry);
    out.push_back(ScalerNode{id, info.pool, entry.ready, info.running_ranks});
  }
  return out;
}

std::vector<ScalerJob> Server::ScalerJobs() const {
  std::vector<ScalerJob> out;
  for (auto& j : jobs_.WaitingJobs())
    out.push_back(ScalerJob{j.job_id, j.pool, j.nodes, j.scaling});
  return out;
}

void Server::TickPools() {
  if (!autoscaler_ || !autoscaler_->has_pools()) return;
  int64_t now = clock_->SteadyMillis();
  if (last_pool_tick_ms_ != 0 && now - last_pool_tick_ms_ < options_.pool_tick_ms) return;
  last_pool_tick_ms_ = now;
  ScalerDecision decision = autoscaler_->Tick(ScalerNodes(), ScalerJobs());
  for (const auto& id : decision.removed_nodes) {
    nodes_.Remove(id);
    node_routes_.erase(id);
  }
  for (const auto& [job_id, reason] : decision.scaling) jobs_.NoteScaling(job_id, reason);
  for (const auto& [job_id, reason] : decision.queued) jobs_.NoteWaiting(job_id, reason);
}

Status Server::CheckSubmitPool(const protocol::SubmitJobRequest& request) const {
  if (!autoscaler_) return Status::Ok();
  std::set<std::string> node_pools;
  for (const auto& [id, entry] : nodes_.nodes()) node_pools.insert(entry.info.pool);
  return autoscaler_->CheckSubmit(request.spec_file, request.spec.compute, request.spec.NodeCount(),
                                  node_pools);
}

Result<protocol::ListPoolsReply> Server::HandleListPools(const protocol::ListPoolsRequest&,
                                                         const Incoming&) {
  protocol::ListPoolsReply reply;
  if (autoscaler_) reply.pools = autoscaler_->Describe(ScalerNodes(), ScalerJobs());
  return reply;
}

}  // namespace jobctl::controller
