#include "agent/paths.h"

namespace jobctl::agent::paths {

std::string NodeIdFile(const std::string& work_dir) { return work_dir + "/node-id"; }

std::string ContainersConfFile(const std::string& work_dir) {
  return work_dir + "/containers.conf";
}

std::string JobsDir(const std::string& work_dir) { return work_dir + "/jobs"; }

std::string AttemptDir(const std::string& work_dir, const std::string& job_id, int attempt) {
  return JobsDir(work_dir) + "/" + job_id + "-attempt-" + std::to_string(attempt);
}

std::string CodeDir(const std::string& work_dir, const std::string& job_id, int attempt) {
  return AttemptDir(work_dir, job_id, attempt) + "/code";
}

std::string RankOutputsDir(const std::string& work_dir, const std::string& job_id, int attempt,
                           int rank) {
  return AttemptDir(work_dir, job_id, attempt) + "/" + RankOutputsDirName(rank);
}

std::string RankOutputsDirName(int rank) { return "outputs-rank-" + std::to_string(rank); }

std::string MetricsFifo(const std::string& work_dir, const std::string& job_id, int attempt,
                        int rank) {
  return AttemptDir(work_dir, job_id, attempt) + "/metrics-rank-" + std::to_string(rank) + ".fifo";
}

std::string FifoPoolDir(const std::string& work_dir) { return work_dir + "/fifos"; }

std::string AttemptDirPoolDir(const std::string& work_dir) { return work_dir + "/idle-attempts"; }

std::string SpoolDir(const std::string& work_dir) { return work_dir + "/spool"; }

std::string SpoolAttemptDir(const std::string& work_dir, const std::string& job_id, int attempt) {
  return SpoolDir(work_dir) + "/" + job_id + "/attempt-" + std::to_string(attempt);
}

std::string SpoolLogFile(const std::string& work_dir, const std::string& job_id, int attempt,
                         int rank) {
  return SpoolAttemptDir(work_dir, job_id, attempt) + "/rank-" + std::to_string(rank) + ".log";
}

std::string SpoolAckFile(const std::string& work_dir, const std::string& job_id, int attempt,
                         int rank) {
  return SpoolAttemptDir(work_dir, job_id, attempt) + "/rank-" + std::to_string(rank) + ".ack";
}

}  // namespace jobctl::agent::paths
