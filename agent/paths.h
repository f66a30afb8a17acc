// The agent's on-disk layout. Every path the agent uses is built here.
//
//   WORK/                                    (--work-dir)
//   |-- node-id                              the node id, persisted on first start
//   |-- containers.conf                      podman's configuration (runtime_factory.h)
//   |-- jobs/
//   |   `-- <job_id>-attempt-<n>/            one attempt's work directory (cwd without code)
//   |       |-- code/                        code_archive unpacked (cwd when present)
//   |       |-- metrics-rank-<r>.fifo        JOBCTL_METRICS of rank r (rank_metrics.h)
//   |       `-- outputs-rank-<r>/            JOBCTL_OUTPUTS_DIR of global rank r
//   |-- fifos/                               idle metrics FIFOs, for the next ranks (fifo_pool.h)
//   |-- idle-attempts/                       empty attempt directories, for the next attempts
//   |                                        (attempt_dir_pool.h)
//   `-- spool/
//       `-- <job_id>/
//           `-- attempt-<n>/
//               |-- rank-<r>.log             rank r's log lines (PackLines format),
//               |-- rank-<r>.ack             8 bytes: the first seq not yet acknowledged
//               `-- rank-<r>.metrics[-ack]   rank r's metric points, likewise (rank_metrics.h)
//
// A new inode costs the agent more than anything else it does for a short
// rank (ext4 without a journal searches past every inode freed in the last
// minutes for each new one), so the layout keeps them few: one directory per
// attempt (not one per job plus one per attempt) holding each rank's outputs
// directory and FIFO (no directory of their own), the FIFOs recycled from
// rank to rank (fifo_pool.h) and the directories of attempts that wrote
// nothing recycled from attempt to attempt (attempt_dir_pool.h).
//
// The life of jobs/<job_id>-attempt-<n>/: made (or taken from idle-attempts/)
// when the attempt starts; once the attempt is finished (its runner gone,
// every rank's exit reported) and its outputs are stored on the controller
// (an empty manifest with the last exit, or the OutputsUploader's commit
// without an error), the agent takes it into idle-attempts/ when it holds
// nothing but empty directories and otherwise deletes it (code/, outputs,
// files the ranks wrote in their cwd) on a background thread
// (attempt_dir_remover.h). It stays when the upload failed for good (the
// agent's log names it: the files can still be fetched from the node), with
// --keep-attempt-dirs (empty ones are still recycled), and when the agent
// was stopped or killed before the upload ended (uploads are not resumed
// after a restart; nothing deletes these directories later).
//
// Thread-safety: pure functions.
#pragma once

#include <string>

namespace jobctl::agent::paths {

std::string NodeIdFile(const std::string& work_dir);
std::string ContainersConfFile(const std::string& work_dir);
std::string JobsDir(const std::string& work_dir);
std::string AttemptDir(const std::string& work_dir, const std::string& job_id, int attempt);
std::string CodeDir(const std::string& work_dir, const std::string& job_id, int attempt);
std::string RankOutputsDir(const std::string& work_dir, const std::string& job_id, int attempt,
                           int rank);
// RankOutputsDir's last component.
std::string RankOutputsDirName(int rank);
std::string MetricsFifo(const std::string& work_dir, const std::string& job_id, int attempt,
                        int rank);
std::string FifoPoolDir(const std::string& work_dir);
std::string AttemptDirPoolDir(const std::string& work_dir);
std::string SpoolDir(const std::string& work_dir);
std::string SpoolAttemptDir(const std::string& work_dir, const std::string& job_id, int attempt);
std::string SpoolLogFile(const std::string& work_dir, const std::string& job_id, int attempt,
                         int rank);
std::string SpoolAckFile(const std::string& work_dir, const std::string& job_id, int attempt,
                         int rank);

}  // namespace jobctl::agent::paths
