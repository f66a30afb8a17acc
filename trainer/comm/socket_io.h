// Blocking-with-deadline helpers over plain POSIX TCP sockets, used by the
// rendezvous store client and server. Every call that can wait takes an
// absolute deadline and returns kDeadlineExceeded when it passes; nothing
// here waits without a bound.
//
// Thread-safety: free functions; a file descriptor must not be used by two
// threads at once.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <string>

#include "common/status.h"

namespace jobctl::trainer::comm {

using Deadline = std::chrono::steady_clock::time_point;

inline Deadline DeadlineAfter(std::chrono::milliseconds timeout) {
  return std::chrono::steady_clock::now() + timeout;
}

// Milliseconds left until `deadline`, clamped to [0, INT_MAX] for poll(2).
int MillisecondsLeft(Deadline deadline);

// Owns a file descriptor; closes it on destruction. Movable, not copyable.
class UniqueFd {
 public:
  UniqueFd() = default;
  explicit UniqueFd(int fd) : fd_(fd) {}
  UniqueFd(UniqueFd&& other) noexcept : fd_(other.Release()) {}
  UniqueFd& operator=(UniqueFd&& other) noexcept;
  UniqueFd(const UniqueFd&) = delete;
  UniqueFd& operator=(const UniqueFd&) = delete;
  ~UniqueFd() { Reset(); }

  int get() const { return fd_; }
  bool valid() const { return fd_ >= 0; }
  int Release();
  void Reset(int fd = -1);

 private:
  int fd_ = -1;
};

// Connects to host:port (IPv4 or IPv6, resolved with getaddrinfo), retrying
// refused or unreachable connections until `deadline`: the peer may start
// later than we do. Returns kDeadlineExceeded naming host:port when it never
// answers, kInvalidArgument when the host does not resolve.
Result<UniqueFd> ConnectWithRetry(const std::string& host, int port, Deadline deadline);

// Listens on all interfaces at `port` (0 = ephemeral). kUnavailable naming the
// port when it cannot bind.
Result<UniqueFd> ListenOnPort(int port);

// The local port a bound socket got.
Result<int> LocalPort(int fd);

// Writes/reads exactly `size` bytes before `deadline`. A closed connection is
// kUnavailable.
Status SendAll(int fd, const void* data, size_t size, Deadline deadline);
Status RecvAll(int fd, void* data, size_t size, Deadline deadline);

// The local IP address (numeric) of the interface that routes to `host`,
// found with a connected UDP socket (no packet is sent).
Result<std::string> LocalAddressReaching(const std::string& host);

// Appends a little-endian u32 to `out`; reads one from `in`.
void AppendU32(std::string& out, uint32_t value);
uint32_t ReadU32(const char* in);

}  // namespace jobctl::trainer::comm
