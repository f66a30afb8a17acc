// server_stats (client -> controller): the controller's counters of what it
// received and refused, for `jobctl stats` (docs/limits.md). An admin
// operation.
#pragma once

#include <cstdint>
#include <map>
#include <nlohmann/json.hpp>
#include <string>
#include <string_view>

#include "common/protocol/messages.h"

namespace jobctl::protocol {

struct ServerStatsRequest {
  static constexpr std::string_view kType = "server_stats";
};
inline void to_json(nlohmann::json& j, const ServerStatsRequest&) { j = nlohmann::json::object(); }
inline void from_json(const nlohmann::json&, ServerStatsRequest&) {}

// Counters since the controller started.
struct ServerStatsReply {
  static constexpr std::string_view kType = "server_stats_reply";
  int64_t uptime_ms = 0;
  uint64_t frames_received = 0;   // every frame read from the socket
  uint64_t malformed_frames = 0;  // not a valid envelope, or a body of the wrong shape
  uint64_t unknown_types = 0;     // a valid envelope of a type nobody handles
  uint64_t refused_requests = 0;  // over a size limit (the sum of refused_by_limit)
  std::map<std::string, uint64_t> refused_by_limit;  // limit name -> requests refused
  uint64_t failed_commits = 0;                       // group commits of the state store that failed
  uint64_t peers = 0;                      // connections that sent a frame in the last minute
  uint64_t peers_seen = 0;                 // distinct connections since start
  std::map<std::string, uint64_t> limits;  // limit name -> value (common/protocol/limits.h)
  // Authentication (docs/security.md): requests refused by the access table
  // or sent with a revoked token; connections refused because their key is
  // unknown (ZAP); plain-text or wrong-controller-key handshakes refused.
  uint64_t permission_denied = 0;
  uint64_t refused_unknown_keys = 0;
  uint64_t refused_handshakes = 0;
};
NLOHMANN_DEFINE_TYPE_NON_INTRUSIVE_WITH_DEFAULT(ServerStatsReply, uptime_ms, frames_received,
                                                malformed_frames, unknown_types, refused_requests,
                                                refused_by_limit, failed_commits, peers, peers_seen,
                                                limits, permission_denied, refused_unknown_keys,
                                                refused_handshakes)

}  // namespace jobctl::protocol
