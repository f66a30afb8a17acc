// The metrics handlers: metric_batch (agents), read_metrics and
// metric_summary (clients). Registered in Server::InstallHandlers.
#include <spdlog/spdlog.h>

#include "common/protocol/log_records.h"
#include "common/protocol/metric_records.h"
#include "controller/server.h"

namespace jobctl::controller {

Result<protocol::MetricBatchReply> Server::HandleMetricBatch(
    const protocol::MetricBatchRequest& request, const Incoming& in) {
  RememberNode(request.node_id, in);
  JOBCTL_RETURN_IF_ERROR(jobs_.StateOf(request.job_id).status());
  if (request.attempt < 0 || request.rank < 0) {
    return InvalidArgumentError("metric_batch: negative attempt or rank");
  }
  JOBCTL_ASSIGN_OR_RETURN(auto records, protocol::UnpackLines(request.points.data));
  std::vector<protocol::MetricPoint> points;
  points.reserve(records.size());
  for (std::string_view record : records) {
    auto point = protocol::DecodeMetricPoint(record);
    if (!point.ok()) {
      return InvalidArgumentError("metric_batch: point " + std::to_string(points.size()) + ": " +
                                  point.status().message());
    }
    points.push_back(std::move(*point));
  }
  JOBCTL_ASSIGN_OR_RETURN(uint64_t next, metrics_->Append(request.job_id, request.attempt,
                                                          request.rank, request.first_seq, points));
  return protocol::MetricBatchReply{next};
}

Result<protocol::ReadMetricsReply> Server::HandleReadMetrics(
    const protocol::ReadMetricsRequest& request, const Incoming& in) {
  JOBCTL_RETURN_IF_ERROR(CheckJobAccess(in, request.job_id));
  JOBCTL_ASSIGN_OR_RETURN(JobState state, jobs_.StateOf(request.job_id));
  protocol::ReadMetricsReply reply;
  reply.state = std::string(JobStateName(state));
  JOBCTL_ASSIGN_OR_RETURN(reply.points, metrics_->Read(request.job_id, request.name));
  return reply;
}

Result<protocol::MetricSummaryReply> Server::HandleMetricSummary(
    const protocol::MetricSummaryRequest& request, const Incoming& in) {
  protocol::MetricSummaryReply reply;
  for (const auto& id : request.job_ids) {
    if (!jobs_.StateOf(id).ok() || !CheckJobAccess(in, id).ok()) continue;
    JOBCTL_ASSIGN_OR_RETURN(auto points, metrics_->Read(id, ""));
    reply.jobs.push_back(SummarizeMetrics(id, points));
  }
  return reply;
}

}  // namespace jobctl::controller
