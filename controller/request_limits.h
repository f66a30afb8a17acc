// The controller's size limits on requests (common/protocol/limits.h,
// docs/limits.md): one CheckRequestLimits overload per request type that
// carries data a client could make the controller store or allocate
// without bound. Server::Install runs the check after decoding and before
// the handler; a request over a limit is refused with the check's error and
// counted under the limit's name (server_stats).
//
// Thread-safety: pure functions.
#pragma once

#include "common/protocol/event_messages.h"
#include "common/protocol/limit_check.h"
#include "common/protocol/messages.h"
#include "common/protocol/metric_messages.h"

namespace jobctl::controller {

// Parts of one ZeroMQ message the controller reads: a DEALER sends one, the
// ROUTER adds the identity (a proxy between may add more). A message of more
// parts is dropped as malformed (docs/limits.md).
inline constexpr size_t kMaxMessageParts = 4;

// Requests without a dedicated overload carry nothing unbounded.
template <typename Req>
void CheckRequestLimits(const Req&, protocol::LimitCheck&) {}

void CheckRequestLimits(const protocol::SubmitJobRequest& r, protocol::LimitCheck& check);
void CheckRequestLimits(const protocol::ListJobsRequest& r, protocol::LimitCheck& check);
void CheckRequestLimits(const protocol::GetJobRequest& r, protocol::LimitCheck& check);
void CheckRequestLimits(const protocol::CancelJobRequest& r, protocol::LimitCheck& check);
void CheckRequestLimits(const protocol::ReadLogsRequest& r, protocol::LimitCheck& check);
void CheckRequestLimits(const protocol::RegisterNodeRequest& r, protocol::LimitCheck& check);
void CheckRequestLimits(const protocol::HeartbeatRequest& r, protocol::LimitCheck& check);
void CheckRequestLimits(const protocol::RankEventRequest& r, protocol::LimitCheck& check);
void CheckRequestLimits(const protocol::LogBatchRequest& r, protocol::LimitCheck& check);
void CheckRequestLimits(const protocol::MetricBatchRequest& r, protocol::LimitCheck& check);
void CheckRequestLimits(const protocol::ReadMetricsRequest& r, protocol::LimitCheck& check);
void CheckRequestLimits(const protocol::MetricSummaryRequest& r, protocol::LimitCheck& check);
void CheckRequestLimits(const protocol::OutputsMissingRequest& r, protocol::LimitCheck& check);
void CheckRequestLimits(const protocol::BlobChunkRequest& r, protocol::LimitCheck& check);
void CheckRequestLimits(const protocol::OutputsCommitRequest& r, protocol::LimitCheck& check);
void CheckRequestLimits(const protocol::ListOutputsRequest& r, protocol::LimitCheck& check);
void CheckRequestLimits(const protocol::ReadBlobRequest& r, protocol::LimitCheck& check);
void CheckRequestLimits(const protocol::RegisterModelRequest& r, protocol::LimitCheck& check);
void CheckRequestLimits(const protocol::GetModelRequest& r, protocol::LimitCheck& check);
void CheckRequestLimits(const protocol::RankEventsRequest& r, protocol::LimitCheck& check);

}  // namespace jobctl::controller
