// RankMetrics: one rank's metrics path on the agent: the MetricsChannel the
// rank writes to, a LogSpool holding the encoded points on disk until the
// controller acknowledges them, and a LogShipper sending them as
// metric_batch requests (batched, windowed, resent from the first
// unacknowledged point after an error or a controller restart).
//
// Files: the FIFO is MetricsFifoPath(); the spool is
// SPOOL/<job>/attempt-<n>/rank-<r>.metrics (+ .metrics-ack).
//
// Thread-safety: belongs to the thread running its io_context.
#pragma once

#include <boost/asio/io_context.hpp>
#include <functional>
#include <memory>
#include <string>

#include "agent/attempt_reporter.h"
#include "agent/log_shipper.h"
#include "agent/log_spool.h"
#include "agent/metrics_channel.h"

namespace jobctl::agent {

// paths::MetricsFifo: the rank's JOBCTL_METRICS.
std::string MetricsFifoPath(const std::string& work_dir, const std::string& job_id, int attempt,
                            int rank);

struct RankMetricsOptions {
  std::string work_dir;
  std::string node_id;
  std::string job_id;
  int attempt = 0;
  int rank = 0;
  LogShipperOptions shipper;
  // The attempt's spool directory did not exist when it began: the metric
  // spool has no file to recover (LogSpool::OpenNew).
  bool new_spool = false;
  FifoPool* fifos = nullptr;  // where the FIFO comes from and goes back to; may be null
};

class RankMetrics {
 public:
  // `reporter` must outlive the object; `log_line` appends a line to the
  // rank's log (bad-line notices).
  static Result<std::unique_ptr<RankMetrics>> Open(boost::asio::io_context& io,
                                                   AttemptReporter* reporter,
                                                   RankMetricsOptions options,
                                                   MetricsChannel::NoticeFn log_line);
  ~RankMetrics();
  RankMetrics(const RankMetrics&) = delete;
  RankMetrics& operator=(const RankMetrics&) = delete;

  // The rank has exited: reads the channel dry and calls `on_drained` once
  // every point is acknowledged.
  void Close(std::function<void()> on_drained);
  // Deletes the spool files (after the rank's exit was reported).
  void Remove();

  const MetricsChannel& channel() const { return *channel_; }

 private:
  RankMetrics() = default;
  std::unique_ptr<LogSpool> spool_;
  std::unique_ptr<LogShipper> shipper_;
  std::unique_ptr<MetricsChannel> channel_;
};

}  // namespace jobctl::agent
