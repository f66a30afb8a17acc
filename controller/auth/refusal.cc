#include "controller/auth/refusal.h"

#include <spdlog/spdlog.h>

namespace jobctl::controller::auth {

void RefusalLog::Record(Refusal refusal) {
  spdlog::warn("refused a connection from {}: {}", refusal.address, refusal.reason);
  {
    std::lock_guard lock(mu_);
    last_ = std::move(refusal);
  }
  ++count_;
}

std::optional<Refusal> RefusalLog::last() const {
  std::lock_guard lock(mu_);
  return last_;
}

}  // namespace jobctl::controller::auth
