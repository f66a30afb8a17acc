// Refusal: one connection the controller turned away, for logs and tests.
//
// Thread-safety: plain data; RefusalLog is thread-safe.
#pragma once

#include <atomic>
#include <cstdint>
#include <mutex>
#include <optional>
#include <string>

namespace jobctl::controller::auth {

struct Refusal {
  std::string address;  // the peer's IP address ("unknown" when it could not be told)
  std::string reason;
};

// A counter and the latest refusal; each Record() is also logged (warn).
class RefusalLog {
 public:
  void Record(Refusal refusal);
  uint64_t count() const { return count_.load(); }
  std::optional<Refusal> last() const;

 private:
  std::atomic<uint64_t> count_{0};
  mutable std::mutex mu_;
  std::optional<Refusal> last_;  // guarded by mu_
};

}  // namespace jobctl::controller::auth
