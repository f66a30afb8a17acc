// ServerCounters: what the controller's loop received and refused, for the
// server_stats request (server_stats.cc) and tests.
//
// Frames and refusals are counted by the loop's thread; Snapshot() may be
// called from any thread. Peers are ROUTER identities: one per connection
// (or the node id an agent connects with). The table of peers seen recently
// is bounded: identities silent for kPeerIdleMs are forgotten, and beyond
// kMaxTrackedPeers new identities are counted in peers_seen only.
#pragma once

#include <atomic>
#include <cstdint>
#include <map>
#include <mutex>
#include <string>
#include <unordered_map>

namespace jobctl::controller {

class ServerCounters {
 public:
  static constexpr int64_t kPeerIdleMs = 60000;
  static constexpr size_t kMaxTrackedPeers = 100000;

  // A frame arrived from `peer` (its identity frame) at `now_ms` (steady).
  void Received(const std::string& peer, int64_t now_ms);
  // A request was refused for passing `limit`.
  void Refused(const std::string& limit);

  struct Snapshot {
    uint64_t frames_received = 0;
    uint64_t refused_requests = 0;
    std::map<std::string, uint64_t> refused_by_limit;
    uint64_t peers = 0;
    uint64_t peers_seen = 0;
  };
  Snapshot Get(int64_t now_ms) const;

 private:
  void ForgetIdle(int64_t now_ms);

  mutable std::mutex mu_;
  uint64_t frames_received_ = 0;
  uint64_t refused_requests_ = 0;
  std::map<std::string, uint64_t> refused_by_limit_;
  std::unordered_map<std::string, int64_t> last_seen_ms_;  // peer -> steady ms
  uint64_t peers_seen_ = 0;
  int64_t last_sweep_ms_ = 0;
};

}  // namespace jobctl::controller
