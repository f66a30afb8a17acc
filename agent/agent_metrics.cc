// Agent::SendMetricBatch: the metric points of a rank, like SendLogBatch.
#include <spdlog/spdlog.h>

#include "agent/agent.h"
#include "common/protocol/log_records.h"

namespace jobctl::agent {

void Agent::SendMetricBatch(protocol::MetricBatchRequest batch,
                            std::function<void(Result<uint64_t>)> on_reply) {
  uint64_t first = batch.first_seq;
  auto points = protocol::UnpackLines(batch.points.data);
  uint64_t end = first + (points.ok() ? points->size() : 0);
  link_.Call(batch, options_.request_timeout,
             [on_reply = std::move(on_reply), first, end,
              job = batch.job_id](Result<protocol::Envelope> reply) {
               if (!reply.ok()) {
                 StatusCode code = reply.status().code();
                 bool retry =
                     code == StatusCode::kUnavailable || code == StatusCode::kDeadlineExceeded ||
                     code == StatusCode::kResourceExhausted || code == StatusCode::kInternal;
                 if (retry) return on_reply(reply.status());
                 // The controller will never take these points: drop them.
                 spdlog::warn("controller refused metric points {}..{} of job {}: {}", first, end,
                              job, reply.status().ToString());
                 return on_reply(end);
               }
               auto r = protocol::DecodeBody<protocol::MetricBatchReply>(*reply);
               if (!r.ok()) return on_reply(r.status());
               on_reply(r->next_seq);
             });
}

}  // namespace jobctl::agent
