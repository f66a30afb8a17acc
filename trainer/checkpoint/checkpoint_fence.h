// CheckpointFence: at most one run writes a checkpoint folder, the newest.
//
// A retried attempt of a job resumes from the folder its lost attempt wrote
// (on a filesystem both nodes see). The lost attempt's rank 0 may still run
// (a network partition, or a node whose agent died without stopping it) and
// keep writing there. To keep it from writing over the new attempt's files,
// every run claims the folder when it starts: it writes its id to
// `<dir>/writer`, atomically. Before each checkpoint it publishes (just before
// the rename, see atomic_file.h) it checks that the file still names it; a
// run that finds another id there has been superseded and stops with
// kFailedPrecondition. A superseded run can thus publish at most the one
// checkpoint whose check raced with the claim: a complete file of the same
// job (writes are atomic), overwritten when the new run reaches that epoch.
//
// Thread-safety: reentrant; one CheckpointFence per run (rank 0).
#pragma once

#include <string>

#include "common/status.h"

namespace jobctl::trainer {

class CheckpointFence {
 public:
  // Creates `dir` if needed, removes temporaries left by killed writers and
  // makes `id` the folder's writer.
  static Result<CheckpointFence> Claim(const std::string& dir, const std::string& id);

  // OK while the folder's writer is this run.
  Status Check() const;

  const std::string& id() const { return id_; }
  const std::string& dir() const { return dir_; }

  // This process's id: the job, attempt and node when run by jobctl
  // (JOBCTL_JOB_ID, JOBCTL_ATTEMPT, JOBCTL_NODE_ID), the host and pid, and a
  // random part, e.g. "job 12 attempt 2 node node-b host h1 pid 4242 3f9c...".
  static std::string ProcessWriterId();

  static constexpr const char* kFileName = "writer";

 private:
  CheckpointFence(std::string dir, std::string id) : dir_(std::move(dir)), id_(std::move(id)) {}
  std::string dir_;
  std::string id_;
};

}  // namespace jobctl::trainer
