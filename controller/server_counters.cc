#include "controller/server_counters.h"

namespace jobctl::controller {

void ServerCounters::Received(const std::string& peer, int64_t now_ms) {
  std::lock_guard lock(mu_);
  ++frames_received_;
  auto it = last_seen_ms_.find(peer);
  if (it != last_seen_ms_.end()) {
    it->second = now_ms;
  } else {
    ++peers_seen_;
    if (last_seen_ms_.size() < kMaxTrackedPeers) last_seen_ms_.emplace(peer, now_ms);
  }
  if (now_ms - last_sweep_ms_ >= kPeerIdleMs / 4) ForgetIdle(now_ms);
}

void ServerCounters::Refused(const std::string& limit) {
  std::lock_guard lock(mu_);
  ++refused_requests_;
  ++refused_by_limit_[limit];
}

void ServerCounters::ForgetIdle(int64_t now_ms) {
  last_sweep_ms_ = now_ms;
  std::erase_if(last_seen_ms_,
                [now_ms](const auto& entry) { return now_ms - entry.second > kPeerIdleMs; });
}

ServerCounters::Snapshot ServerCounters::Get(int64_t now_ms) const {
  std::lock_guard lock(mu_);
  Snapshot s;
  s.frames_received = frames_received_;
  s.refused_requests = refused_requests_;
  s.refused_by_limit = refused_by_limit_;
  for (const auto& [peer, seen] : last_seen_ms_) {
    if (now_ms - seen <= kPeerIdleMs) ++s.peers;
  }
  s.peers_seen = peers_seen_;
  return s;
}

}  // namespace jobctl::controller
