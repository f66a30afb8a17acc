// The server_stats request: the loop's counters (server_counters.h).
#include "common/protocol/limits.h"
#include "common/protocol/stats_messages.h"
#include "controller/server.h"

namespace jobctl::controller {
namespace {

std::map<std::string, uint64_t> LimitValues() {
  namespace p = protocol;
  return {{"spec_file_bytes", p::kMaxSpecFileBytes},
          {"spec_encoded_bytes", p::kMaxSpecEncodedBytes},
          {"code_archive_bytes", p::kMaxCodeArchiveBytes},
          {"line_bytes", p::kMaxLineBytes},
          {"log_batch_bytes", p::kMaxLogBatchBytes},
          {"log_batch_lines", p::kMaxLogBatchLines},
          {"metric_batch_bytes", p::kMaxMetricBatchBytes},
          {"metric_batch_points", p::kMaxMetricBatchPoints},
          {"metric_name_bytes", p::kMaxMetricNameBytes},
          {"metric_record_bytes", p::kMaxMetricRecordBytes},
          {"name_bytes", p::kMaxNameBytes},
          {"path_bytes", p::kMaxPathBytes},
          {"text_bytes", p::kMaxTextBytes},
          {"command_bytes", p::kMaxCommandBytes},
          {"map_entries", p::kMaxMapEntries},
          {"list_items", p::kMaxListItems},
          {"read_records", p::kMaxReadRecords},
          {"rank_events_items", p::kMaxRankEventsItems},
          {"frame_bytes", p::kMaxFrameBytes}};
}

}  // namespace

// An admin operation (auth/access_policy.cc): it tells who is connected and
// what they sent wrong.
Result<protocol::ServerStatsReply> Server::HandleServerStats(const protocol::ServerStatsRequest&,
                                                             const Incoming&) {
  ServerCounters::Snapshot s = counters_.Get(clock_->SteadyMillis());
  protocol::ServerStatsReply reply;
  reply.uptime_ms = clock_->NowMillis() - started_ms_;
  reply.frames_received = s.frames_received;
  reply.malformed_frames = malformed_frames_.load();
  reply.unknown_types = unknown_types_.load();
  reply.refused_requests = s.refused_requests;
  reply.refused_by_limit = std::move(s.refused_by_limit);
  reply.failed_commits = failed_commits_.load();
  reply.peers = s.peers;
  reply.peers_seen = s.peers_seen;
  reply.limits = LimitValues();
  reply.permission_denied = permission_denied_.load();
  reply.refused_unknown_keys = refused_unknown_keys();
  reply.refused_handshakes = refused_handshakes();
  return reply;
}

}  // namespace jobctl::controller
