#include "controller/auth/refusal.h"

#include <spdlog/spdlog.h>

#include <chrono>
#include <string>

namespace jobctl::controller::auth {

void RefusalLog::Record(Refusal refusal) {
  int64_t now = std::chrono::duration_cast<std::chrono::milliseconds>(
                    std::chrono::steady_clock::now().time_since_epoch())
                    .count();
  {
    std::lock_guard lock(mu_);
    if (logged_.size() > 1000) logged_.clear();  // bounded under a storm of addresses
    Logged& logged = logged_[refusal.address + "\n" + refusal.reason];
    if (logged.at_ms != 0 && now - logged.at_ms < kQuietMs) {
      ++logged.left_out;
      spdlog::debug("refused a connection from {}: {}", refusal.address, refusal.reason);
    } else {
      spdlog::warn("refused a connection from {}: {}{}", refusal.address, refusal.reason,
                   logged.left_out == 0
                       ? ""
                       : " (" + std::to_string(logged.left_out) + " more since the last warning)");
      logged = Logged{now, 0};
    }
    last_ = std::move(refusal);
  }
  ++count_;
}

std::optional<Refusal> RefusalLog::last() const {
  std::lock_guard lock(mu_);
  return last_;
}

}  // namespace jobctl::controller::auth
