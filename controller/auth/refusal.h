// Refusal: one connection the controller turned away, for logs and tests.
//
// Thread-safety: plain data; RefusalLog is thread-safe.
#pragma once

#include <atomic>
#include <cstdint>
#include <map>
#include <mutex>
#include <optional>
#include <string>

namespace jobctl::controller::auth {

struct Refusal {
  std::string address;  // the peer's IP address ("unknown" when it could not be told)
  std::string reason;
};

// A counter and the latest refusal. Each Record() is logged at warn level,
// except that a client retrying with the same fault (libzmq reconnects every
// 100 ms or so) is logged once per kQuietMs per address and reason; the
// next warning says how many were left out.
class RefusalLog {
 public:
  void Record(Refusal refusal);
  uint64_t count() const { return count_.load(); }
  std::optional<Refusal> last() const;

 private:
  static constexpr int64_t kQuietMs = 10000;
  struct Logged {
    int64_t at_ms = 0;  // steady clock
    uint64_t left_out = 0;
  };

  std::atomic<uint64_t> count_{0};
  mutable std::mutex mu_;
  std::optional<Refusal> last_;           // guarded by mu_
  std::map<std::string, Logged> logged_;  // address + reason -> last warning; guarded by mu_
};

}  // namespace jobctl::controller::auth
