#include "controller/job_manager.h"

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <charconv>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <sstream>

#include <spdlog/spdlog.h>

#include "common/protocol/codec.h"
#include "controller/paths.h"
#include "controller/placement_json.h"
#include "common/digest/sha256.h"

namespace jobctl::controller {
namespace {

Status ValidateSpec(const JobSpec& spec, const std::string& file) {
  std::string where = file.empty() ? "job spec" : file;
  auto bad = [&](const std::string& field, const std::string& what) {
    return InvalidArgumentError(where + ": " + field + ": " + what);
  };
  if (spec.command.empty()) return bad("command", "must not be empty");
  if (spec.resources.instance_count < 1) {
    return bad("resources.instance_count",
               "must be >= 1, got " + std::to_string(spec.resources.instance_count));
  }
  if (spec.distribution.process_count_per_instance < 1) {
    return bad("distribution.process_count_per_instance",
               "must be >= 1, got " + std::to_string(spec.distribution.process_count_per_instance));
  }
  if (spec.resources.gpus_per_node < 0) return bad("resources.gpus_per_node", "must be >= 0");
  if (spec.resources.cpus_per_node < 0) return bad("resources.cpus_per_node", "must be >= 0");
  if (spec.resources.memory_per_node_bytes < 0) {
    return bad("resources.memory_per_node", "must be >= 0");
  }
  if (spec.retries < 0) return bad("retries", "must be >= 0");
  if (spec.limits.timeout_seconds < 0) return bad("limits.timeout", "must be >= 0");
  return Status::Ok();
}

Status ErrnoStatus(const std::string& what) {
  std::string message = what + ": " + std::strerror(errno);
  if (errno == ENOSPC || errno == EDQUOT) return ResourceExhaustedError(message);
  return UnavailableError(message);
}

std::string JoinNodes(const JobPlacement& p) {
  std::string out;
  for (const auto& n : p.nodes) out += (out.empty() ? "" : ", ") + n.node_id;
  return out;
}

}  // namespace

JobManager::JobManager(JobManagerOptions options, StateStore* store, NodeRegistry* nodes,
                       AgentSender* sender, const Clock* clock)
    : options_(std::move(options)),
      store_(store),
      nodes_(nodes),
      sender_(sender),
      clock_(clock),
      scheduler_(options_.ports),
      started_steady_ms_(clock->SteadyMillis()) {}

Status JobManager::Load() {
  JOBCTL_ASSIGN_OR_RETURN(last_job_id_, store_->LastJobId());
  JOBCTL_ASSIGN_OR_RETURN(auto records, store_->LoadJobs());
  for (auto& record : records) {
    Job job;
    job.number = std::stoull(record.id);
    job.record = std::move(record);
    if (job.record.state == JobState::kPreparing || job.record.state == JobState::kRunning) {
      JOBCTL_ASSIGN_OR_RETURN(job.placement, PlacementFromJson(job.record.placement_json));
      job.ranks.assign(static_cast<size_t>(job.record.spec.WorldSize()), RankRuntime{});
      if (job.record.state == JobState::kRunning) {
        for (auto& r : job.ranks) r.phase = RankPhase::kRunning;
      }
      JOBCTL_ASSIGN_OR_RETURN(auto exits, store_->LoadRankExits(job.record.id, job.record.attempt));
      for (const auto& e : exits) {
        if (e.rank < 0 || e.rank >= static_cast<int>(job.ranks.size())) continue;
        job.ranks[static_cast<size_t>(e.rank)] = {RankPhase::kExited, e.exit_code, e.signal};
      }
      for (size_t k = 0; k < job.placement.nodes.size(); ++k) {
        const NodePlacement& np = job.placement.nodes[k];
        Hold hold{job.record.id, job.record.attempt, np.node_id, np.gpus, np.cpus,
                  np.memory_bytes, k == 0 ? job.placement.master_port : 0, {}};
        for (int r : np.ranks) {
          if (job.ranks[static_cast<size_t>(r)].phase != RankPhase::kExited) {
            hold.live_ranks.insert(r);
          }
        }
        if (!hold.live_ranks.empty()) holds_.push_back(std::move(hold));
      }
    }
    uint64_t number = job.number;
    Track(jobs_.emplace(number, std::move(job)).first->second);
  }
  started_steady_ms_ = clock_->SteadyMillis();
  dirty_ = true;
  return Status::Ok();
}

JobManager::Job* JobManager::FindJob(const std::string& job_id) {
  uint64_t number = 0;
  auto [ptr, ec] = std::from_chars(job_id.data(), job_id.data() + job_id.size(), number);
  if (ec != std::errc() || ptr != job_id.data() + job_id.size()) return nullptr;
  auto it = jobs_.find(number);
  return (it == jobs_.end() || it->second.record.id != job_id) ? nullptr : &it->second;
}

const JobManager::Job* JobManager::FindJob(const std::string& job_id) const {
  return const_cast<JobManager*>(this)->FindJob(job_id);
}

void JobManager::NoteStoreError(const Status& status, const std::string& what) {
  if (status.ok()) return;
  ++store_errors_;
  spdlog::error("state store: {}: {}", what, status.ToString());
}

void JobManager::Persist(Job& job) {
  job.record.updated_ms = clock_->NowMillis();
  NoteStoreError(store_->UpdateJob(job.record), "updating job " + job.record.id);
}

void JobManager::Transition(Job& job, JobState to, const std::string& reason) {
  protocol::StateTransition t;
  t.from = std::string(JobStateName(job.record.state));
  t.to = std::string(JobStateName(to));
  t.time_ms = clock_->NowMillis();
  t.attempt = job.record.attempt;
  t.reason = reason;
  if (!IsValidTransition(job.record.state, to)) {
    spdlog::error("job {}: invalid transition {} -> {} ignored", job.record.id, t.from, t.to);
    return;
  }
  spdlog::info("job {} attempt {}: {} -> {}: {}", job.record.id, job.record.attempt, t.from, t.to,
               reason);
  Untrack(job);
  job.record.state = to;
  Track(job);
  NoteStoreError(store_->AddTransition(job.record.id, t), "storing a transition");
  Persist(job);
}

Result<std::string> JobManager::StoreArchive(const std::string& data) {
  std::string sha = digest::Sha256Hex(data);
  std::string final_path = paths::ArchivePath(options_.data_dir, sha);
  if (::access(final_path.c_str(), F_OK) == 0) return sha;  // content-addressed: already there
  std::string temp = paths::ArchiveTempDir(options_.data_dir) + "/" + sha + "." +
                     std::to_string(::getpid()) + ".tmp";
  int fd = ::open(temp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0) return ErrnoStatus("storing code archive " + temp);
  size_t done = 0;
  while (done < data.size()) {
    ssize_t n = ::write(fd, data.data() + done, data.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) {
      Status s = ErrnoStatus("storing code archive " + temp);
      ::close(fd);
      ::unlink(temp.c_str());
      return s;
    }
    done += static_cast<size_t>(n);
  }
  if (::fsync(fd) != 0 || ::close(fd) != 0) {
    Status s = ErrnoStatus("syncing code archive " + temp);
    ::unlink(temp.c_str());
    return s;
  }
  if (::rename(temp.c_str(), final_path.c_str()) != 0) {
    Status s = ErrnoStatus("renaming code archive to " + final_path);
    ::unlink(temp.c_str());
    return s;
  }
  return sha;
}

Result<std::string> JobManager::Submit(const protocol::SubmitJobRequest& request,
                                       const std::string& owner) {
  JOBCTL_RETURN_IF_ERROR(ValidateSpec(request.spec, request.spec_file));
  Job job;
  if (!request.code_archive.data.empty()) {
    JOBCTL_ASSIGN_OR_RETURN(job.record.code_sha256, StoreArchive(request.code_archive.data));
  }
  job.number = last_job_id_ + 1;
  job.record.id = std::to_string(job.number);
  job.record.spec = request.spec;
  job.record.state = JobState::kQueued;
  job.record.attempt = 1;
  job.record.priority = request.spec.priority;
  job.record.owner = owner;
  job.record.created_ms = job.record.updated_ms = clock_->NowMillis();
  protocol::StateTransition first{"", "QUEUED", job.record.created_ms, 1, "submitted"};
  JOBCTL_RETURN_IF_ERROR(store_->InsertJob(job.record, first));
  last_job_id_ = job.number;
  batch_submits_.push_back(job.number);
  spdlog::info("job {} submitted: {} ({} nodes x {} processes)", job.record.id,
               job.record.spec.name, job.record.spec.NodeCount(),
               job.record.spec.ProcessesPerNode());
  std::string id = job.record.id;
  Track(jobs_.emplace(job.number, std::move(job)).first->second);
  dirty_ = true;
  return id;
}

void JobManager::RevertBatchSubmits() {
  for (uint64_t number : batch_submits_) {
    auto it = jobs_.find(number);
    if (it == jobs_.end()) continue;
    Untrack(it->second);
    jobs_.erase(it);
  }
  batch_submits_.clear();
  auto last = store_->LastJobId();
  if (last.ok()) last_job_id_ = *last;
}

Result<JobState> JobManager::Cancel(const std::string& job_id) {
  Job* job = FindJob(job_id);
  if (job == nullptr) return NotFoundError("job " + job_id + " does not exist");
  if (IsTerminal(job->record.state)) return job->record.state;
  if (!job->placement.nodes.empty()) StopAttempt(*job, "cancelled by user");
  job->record.end_reason = "cancelled by user";
  Transition(*job, JobState::kCancelled, "cancelled by user");
  dirty_ = true;
  return job->record.state;
}

void JobManager::StartAttempt(Job& job, const JobPlacement& placement) {
  std::string archive;
  if (!job.record.code_sha256.empty()) {
    std::string path = paths::ArchivePath(options_.data_dir, job.record.code_sha256);
    std::ifstream in(path, std::ios::binary);
    std::stringstream buffer;
    buffer << in.rdbuf();
    if (!in) {
      job.record.end_reason = "code archive " + path + " cannot be read";
      Transition(job, JobState::kFailed, job.record.end_reason);
      return;
    }
    archive = buffer.str();
  }
  job.placement = placement;
  job.ranks.assign(static_cast<size_t>(job.record.spec.WorldSize()), RankRuntime{});
  job.pending_reason.clear();
  job.record.placement_json = PlacementToJson(placement);
  job.record.attempt_started_ms = clock_->NowMillis();
  Transition(job, JobState::kPreparing, "placed on " + JoinNodes(placement) + "; master " +
                                            placement.master_addr + ":" +
                                            std::to_string(placement.master_port));
  const JobSpec& spec = job.record.spec;
  for (size_t k = 0; k < placement.nodes.size(); ++k) {
    const NodePlacement& np = placement.nodes[k];
    holds_.push_back(Hold{job.record.id, job.record.attempt, np.node_id, np.gpus, np.cpus,
                          np.memory_bytes, k == 0 ? placement.master_port : 0,
                          std::set<int>(np.ranks.begin(), np.ranks.end())});
    protocol::StartAttemptCommand cmd;
    cmd.job_id = job.record.id;
    cmd.attempt = job.record.attempt;
    cmd.spec = spec;
    cmd.code_archive.data = archive;
    cmd.node_rank = static_cast<int>(k);
    cmd.num_nodes = static_cast<int>(placement.nodes.size());
    cmd.world_size = spec.WorldSize();
    cmd.local_world_size = spec.ProcessesPerNode();
    cmd.ranks = np.ranks;
    cmd.gpus = np.rank_gpus;
    cmd.master_addr = placement.master_addr;
    cmd.master_port = placement.master_port;
    sender_->SendToNode(np.node_id, protocol::Encode(cmd, 0));
  }
}

void JobManager::StopAttempt(const Job& job, const std::string& reason) {
  protocol::StopAttemptCommand cmd;
  cmd.job_id = job.record.id;
  cmd.attempt = job.record.attempt;
  cmd.reason = reason;
  cmd.grace_ms = options_.grace_ms;
  std::string frame = protocol::Encode(cmd, 0);
  for (const auto& np : job.placement.nodes) sender_->SendToNode(np.node_id, frame);
}

void JobManager::EndAttempt(Job& job, JobState terminal, const std::string& reason) {
  StopAttempt(job, reason);
  const int attempt = job.record.attempt;
  if (terminal == JobState::kFailed && attempt <= job.record.spec.retries) {
    std::string why = "attempt " + std::to_string(attempt) + " failed: " + reason + "; retry " +
                      std::to_string(attempt) + " of " + std::to_string(job.record.spec.retries);
    job.record.attempt = attempt + 1;
    job.record.placement_json.clear();
    job.placement = JobPlacement{};
    job.ranks.clear();
    Transition(job, JobState::kQueued, why);
  } else {
    job.record.end_reason = reason;
    Transition(job, terminal, reason);
  }
  dirty_ = true;
}

void JobManager::ReleaseHold(const std::string& job_id, int attempt, const std::string& node_id) {
  auto it = std::find_if(holds_.begin(), holds_.end(), [&](const Hold& h) {
    return h.job_id == job_id && h.attempt == attempt && h.node_id == node_id;
  });
  if (it == holds_.end()) return;
  holds_.erase(it);
  dirty_ = true;
}

bool JobManager::AttemptLive(const std::string& job_id, int attempt) const {
  const Job* job = FindJob(job_id);
  return job != nullptr && job->record.attempt == attempt && !job->placement.nodes.empty() &&
         (job->record.state == JobState::kPreparing || job->record.state == JobState::kRunning);
}

Status JobManager::OnRankEvent(const protocol::RankEventRequest& e) {
  if (e.event != "started" && e.event != "exited" && e.event != "prepare_failed") {
    return InvalidArgumentError("rank_event: unknown event '" + e.event +
                                "' (expected started, exited or prepare_failed)");
  }
  Job* job = FindJob(e.job_id);
  if (job == nullptr) return NotFoundError("rank_event: job " + e.job_id + " does not exist");
  if (e.event != "prepare_failed" &&
      (e.rank < 0 || e.rank >= job->record.spec.WorldSize())) {
    return InvalidArgumentError("rank_event: rank " + std::to_string(e.rank) + " of job " +
                                e.job_id + " is out of range");
  }
  // Holds follow the agent's processes, whatever state the job is in.
  if (e.event == "prepare_failed") {
    ReleaseHold(e.job_id, e.attempt, e.node_id);
  } else if (e.event == "exited") {
    auto it = std::find_if(holds_.begin(), holds_.end(), [&](const Hold& h) {
      return h.job_id == e.job_id && h.attempt == e.attempt && h.node_id == e.node_id;
    });
    if (it != holds_.end()) {
      it->live_ranks.erase(e.rank);
      if (it->live_ranks.empty()) ReleaseHold(e.job_id, e.attempt, e.node_id);
    }
    RankExitRecord exit{e.job_id, e.attempt, e.rank, e.node_id, e.exit_code, e.signal,
                        clock_->NowMillis()};
    NoteStoreError(store_->AddRankExit(exit), "storing a rank exit");
  }
  if (!AttemptLive(e.job_id, e.attempt)) return Status::Ok();  // a late or duplicate event

  if (e.event == "prepare_failed") {
    EndAttempt(*job, JobState::kFailed,
               "node " + e.node_id + " failed to prepare" +
                   (e.message.empty() ? std::string() : ": " + e.message));
    return Status::Ok();
  }
  RankRuntime& rank = job->ranks[static_cast<size_t>(e.rank)];
  if (e.event == "started") {
    if (rank.phase != RankPhase::kPending) return Status::Ok();
    rank.phase = RankPhase::kRunning;
    bool all = std::all_of(job->ranks.begin(), job->ranks.end(),
                           [](const RankRuntime& r) { return r.phase != RankPhase::kPending; });
    if (all && job->record.state == JobState::kPreparing) {
      Transition(*job, JobState::kRunning,
                 "all " + std::to_string(job->ranks.size()) + " ranks started");
    }
    return Status::Ok();
  }
  if (rank.phase == RankPhase::kExited) return Status::Ok();  // duplicate
  rank = {RankPhase::kExited, e.exit_code, e.signal};
  // A rank the agent stopped because another rank failed is not the cause:
  // that rank's own event names the cause and ends the attempt.
  if ((e.exit_code != 0 || e.signal != 0) && !e.stopped) {
    std::string how = e.signal != 0 ? "was killed by signal " + std::to_string(e.signal)
                                    : "exited with code " + std::to_string(e.exit_code);
    EndAttempt(*job, JobState::kFailed,
               "rank " + std::to_string(e.rank) + " on node " + e.node_id + " " + how);
    return Status::Ok();
  }
  bool all_done = std::all_of(job->ranks.begin(), job->ranks.end(), [](const RankRuntime& r) {
    return r.phase == RankPhase::kExited && r.exit_code == 0 && r.signal == 0;
  });
  if (all_done) {
    if (job->record.state == JobState::kPreparing) {
      Transition(*job, JobState::kRunning, "all ranks started");
    }
    job->record.end_reason = "all " + std::to_string(job->ranks.size()) + " ranks exited with code 0";
    Transition(*job, JobState::kSucceeded, job->record.end_reason);
    dirty_ = true;
  }
  return Status::Ok();
}

std::vector<protocol::AttemptRef> JobManager::OnNodeReport(
    const std::string& node_id, const std::vector<protocol::RunningRank>& running) {
  std::vector<protocol::AttemptRef> stop;
  bool reattached = false;
  auto add_stop = [&](const std::string& job_id, int attempt) {
    for (const auto& s : stop) {
      if (s.job_id == job_id && s.attempt == attempt) return;
    }
    stop.push_back({job_id, attempt});
  };
  for (const auto& r : running) {
    Job* job = FindJob(r.job_id);
    bool placed_here = false;
    if (job != nullptr && AttemptLive(r.job_id, r.attempt)) {
      for (const auto& np : job->placement.nodes) {
        if (np.node_id == node_id &&
            std::find(np.ranks.begin(), np.ranks.end(), r.rank) != np.ranks.end()) {
          placed_here = true;
        }
      }
    }
    if (!placed_here) {
      add_stop(r.job_id, r.attempt);
      continue;
    }
    // Re-attach (after a controller restart the `started` event may be gone).
    RankRuntime& rank = job->ranks[static_cast<size_t>(r.rank)];
    if (rank.phase == RankPhase::kPending) {
      rank.phase = RankPhase::kRunning;
      reattached = true;
    }
  }
  // Holds of ended attempts whose ranks this node no longer runs are free.
  std::vector<std::pair<std::string, int>> released;
  for (const Hold& h : holds_) {
    if (h.node_id != node_id || AttemptLive(h.job_id, h.attempt)) continue;
    bool still_running = std::any_of(running.begin(), running.end(), [&](const auto& r) {
      return r.job_id == h.job_id && r.attempt == h.attempt;
    });
    if (!still_running) released.emplace_back(h.job_id, h.attempt);
  }
  for (const auto& [job_id, attempt] : released) ReleaseHold(job_id, attempt, node_id);
  // Jobs whose ranks all run now move on to RUNNING.
  for (auto& [number, job] : jobs_) {
    if (!reattached) break;
    if (job.record.state != JobState::kPreparing || job.ranks.empty()) continue;
    bool all = std::all_of(job.ranks.begin(), job.ranks.end(),
                           [](const RankRuntime& r) { return r.phase != RankPhase::kPending; });
    if (all) Transition(job, JobState::kRunning, "all ranks running (reported by their nodes)");
  }
  return stop;
}

void JobManager::OnNodeLost(const std::string& node_id, int64_t silence_ms) {
  std::string reason =
      "node " + node_id + " lost (no heartbeat for " + std::to_string(silence_ms) + " ms)";
  spdlog::warn("{}", reason);
  holds_.erase(std::remove_if(holds_.begin(), holds_.end(),
                              [&](const Hold& h) { return h.node_id == node_id; }),
               holds_.end());
  // EndAttempt changes live_: walk a copy.
  for (uint64_t number : std::vector<uint64_t>(live_.begin(), live_.end())) {
    auto found = jobs_.find(number);
    if (found == jobs_.end()) continue;
    Job& job = found->second;
    if (!AttemptLive(job.record.id, job.record.attempt)) continue;
    bool uses = std::any_of(job.placement.nodes.begin(), job.placement.nodes.end(),
                            [&](const NodePlacement& np) { return np.node_id == node_id; });
    if (uses) EndAttempt(job, JobState::kFailed, reason);
  }
  dirty_ = true;
}

void JobManager::CheckTimeouts() {
  int64_t now = clock_->NowMillis();
  // Only jobs with a live attempt can time out; EndAttempt changes live_.
  std::vector<uint64_t> expired;
  for (uint64_t number : live_) {
    auto found = jobs_.find(number);
    if (found == jobs_.end()) continue;
    const Job& job = found->second;
    int64_t limit_s = job.record.spec.limits.timeout_seconds;
    if (limit_s > 0 && now - job.record.attempt_started_ms >= limit_s * 1000) {
      expired.push_back(number);
    }
  }
  for (uint64_t number : expired) {
    Job& job = jobs_.find(number)->second;  // found just above
    int64_t limit_s = job.record.spec.limits.timeout_seconds;
    if (limit_s <= 0 || !AttemptLive(job.record.id, job.record.attempt)) continue;
    if (now - job.record.attempt_started_ms >= limit_s * 1000) {
      EndAttempt(job, JobState::kTimedOut,
                 "exceeded limits.timeout of " + std::to_string(limit_s) + " s");
    }
  }
}

void JobManager::CheckMissingNodesAfterRestart() {
  if (restart_check_done_) return;
  int64_t waited = clock_->SteadyMillis() - started_steady_ms_;
  if (waited <= nodes_->heartbeat_timeout_ms()) return;
  restart_check_done_ = true;
  std::set<std::string> missing;
  for (const Hold& h : holds_) {
    if (nodes_->Find(h.node_id) == nullptr) missing.insert(h.node_id);
  }
  for (const auto& [number, job] : jobs_) {
    for (const auto& np : job.placement.nodes) {
      if (AttemptLive(job.record.id, job.record.attempt) && nodes_->Find(np.node_id) == nullptr) {
        missing.insert(np.node_id);
      }
    }
  }
  for (const auto& node_id : missing) OnNodeLost(node_id, waited);
}

void JobManager::Tick() {
  CheckMissingNodesAfterRestart();
  CheckTimeouts();
  if (dirty_) Schedule();
}

JobRequest JobManager::RequestOf(const Job& job) const {
  const JobSpec& s = job.record.spec;
  // Without cpus_per_node a rank holds one CPU (as Slurm's default), so a
  // node never runs more ranks than it has CPUs.
  double cpus = s.resources.cpus_per_node > 0 ? s.resources.cpus_per_node
                                              : static_cast<double>(s.ProcessesPerNode());
  return JobRequest{job.record.id,
                    job.record.priority,
                    job.number,
                    s.compute,
                    s.NodeCount(),
                    s.ProcessesPerNode(),
                    s.resources.gpus_per_node,
                    cpus,
                    s.resources.memory_per_node_bytes};
}

void JobManager::Track(const Job& job) {
  // SCALING jobs wait for nodes a pool is provisioning; they are scheduled
  // like QUEUED ones as soon as nodes fit.
  if (job.record.state == JobState::kQueued || job.record.state == JobState::kScaling) {
    if (queued_.insert({-static_cast<int64_t>(job.record.priority), job.number}).second) {
      queued_cpus_.insert(RequestOf(job).cpus_per_node);
    }
  } else if (job.record.state == JobState::kPreparing || job.record.state == JobState::kRunning) {
    live_.insert(job.number);
  }
}

void JobManager::Untrack(const Job& job) {
  if (queued_.erase({-static_cast<int64_t>(job.record.priority), job.number}) > 0) {
    auto it = queued_cpus_.find(RequestOf(job).cpus_per_node);
    if (it != queued_cpus_.end()) queued_cpus_.erase(it);
  }
  live_.erase(job.number);
}

// Incremental pass: the queue is walked in order in growing chunks, each
// scheduled against the capacity the previous chunks left, and the walk stops
// as soon as no ready node has the CPUs the smallest queued job asks for
// (every job asks for some CPUs, so nothing further can fit). With a long
// queue on a full cluster a pass costs O(placements), not O(queue). The
// result is the one a single pass over the whole queue gives: the scheduler
// only ever shrinks capacity, so splitting its input changes nothing. Jobs
// the walk did not reach keep their reason from the pass that reached them;
// Get() recomputes it when that pass is not the last one.
void JobManager::Schedule() {
  dirty_ = false;
  if (queued_.empty()) return;
  ++schedule_pass_;
  std::vector<NodeCapacity> capacity = Capacities();
  size_t chunk_size = 32;
  auto it = queued_.begin();
  while (it != queued_.end()) {
    const double smallest = queued_cpus_.empty() ? 0 : *queued_cpus_.begin();
    bool room = std::any_of(capacity.begin(), capacity.end(), [&](const NodeCapacity& n) {
      return n.ready && n.free_cpus + 1e-9 >= smallest;
    });
    if (!room) break;
    std::vector<JobRequest> chunk;
    for (; it != queued_.end() && chunk.size() < chunk_size; ++it) {
      auto found = jobs_.find(it->second);
      if (found != jobs_.end()) chunk.push_back(RequestOf(found->second));
    }
    chunk_size *= 2;
    ScheduleResult result = scheduler_.Schedule(std::move(chunk), std::move(capacity));
    capacity = std::move(result.remaining);
    // StartAttempt moves the job out of queued_; `it` points past the chunk,
    // so it stays valid.
    for (const auto& placement : result.placements) {
      Job* job = FindJob(placement.job_id);
      if (job != nullptr) StartAttempt(*job, placement);
    }
    for (auto& [job_id, reason] : result.pending) {
      Job* job = FindJob(job_id);
      if (job == nullptr) continue;
      job->pending_reason = std::move(reason);
      job->reason_pass = schedule_pass_;
    }
  }
}

}  // namespace jobctl::controller
