#include "controller/memory_state_store.h"

#include <charconv>

namespace jobctl::controller {
namespace {
Result<uint64_t> ParseId(const std::string& id) {
  uint64_t value = 0;
  auto [ptr, ec] = std::from_chars(id.data(), id.data() + id.size(), value);
  if (ec != std::errc() || ptr != id.data() + id.size() || id.empty()) {
    return InvalidArgumentError("job id '" + id + "' is not a decimal integer");
  }
  return value;
}
}  // namespace

Status MemoryStateStore::CheckWritable() const {
  if (fail_writes_) return ResourceExhaustedError("state store: no space left (injected)");
  return Status::Ok();
}

MemoryStateStore::Data& MemoryStateStore::Batch() {
  if (!batch_) batch_ = committed_;
  return *batch_;
}

Status MemoryStateStore::InsertJob(const JobRecord& job, const protocol::StateTransition& first) {
  JOBCTL_RETURN_IF_ERROR(CheckWritable());
  JOBCTL_ASSIGN_OR_RETURN(uint64_t id, ParseId(job.id));
  Data& data = Batch();
  if (id <= data.last_job_id) {
    return AlreadyExistsError("job id " + job.id + " is not above the last id " +
                              std::to_string(data.last_job_id));
  }
  data.last_job_id = id;
  data.jobs[id] = job;
  data.transitions[job.id].push_back(first);
  return Status::Ok();
}

Status MemoryStateStore::UpdateJob(const JobRecord& job) {
  JOBCTL_RETURN_IF_ERROR(CheckWritable());
  JOBCTL_ASSIGN_OR_RETURN(uint64_t id, ParseId(job.id));
  Data& data = Batch();
  auto it = data.jobs.find(id);
  if (it == data.jobs.end()) return NotFoundError("job " + job.id + " is not stored");
  JobSpec spec = std::move(it->second.spec);  // as inserted, like the SQLite store
  it->second = job;
  it->second.spec = std::move(spec);
  return Status::Ok();
}

Status MemoryStateStore::AddTransition(const std::string& job_id,
                                       const protocol::StateTransition& transition) {
  JOBCTL_RETURN_IF_ERROR(CheckWritable());
  Batch().transitions[job_id].push_back(transition);
  return Status::Ok();
}

Status MemoryStateStore::AddRankExit(const RankExitRecord& exit) {
  JOBCTL_RETURN_IF_ERROR(CheckWritable());
  Data& data = Batch();
  for (const auto& e : data.exits) {
    if (e.job_id == exit.job_id && e.attempt == exit.attempt && e.rank == exit.rank) {
      return Status::Ok();
    }
  }
  data.exits.push_back(exit);
  return Status::Ok();
}

Status MemoryStateStore::Commit() {
  if (!batch_) return Status::Ok();
  if (fail_writes_) {
    batch_.reset();
    return ResourceExhaustedError("state store: commit failed (injected)");
  }
  committed_ = std::move(*batch_);
  batch_.reset();
  ++commits_;
  return Status::Ok();
}

void MemoryStateStore::Rollback() { batch_.reset(); }

Result<uint64_t> MemoryStateStore::LastJobId() {
  return batch_ ? batch_->last_job_id : committed_.last_job_id;
}

Result<std::vector<JobRecord>> MemoryStateStore::LoadJobs() {
  const Data& data = batch_ ? *batch_ : committed_;
  std::vector<JobRecord> jobs;
  for (const auto& [id, job] : data.jobs) jobs.push_back(job);
  return jobs;
}

Result<std::vector<protocol::StateTransition>> MemoryStateStore::LoadTransitions(
    const std::string& job_id) {
  const Data& data = batch_ ? *batch_ : committed_;
  auto it = data.transitions.find(job_id);
  if (it == data.transitions.end()) return std::vector<protocol::StateTransition>{};
  return it->second;
}

Result<std::vector<RankExitRecord>> MemoryStateStore::LoadRankExits(const std::string& job_id,
                                                                    int attempt) {
  const Data& data = batch_ ? *batch_ : committed_;
  std::vector<RankExitRecord> out;
  for (const auto& e : data.exits) {
    if (e.job_id == job_id && e.attempt == attempt) out.push_back(e);
  }
  return out;
}

}  // namespace jobctl::controller
