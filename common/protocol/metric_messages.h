// The metrics path's messages (docs/protocol.md, "The metrics path").
//
// metric_batch (agent -> controller): consecutive metric points of one rank,
// numbered per (job, attempt, rank) from 0 like log lines; `points` is a
// PackLines buffer whose lines are EncodeMetricPoint records
// (metric_records.h). The controller drops points it already has and answers
// the next seq it expects, after the points are committed.
//
// read_metrics (client -> controller): every stored point of a job, or of
// one metric name. metric_summary: the last value of every metric of each of
// several jobs (for `jobctl list --experiment`).
#pragma once

#include <cstdint>
#include <map>
#include <nlohmann/json.hpp>
#include <string>
#include <string_view>
#include <vector>

#include "common/protocol/messages.h"

namespace jobctl::protocol {

struct MetricBatchRequest {
  static constexpr std::string_view kType = "metric_batch";
  std::string node_id;
  std::string job_id;
  int attempt = 0;
  int rank = 0;
  uint64_t first_seq = 0;
  Blob points;  // PackLines of EncodeMetricPoint records
};
NLOHMANN_DEFINE_TYPE_NON_INTRUSIVE_WITH_DEFAULT(MetricBatchRequest, node_id, job_id, attempt, rank,
                                                first_seq, points)

struct MetricBatchReply {
  static constexpr std::string_view kType = "metric_batch_reply";
  uint64_t next_seq = 0;
};
NLOHMANN_DEFINE_TYPE_NON_INTRUSIVE_WITH_DEFAULT(MetricBatchReply, next_seq)

// One stored point.
struct MetricPointInfo {
  int attempt = 0;
  int rank = 0;
  std::string name;
  int64_t step = 0;
  double value = 0;
  int64_t time_ms = 0;
};
NLOHMANN_DEFINE_TYPE_NON_INTRUSIVE_WITH_DEFAULT(MetricPointInfo, attempt, rank, name, step, value,
                                                time_ms)

struct ReadMetricsRequest {
  static constexpr std::string_view kType = "read_metrics";
  std::string job_id;
  std::string name;  // empty: every metric
};
NLOHMANN_DEFINE_TYPE_NON_INTRUSIVE_WITH_DEFAULT(ReadMetricsRequest, job_id, name)

struct ReadMetricsReply {
  static constexpr std::string_view kType = "read_metrics_reply";
  std::string state;  // the job's state now
  // Ordered by name, attempt, rank, step, then arrival.
  std::vector<MetricPointInfo> points;
};
NLOHMANN_DEFINE_TYPE_NON_INTRUSIVE_WITH_DEFAULT(ReadMetricsReply, state, points)

struct MetricSummaryRequest {
  static constexpr std::string_view kType = "metric_summary";
  std::vector<std::string> job_ids;
};
NLOHMANN_DEFINE_TYPE_NON_INTRUSIVE_WITH_DEFAULT(MetricSummaryRequest, job_ids)

struct JobMetricSummary {
  std::string job_id;
  // name -> the final point: latest attempt, lowest rank that reported the
  // name in it, highest step (the latest arrival among equal steps).
  std::map<std::string, MetricPointInfo> last;
};
NLOHMANN_DEFINE_TYPE_NON_INTRUSIVE_WITH_DEFAULT(JobMetricSummary, job_id, last)

struct MetricSummaryReply {
  static constexpr std::string_view kType = "metric_summary_reply";
  std::vector<JobMetricSummary> jobs;  // in request order; unknown jobs are left out
};
NLOHMANN_DEFINE_TYPE_NON_INTRUSIVE_WITH_DEFAULT(MetricSummaryReply, jobs)

}  // namespace jobctl::protocol
