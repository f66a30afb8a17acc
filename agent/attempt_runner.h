// AttemptRunner: this node's part of one attempt of a job, from
// start_attempt to the last rank's exited event.
//
// Start() lays out the work directory (paths.h), unpacks the code archive
// with `tar -xzf - -C code/` (a child process fed asynchronously), checks
// that MASTER_ADDR resolves when rank 0 runs elsewhere (prepare_failed
// otherwise), has the runtime prepare the job's environment image when it
// names one (pull progress and a prepare failure's reason are written, as
// lines starting with "[jobagent] ", to the log of this node's first rank;
// a failure is reported as prepare_failed), then starts every local rank
// through the Runtime with the torchrun environment (RANK, WORLD_SIZE,
// LOCAL_RANK, LOCAL_WORLD_SIZE, NODE_RANK, GROUP_RANK, ROLE_RANK, ROLE_WORLD_SIZE, MASTER_ADDR,
// MASTER_PORT, TORCHELASTIC_RUN_ID), CUDA_VISIBLE_DEVICES when GPUs are
// assigned, and JOBCTL_* variables; each started rank is reported
// (`started`) `started_report_delay` after the ranks started, or with the first
// exit report when a rank ends sooner (a short rank's `started` and `exited`
// then reach the controller in one request, in that order). Every rank's stdout and stderr are
// split into lines, spooled and shipped; when a rank has exited and its last line is acknowledged,
// its `exited` event is reported.
//
// When the last local rank's exit is reported and no local rank left
// anything in its outputs folder (OutputsSurelyEmpty), the attempt's empty
// output manifest is reported with it (AttemptReporter::ReportEmptyOutputs),
// so the controller gets both in one request; outputs_reported() then says
// that no OutputsUploader is needed.
//
// Fail-fast: a rank ending with a non-zero code or a signal makes the runner
// SIGTERM every other local rank (SIGKILL after the default grace period).
// Stop() does the same with the given grace. `on_finished` runs (posted)
// once every started rank's exited event is acknowledged, or after a
// prepare failure was reported.
//
// Thread-safety: belongs to the thread running its io_context.
#pragma once

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/posix/stream_descriptor.hpp>
#include <boost/asio/steady_timer.hpp>
#include <chrono>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "agent/attempt_dir_pool.h"
#include "agent/attempt_reporter.h"
#include "agent/child_process.h"
#include "agent/fifo_pool.h"
#include "agent/log_reader.h"
#include "agent/log_shipper.h"
#include "agent/log_spool.h"
#include "agent/rank_metrics.h"
#include "agent/runtime.h"
#include "common/protocol/messages.h"

namespace jobctl::agent {

struct AttemptRunnerOptions {
  std::string work_dir;
  std::string node_id;
  std::chrono::milliseconds default_grace{10000};
  std::vector<std::string> base_env;  // the agent's environment, "KEY=VALUE"
  LogShipperOptions shipper;
  FifoPool* fifos = nullptr;       // the metrics FIFOs' pool; may be null
  AttemptDirPool* dirs = nullptr;  // where the work directory comes from; may be null
  // How long `started` reports wait for an exit to travel with.
  std::chrono::milliseconds started_report_delay{10};
};

class AttemptRunner {
 public:
  // `runtime` and `reporter` must outlive the runner.
  AttemptRunner(boost::asio::io_context& io, Runtime* runtime, AttemptReporter* reporter,
                AttemptRunnerOptions options, protocol::StartAttemptCommand command,
                std::function<void()> on_finished);
  ~AttemptRunner();
  AttemptRunner(const AttemptRunner&) = delete;
  AttemptRunner& operator=(const AttemptRunner&) = delete;

  void Start();
  // SIGTERM to every rank's process group, SIGKILL after `grace`. Ranks not
  // started yet never start.
  void Stop(std::chrono::milliseconds grace, const std::string& reason);

  const std::string& job_id() const { return command_.job_id; }
  int attempt() const { return command_.attempt; }
  // Ranks started and not yet reported as exited.
  std::vector<protocol::RunningRank> Running() const;
  bool finished() const { return finished_; }
  // The empty output manifest went with the last rank's exit: nothing is
  // left to upload.
  bool outputs_reported() const { return outputs_reported_; }

  // The environment rank `local_rank` gets (exposed for tests).
  std::vector<std::string> RankEnvironment(int local_rank, const std::string& outputs_dir) const;

 private:
  struct RankState {
    int local_rank = 0;
    int rank = 0;
    int runtime_id = 0;
    bool started = false;
    bool started_sent = false;  // `started` handed to the reporter
    bool exited = false;
    bool stopped_by_us = false;  // exited after we signalled it (fail-fast or stop)
    bool exit_sent = false;      // exited event handed to the reporter
    bool reported = false;       // exited event acknowledged
    ExitInfo exit;
    int open_streams = 0;
    std::unique_ptr<LogSpool> spool;
    std::unique_ptr<LogShipper> shipper;
    std::unique_ptr<LogReader> out;
    std::unique_ptr<LogReader> err;
    std::unique_ptr<RankMetrics> metrics;  // JOBCTL_METRICS; null when it could not be set up
  };

  void Prepare();
  void UnpackCode();
  void OnCodeUnpacked(ExitInfo info);
  void CheckMasterAddr();
  void PrepareImage();
  void StartRanks();
  Status OpenLog(RankState& rank);
  void AppendAgentLine(RankState& rank, std::string_view line);
  void ReportPrepareFailed(const std::string& message);
  Status StartRank(RankState& rank);
  void OnRankExit(RankState& rank, ExitInfo info);
  void MaybeFinishRank(RankState& rank);
  void CloseLogThenReportExit(RankState& rank);
  // Reports `started` for every started rank not reported yet.
  void FlushStarted();
  // After the last exit was handed to the reporter: the empty manifest too,
  // when no rank wrote anything.
  void ReportOutputsIfEmpty();
  void PrepareFailed(const std::string& message);
  void SignalAll(int signal);
  void CheckFinished();
  protocol::RankEventRequest Event(int rank, const std::string& event) const;

  boost::asio::io_context& io_;
  Runtime* runtime_;
  AttemptReporter* reporter_;
  AttemptRunnerOptions options_;
  protocol::StartAttemptCommand command_;
  std::function<void()> on_finished_;
  std::vector<std::unique_ptr<RankState>> ranks_;
  bool stopping_ = false;
  bool finished_ = false;
  bool preparing_ = false;
  bool pulling_ = false;
  bool prepare_failed_ = false;
  bool outputs_reported_ = false;
  // No spool directory of this attempt existed when it began, so no spool
  // file is there to recover: spools open without probing the disk.
  bool spools_new_ = false;
  boost::asio::steady_timer kill_timer_;
  boost::asio::steady_timer started_timer_;  // FlushStarted after started_report_delay
  bool started_timer_armed_ = false;
  // Code unpacking.
  pid_t tar_pid_ = -1;
  std::unique_ptr<ExitWatcher> tar_watcher_;
  std::unique_ptr<boost::asio::posix::stream_descriptor> tar_stdin_;
  std::unique_ptr<LogReader> tar_stderr_;
  std::string tar_errors_;
  std::unique_ptr<boost::asio::ip::tcp::resolver> resolver_;
  std::shared_ptr<bool> alive_ = std::make_shared<bool>(true);
};

}  // namespace jobctl::agent
