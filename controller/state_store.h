// StateStore: the controller's durable state behind one interface.
//
// Stored: jobs (one row each, rewritten whole by PutJob), every state
// transition, and rank exit codes per attempt. Nodes are soft state and are
// not stored (agents re-register). Code archives and logs are files
// (paths.h), not rows.
//
// Group commit: mutations accumulate in an open batch that Commit() makes
// durable in one transaction; the server commits once per poll iteration,
// before any reply of that iteration is sent. Rollback() discards the batch.
// InsertJob is atomic within the batch: on error it leaves nothing behind.
//
// Thread-safety: not thread-safe; one thread (the server loop) owns a store.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "common/job_spec/job_spec.h"
#include "common/job_state.h"
#include "common/protocol/messages.h"
#include "common/status.h"

namespace jobctl::controller {

struct JobRecord {
  std::string id;  // decimal integer, "1", "2", ...
  JobSpec spec;
  JobState state = JobState::kQueued;
  int attempt = 1;
  int priority = 0;
  int64_t created_ms = 0;
  int64_t updated_ms = 0;
  std::string owner;
  std::string end_reason;
  std::string code_sha256;         // empty: the job has no code archive
  std::string placement_json;      // the current attempt's placement; empty while queued
  int64_t attempt_started_ms = 0;  // when the current attempt entered PREPARING
};

struct RankExitRecord {
  std::string job_id;
  int attempt = 0;
  int rank = 0;
  std::string node_id;
  int exit_code = 0;
  int signal = 0;
  int64_t time_ms = 0;
};

class StateStore {
 public:
  virtual ~StateStore() = default;

  // Inserts a new job and its first transition atomically; `job.id` must be
  // numeric and larger than every id stored before (LastJobId() grows to it).
  virtual Status InsertJob(const JobRecord& job, const protocol::StateTransition& first) = 0;
  // Rewrites an existing job's row but its spec, which is fixed at submit.
  virtual Status UpdateJob(const JobRecord& job) = 0;
  virtual Status AddTransition(const std::string& job_id,
                               const protocol::StateTransition& transition) = 0;
  // Idempotent: a second exit of the same (job, attempt, rank) is ignored.
  virtual Status AddRankExit(const RankExitRecord& exit) = 0;

  // Makes every mutation since the last Commit/Rollback durable, at once.
  virtual Status Commit() = 0;
  // Discards every mutation since the last Commit/Rollback.
  virtual void Rollback() = 0;

  // Reads see uncommitted mutations of the open batch.
  virtual Result<uint64_t> LastJobId() = 0;  // 0 when no job was ever stored
  virtual Result<std::vector<JobRecord>> LoadJobs() = 0;  // ordered by id
  virtual Result<std::vector<protocol::StateTransition>> LoadTransitions(
      const std::string& job_id) = 0;  // in insertion order
  virtual Result<std::vector<RankExitRecord>> LoadRankExits(const std::string& job_id,
                                                            int attempt) = 0;
};

}  // namespace jobctl::controller
