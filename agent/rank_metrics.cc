#include "agent/rank_metrics.h"

#include <spdlog/spdlog.h>

#include "agent/paths.h"
#include "common/protocol/metric_messages.h"

namespace jobctl::agent {

std::string MetricsFifoPath(const std::string& work_dir, const std::string& job_id, int attempt,
                            int rank) {
  return paths::MetricsFifo(work_dir, job_id, attempt, rank);
}

Result<std::unique_ptr<RankMetrics>> RankMetrics::Open(boost::asio::io_context& io,
                                                       AttemptReporter* reporter,
                                                       RankMetricsOptions options,
                                                       MetricsChannel::NoticeFn log_line) {
  const auto& wd = options.work_dir;
  std::string spool_base = paths::SpoolAttemptDir(wd, options.job_id, options.attempt) + "/rank-" +
                           std::to_string(options.rank);
  std::unique_ptr<RankMetrics> m(new RankMetrics());
  if (options.new_spool) {
    m->spool_ = LogSpool::OpenNew(spool_base + ".metrics", spool_base + ".metrics-ack");
  } else {
    JOBCTL_ASSIGN_OR_RETURN(m->spool_,
                            LogSpool::Open(spool_base + ".metrics", spool_base + ".metrics-ack"));
  }
  RankMetricsOptions o = options;
  m->shipper_ = std::make_unique<LogShipper>(
      io, m->spool_.get(),
      [reporter, o](uint64_t first_seq, std::string packed,
                    std::function<void(Result<uint64_t>)> on_reply) {
        protocol::MetricBatchRequest b;
        b.node_id = o.node_id;
        b.job_id = o.job_id;
        b.attempt = o.attempt;
        b.rank = o.rank;
        b.first_seq = first_seq;
        b.points.data = std::move(packed);
        reporter->SendMetricBatch(std::move(b), std::move(on_reply));
      },
      options.shipper);
  std::string fifo = MetricsFifoPath(wd, options.job_id, options.attempt, options.rank);
  RankMetrics* self = m.get();
  JOBCTL_ASSIGN_OR_RETURN(m->channel_, MetricsChannel::Open(
                                           io, fifo,
                                           [self](const std::vector<std::string>& records) {
                                             std::vector<std::string_view> views(records.begin(),
                                                                                 records.end());
                                             Status s = self->spool_->Append(views);
                                             if (!s.ok())
                                               spdlog::error("metrics spool: {}", s.ToString());
                                             self->shipper_->Pump();
                                           },
                                           std::move(log_line), options.fifos));
  return m;
}

RankMetrics::~RankMetrics() = default;

void RankMetrics::Close(std::function<void()> on_drained) {
  channel_->Close();
  shipper_->Close(std::move(on_drained));
}

void RankMetrics::Remove() { spool_->Remove(); }

}  // namespace jobctl::agent
