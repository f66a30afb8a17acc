// AttemptReporter: what an AttemptRunner tells the controller. The agent
// implements it over its ControllerLink; tests implement it in memory.
//
// Thread-safety: called on the agent's event loop only.
#pragma once

#include <cstdint>
#include <functional>

#include "common/protocol/event_messages.h"
#include "common/protocol/log_records.h"
#include "common/protocol/messages.h"
#include "common/protocol/metric_messages.h"
#include "common/status.h"

namespace jobctl::agent {

class AttemptReporter {
 public:
  virtual ~AttemptReporter() = default;
  // Delivers `event` to the controller, retrying until it is acknowledged;
  // events are delivered in the order they were reported. `on_acked` runs
  // once the controller stored it.
  virtual void ReportRankEvent(protocol::RankEventRequest event,
                               std::function<void()> on_acked) = 0;
  // Delivers the empty output manifest of this node's part of an attempt
  // with the events reported in the same turn of the event loop (the last
  // rank's `exited`), retrying until it is acknowledged. Returns false when
  // this reporter does not take it now (the default): the attempt's outputs
  // then go through the OutputsUploader once it has finished.
  virtual bool ReportEmptyOutputs(protocol::EmptyOutputs /*outputs*/) { return false; }
  // Sends one batch of log lines; `on_reply` gets the controller's next_seq
  // or an error, exactly once (no retry: the LogShipper resends).
  virtual void SendLogBatch(protocol::LogBatchRequest batch,
                            std::function<void(Result<uint64_t>)> on_reply) = 0;
  // Sends one batch of metric points, like SendLogBatch. The default refuses
  // it (a reporter that takes no metrics); the points are then dropped.
  virtual void SendMetricBatch(protocol::MetricBatchRequest batch,
                               std::function<void(Result<uint64_t>)> on_reply) {
    auto points = protocol::UnpackLines(batch.points.data);
    on_reply(batch.first_seq + (points.ok() ? points->size() : 0));
  }
};

}  // namespace jobctl::agent
