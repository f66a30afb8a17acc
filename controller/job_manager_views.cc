// JobManager's read-only views: job lists, job details, node descriptions,
// and the free capacity the scheduler sees.
#include <algorithm>

#include "controller/job_manager.h"

namespace jobctl::controller {
namespace {

protocol::JobSummary Summarize(const JobRecord& r) {
  protocol::JobSummary s;
  s.id = r.id;
  s.name = r.spec.name;
  s.display_name = r.spec.display_name;
  s.experiment = r.spec.experiment_name;
  s.state = std::string(JobStateName(r.state));
  s.attempt = r.attempt;
  s.priority = r.priority;
  s.created_ms = r.created_ms;
  s.updated_ms = r.updated_ms;
  s.nodes = r.spec.NodeCount();
  s.processes_per_node = r.spec.ProcessesPerNode();
  s.owner = r.owner;
  return s;
}

}  // namespace

Result<std::vector<protocol::JobSummary>> JobManager::List(const protocol::ListJobsRequest& request,
                                                           const std::string& owner) const {
  std::optional<JobState> state;
  if (!request.state.empty()) {
    state = ParseJobState(request.state);
    if (!state) {
      return InvalidArgumentError("list_jobs: unknown state '" + request.state +
                                  "' (expected QUEUED, SCALING, PREPARING, RUNNING, SUCCEEDED, "
                                  "FAILED, CANCELLED or TIMED_OUT)");
    }
  }
  std::vector<protocol::JobSummary> out;
  for (auto it = jobs_.rbegin(); it != jobs_.rend(); ++it) {
    const JobRecord& r = it->second.record;
    if (state && r.state != *state) continue;
    if (!owner.empty() && r.owner != owner) continue;
    if (!request.experiment.empty() && r.spec.experiment_name != request.experiment) continue;
    out.push_back(Summarize(r));
    if (request.limit > 0 && static_cast<int>(out.size()) >= request.limit) break;
  }
  return out;
}

Result<protocol::JobDetail> JobManager::Get(const std::string& job_id) const {
  const Job* job = FindJob(job_id);
  if (job == nullptr) return NotFoundError("job " + job_id + " does not exist");
  protocol::JobDetail d;
  d.summary = Summarize(job->record);
  d.spec = job->record.spec;
  JOBCTL_ASSIGN_OR_RETURN(d.transitions, store_->LoadTransitions(job_id));
  if (job->record.state == JobState::kQueued || job->record.state == JobState::kScaling) {
    d.pending_reason = job->pending_reason;
    if (job->record.state == JobState::kQueued && job->reason_pass != schedule_pass_) {
      // The last pass stopped before this job (the cluster was full): say
      // why it does not fit the free capacity now.
      Scheduler probe = scheduler_;  // a what-if pass must not move the port cursor
      ScheduleResult now = probe.Schedule({RequestOf(*job)}, Capacities());
      if (auto p = now.pending.find(job_id); p != now.pending.end()) d.pending_reason = p->second;
    }
  }
  d.end_reason = job->record.end_reason;
  d.master_addr = job->placement.master_addr;
  d.master_port = job->placement.master_port;
  for (const auto& np : job->placement.nodes) {
    d.nodes.push_back(np.node_id);
    for (int r : np.ranks) {
      protocol::RankStatus rs;
      rs.rank = r;
      rs.node_id = np.node_id;
      if (static_cast<size_t>(r) < job->ranks.size()) {
        const RankRuntime& rt = job->ranks[static_cast<size_t>(r)];
        rs.state = rt.phase == RankPhase::kPending   ? "pending"
                   : rt.phase == RankPhase::kRunning ? "running"
                                                     : "exited";
        rs.exit_code = rt.exit_code;
        rs.signal = rt.signal;
      }
      d.ranks.push_back(rs);
    }
  }
  std::sort(d.ranks.begin(), d.ranks.end(),
            [](const auto& a, const auto& b) { return a.rank < b.rank; });
  return d;
}

Result<std::string> JobManager::OwnerOf(const std::string& job_id) const {
  const Job* job = FindJob(job_id);
  if (job == nullptr) return NotFoundError("job " + job_id + " does not exist");
  return job->record.owner;
}

Result<JobState> JobManager::StateOf(const std::string& job_id) const {
  const Job* job = FindJob(job_id);
  if (job == nullptr) return NotFoundError("job " + job_id + " does not exist");
  return job->record.state;
}

bool JobManager::LogsComplete(const std::string& job_id) const {
  const Job* job = FindJob(job_id);
  if (job == nullptr || !IsTerminal(job->record.state)) return false;
  return std::none_of(holds_.begin(), holds_.end(),
                      [&](const Hold& h) { return h.job_id == job_id; });
}

std::vector<NodeCapacity> JobManager::Capacities() const {
  std::vector<NodeCapacity> out;
  for (const auto& [id, entry] : nodes_->nodes()) {
    NodeCapacity c;
    c.id = id;
    c.address = entry.info.address.empty() ? entry.info.hostname : entry.info.address;
    c.pool = entry.info.pool;
    c.ready = entry.ready;
    c.free_cpus = entry.info.cpus;
    c.free_memory_bytes = entry.info.memory_bytes;
    for (const auto& g : entry.info.gpus) c.free_gpus.push_back(g.index);
    out.push_back(std::move(c));
  }
  for (const Hold& h : holds_) {
    auto it = std::find_if(out.begin(), out.end(),
                           [&](const NodeCapacity& c) { return c.id == h.node_id; });
    if (it == out.end()) continue;
    it->free_cpus -= h.cpus;
    it->free_memory_bytes -= h.memory_bytes;
    for (int g : h.gpus) {
      it->free_gpus.erase(std::remove(it->free_gpus.begin(), it->free_gpus.end(), g),
                          it->free_gpus.end());
    }
    if (h.port != 0) it->used_ports.push_back(h.port);
  }
  return out;
}

protocol::NodeInfo JobManager::Describe(const NodeEntry& node) const {
  protocol::NodeInfo info = node.info;
  info.state = node.ready ? "READY" : "LOST";
  info.free_cpus = info.cpus;
  info.free_memory_bytes = info.memory_bytes;
  info.free_gpus = static_cast<int>(info.gpus.size());
  info.running_ranks = 0;
  for (const Hold& h : holds_) {
    if (h.node_id != info.id) continue;
    info.free_cpus -= h.cpus;
    info.free_memory_bytes -= h.memory_bytes;
    info.free_gpus -= static_cast<int>(h.gpus.size());
    info.running_ranks += static_cast<int>(h.live_ranks.size());
  }
  return info;
}

}  // namespace jobctl::controller
