// MetricStore: the metric points of every job, durable, behind one interface.
//
// A point is (job, attempt, rank, seq, name, step, value, time). Points of
// one (job, attempt, rank) are numbered 0, 1, 2, ... by the agent; Append
// drops points already stored (seq below the next expected one) and stores
// nothing from a batch that starts past it (a gap), returning the next
// expected seq either way, so resending is always safe.
//
// Group commit: appends accumulate in an open batch that Commit() makes
// durable at once; the server commits before it acknowledges a batch.
// Rollback() discards the open batch. Reads see the open batch.
//
// Thread-safety: not thread-safe; one thread (the server loop) owns a store.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "common/protocol/metric_messages.h"
#include "common/protocol/metric_records.h"
#include "common/status.h"

namespace jobctl::controller {

class MetricStore {
 public:
  virtual ~MetricStore() = default;

  // Stores points first_seq, first_seq+1, ... of (job, attempt, rank) and
  // returns the next expected seq.
  virtual Result<uint64_t> Append(const std::string& job_id, int attempt, int rank,
                                  uint64_t first_seq,
                                  const std::vector<protocol::MetricPoint>& points) = 0;

  virtual Status Commit() = 0;
  virtual void Rollback() = 0;

  // The job's points (only `name`'s when not empty), ordered by name,
  // attempt, rank, step, then seq.
  virtual Result<std::vector<protocol::MetricPointInfo>> Read(const std::string& job_id,
                                                              const std::string& name) = 0;
};

// The summary of a job's points: for each name, the last point of the
// latest attempt's lowest rank that reported it (highest step, latest seq).
// `points` must be in Read() order.
protocol::JobMetricSummary SummarizeMetrics(const std::string& job_id,
                                            const std::vector<protocol::MetricPointInfo>& points);

}  // namespace jobctl::controller
