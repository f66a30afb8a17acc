// MemoryStateStore: a StateStore that keeps everything in memory, for tests
// and `--store memory`. Commit() applies the open batch; Rollback() drops it.
// set_fail_writes(true) makes every mutation fail with RESOURCE_EXHAUSTED, as
// a full disk would.
//
// Thread-safety: not thread-safe.
#pragma once

#include <map>
#include <optional>
#include <vector>

#include "controller/state_store.h"

namespace jobctl::controller {

class MemoryStateStore final : public StateStore {
 public:
  Status InsertJob(const JobRecord& job, const protocol::StateTransition& first) override;
  Status UpdateJob(const JobRecord& job) override;
  Status AddTransition(const std::string& job_id,
                       const protocol::StateTransition& transition) override;
  Status AddRankExit(const RankExitRecord& exit) override;
  Status Commit() override;
  void Rollback() override;
  Result<uint64_t> LastJobId() override;
  Result<std::vector<JobRecord>> LoadJobs() override;
  Result<std::vector<protocol::StateTransition>> LoadTransitions(
      const std::string& job_id) override;
  Result<std::vector<RankExitRecord>> LoadRankExits(const std::string& job_id,
                                                    int attempt) override;

  void set_fail_writes(bool fail) { fail_writes_ = fail; }
  // Number of successful Commit() calls that had something to commit.
  int commits() const { return commits_; }

 private:
  struct Data {
    uint64_t last_job_id = 0;
    std::map<uint64_t, JobRecord> jobs;
    std::map<std::string, std::vector<protocol::StateTransition>> transitions;
    std::vector<RankExitRecord> exits;
  };
  Status CheckWritable() const;
  Data& Batch();

  Data committed_;
  std::optional<Data> batch_;  // copy-on-write: created by the first mutation
  bool fail_writes_ = false;
  int commits_ = 0;
};

}  // namespace jobctl::controller
