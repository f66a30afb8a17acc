// JobManager: the job lifecycle and its state machine.
//
//   QUEUED -> PREPARING (placed, StartAttempt sent) -> RUNNING (every rank
//   started) -> SUCCEEDED (every rank exited 0) | FAILED (a rank exited
//   non-zero, a node failed to prepare or was lost) | TIMED_OUT
//   (limits.timeout since PREPARING) | CANCELLED (user). A failed attempt with
//   retries left goes back to QUEUED as attempt+1.
//
// Every transition is written to the StateStore with its time and reason;
// the caller commits the store's batch (group commit) before it sends any
// reply or command, so commands to agents go through AgentSender, which the
// server queues until after the commit.
//
// Resources: an attempt holds, on each of its nodes, the GPUs, CPUs, memory
// (and on rank 0's node the rendezvous port) until every rank it placed there
// has reported `exited`, the node reports none of them running any more
// after the attempt ended, or the node is LOST. A job's terminal state is
// recorded at once; its holds may outlive it, so the next job never overlaps
// a dying one.
//
// Thread-safety: not thread-safe; the server loop owns it.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <set>
#include <string>
#include <vector>

#include "common/clock.h"
#include "common/job_state.h"
#include "common/protocol/messages.h"
#include "common/status.h"
#include "controller/node_registry.h"
#include "controller/scheduler.h"
#include "controller/state_store.h"

namespace jobctl::controller {

// Where commands to agents go (request id 0, no reply).
class AgentSender {
 public:
  virtual ~AgentSender() = default;
  virtual void SendToNode(const std::string& node_id, std::string frame) = 0;
};

struct JobManagerOptions {
  std::string data_dir;  // code archives live under it (paths.h)
  int grace_ms = 10000;  // passed in StopAttemptCommand
  PortRange ports;
};

class JobManager {
 public:
  // Every pointer must outlive the manager.
  JobManager(JobManagerOptions options, StateStore* store, NodeRegistry* nodes,
             AgentSender* sender, const Clock* clock);

  // Loads jobs from the store (at start). Live attempts keep their state and
  // wait for their nodes to re-register.
  Status Load();

  // Validates, stores the code archive and the job; returns the job id.
  // `owner` is the submitting user's name (docs/security.md).
  Result<std::string> Submit(const protocol::SubmitJobRequest& request,
                             const std::string& owner = "");
  // Returns the job's state after the request (terminal jobs are unchanged).
  Result<JobState> Cancel(const std::string& job_id);
  Status OnRankEvent(const protocol::RankEventRequest& event);
  // Reconciles a node's running ranks (at registration and each heartbeat);
  // returns attempts it runs that the controller no longer does.
  std::vector<protocol::AttemptRef> OnNodeReport(const std::string& node_id,
                                                 const std::vector<protocol::RunningRank>& running);
  // The node missed its heartbeats: its attempts fail, its holds are released.
  void OnNodeLost(const std::string& node_id, int64_t silence_ms);
  // Timeouts, nodes that never came back after a restart, and scheduling.
  void Tick();
  // Capacity changed outside the manager (a node registered): schedule again.
  void MarkDirty() { dirty_ = true; }

  // Views.
  // With a non-empty `owner`, only that user's jobs.
  Result<std::vector<protocol::JobSummary>> List(const protocol::ListJobsRequest& request,
                                                 const std::string& owner = "") const;
  // The user who submitted the job; NotFound for an unknown id.
  Result<std::string> OwnerOf(const std::string& job_id) const;
  Result<protocol::JobDetail> Get(const std::string& job_id) const;
  Result<JobState> StateOf(const std::string& job_id) const;
  // The job is terminal and no node still holds ranks of it.
  bool LogsComplete(const std::string& job_id) const;
  // NodeInfo with state and free resources filled in.
  protocol::NodeInfo Describe(const NodeEntry& node) const;

  // Group commit support: jobs submitted since the last BatchCommitted() are
  // forgotten by RevertBatchSubmits() when the store's commit failed.
  void BatchCommitted() { batch_submits_.clear(); }
  void RevertBatchSubmits();

  // Store writes that failed outside a submit (logged, counted).
  uint64_t store_errors() const { return store_errors_; }

  // Pools (job_manager_pools.cc). QUEUED and SCALING jobs, oldest first:
  // job id, pool (spec.compute), node count, whether SCALING.
  struct WaitingJob {
    std::string job_id;
    std::string pool;
    int nodes = 1;
    bool scaling = false;
  };
  std::vector<WaitingJob> WaitingJobs() const;
  // QUEUED -> SCALING (stored), or a new reason for a SCALING job.
  void NoteScaling(const std::string& job_id, const std::string& reason);
  // SCALING -> QUEUED (stored) with `reason` as its pending reason.
  void NoteWaiting(const std::string& job_id, const std::string& reason);

 private:
  enum class RankPhase { kPending, kRunning, kExited };
  struct RankRuntime {
    RankPhase phase = RankPhase::kPending;
    int exit_code = 0;
    int signal = 0;
  };
  struct Job {
    JobRecord record;
    uint64_t number = 0;
    std::string pending_reason;
    uint64_t reason_pass = 0;  // the Schedule() pass that set pending_reason
    JobPlacement placement;  // current attempt; empty nodes while queued
    std::vector<RankRuntime> ranks;
  };
  struct Hold {
    std::string job_id;
    int attempt = 0;
    std::string node_id;
    std::vector<int> gpus;
    double cpus = 0;
    int64_t memory_bytes = 0;
    int port = 0;  // 0 unless rank 0's node
    std::set<int> live_ranks;
  };

  Job* FindJob(const std::string& job_id);
  const Job* FindJob(const std::string& job_id) const;
  void Transition(Job& job, JobState to, const std::string& reason);
  void Persist(Job& job);
  void NoteStoreError(const Status& status, const std::string& what);
  void StartAttempt(Job& job, const JobPlacement& placement);
  void StopAttempt(const Job& job, const std::string& reason);
  // Ends the current attempt: retried (QUEUED, attempt+1) when `terminal` is
  // FAILED and retries remain, else the job ends in `terminal`.
  void EndAttempt(Job& job, JobState terminal, const std::string& reason);
  void ReleaseHold(const std::string& job_id, int attempt, const std::string& node_id);
  bool AttemptLive(const std::string& job_id, int attempt) const;
  std::vector<NodeCapacity> Capacities() const;
  JobRequest RequestOf(const Job& job) const;
  // Keep queued_/live_ in step with a job's state: Untrack before a change,
  // Track after it.
  void Track(const Job& job);
  void Untrack(const Job& job);
  void Schedule();
  void CheckTimeouts();
  void CheckMissingNodesAfterRestart();
  Result<std::string> StoreArchive(const std::string& data);

  JobManagerOptions options_;
  StateStore* store_;
  NodeRegistry* nodes_;
  AgentSender* sender_;
  const Clock* clock_;
  Scheduler scheduler_;

  std::map<uint64_t, Job> jobs_;  // by numeric id: iteration is submission order
  std::vector<Hold> holds_;
  uint64_t last_job_id_ = 0;
  std::vector<uint64_t> batch_submits_;
  bool dirty_ = true;  // something changed that may let a queued job run
  // Indexes kept by Track() so that per-iteration work does not walk every
  // job ever submitted: QUEUED jobs in scheduling order (higher priority
  // first, then older), the CPUs each asks for, and jobs with a live attempt.
  // Code that erases a job from jobs_ must Untrack it first.
  std::set<std::pair<int64_t, uint64_t>> queued_;  // (-priority, number)
  std::multiset<double> queued_cpus_;
  std::set<uint64_t> live_;
  uint64_t schedule_pass_ = 0;
  int64_t started_steady_ms_ = 0;
  bool restart_check_done_ = false;
  uint64_t store_errors_ = 0;
};

}  // namespace jobctl::controller
