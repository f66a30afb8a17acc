// libFuzzer target: the wire decoder on arbitrary frames.
//
// What a peer sends is untrusted: decoding a frame, any message body and the
// packed log lines and records must never crash, whatever the bytes. A frame
// that decodes must encode again and decode to the same envelope.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "common/protocol/codec.h"
#include "common/protocol/event_messages.h"
#include "common/protocol/log_records.h"
#include "common/protocol/messages.h"
#include "common/protocol/stats_messages.h"

namespace {

using namespace jobctl::protocol;

template <typename... M>
void DecodeEveryType(const Envelope& envelope) {
  // Decoding as the wrong type must fail cleanly; as the right type, either way.
  (static_cast<void>(DecodeBody<M>(envelope)), ...);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view frame(reinterpret_cast<const char*>(data), size);

  static_cast<void>(UnpackLines(frame));
  static_cast<void>(UnpackRecords(frame));

  auto envelope = DecodeEnvelope(frame);
  if (!envelope.ok()) return 0;
  DecodeEveryType<ErrorReply, OkReply, PingRequest, PingReply, SubmitJobRequest, SubmitJobReply,
                  ListJobsRequest, ListJobsReply, GetJobRequest, GetJobReply, CancelJobRequest,
                  CancelJobReply, ReadLogsRequest, ReadLogsReply, ListNodesRequest, ListNodesReply,
                  RegisterNodeRequest, RegisterNodeReply, HeartbeatRequest, HeartbeatReply,
                  RankEventRequest, LogBatchRequest, LogBatchReply, StartAttemptCommand,
                  StopAttemptCommand, ServerStatsRequest, ServerStatsReply, RankEventsRequest,
                  RankEventsReply>(*envelope);
  static_cast<void>(StatusFromErrorReply(*envelope));

  auto again = DecodeEnvelope(EncodeEnvelope(*envelope));
  if (!again.ok() || again->type != envelope->type || again->request_id != envelope->request_id) {
    __builtin_trap();
  }
  return 0;
}
