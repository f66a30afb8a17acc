// JobManager's part in pools and autoscaling: the waiting jobs the
// autoscaler sizes pools by, and the QUEUED <-> SCALING transitions it asks for.
#include "controller/job_manager.h"

namespace jobctl::controller {

std::vector<JobManager::WaitingJob> JobManager::WaitingJobs() const {
  std::vector<WaitingJob> out;
  out.reserve(queued_.size());
  for (const auto& [neg_priority, number] : queued_) {  // QUEUED and SCALING jobs
    auto found = jobs_.find(number);
    if (found == jobs_.end()) continue;
    const Job& job = found->second;
    JobState s = job.record.state;
    out.push_back(WaitingJob{job.record.id, job.record.spec.compute, job.record.spec.NodeCount(),
                             s == JobState::kScaling});
  }
  return out;
}

void JobManager::NoteScaling(const std::string& job_id, const std::string& reason) {
  Job* job = FindJob(job_id);
  if (job == nullptr) return;
  if (job->record.state == JobState::kQueued) Transition(*job, JobState::kScaling, reason);
  if (job->record.state == JobState::kScaling) job->pending_reason = reason;
}

void JobManager::NoteWaiting(const std::string& job_id, const std::string& reason) {
  Job* job = FindJob(job_id);
  if (job == nullptr || job->record.state != JobState::kScaling) return;
  Transition(*job, JobState::kQueued, reason);
  job->pending_reason = reason;
  dirty_ = true;
}

}  // namespace jobctl::controller
