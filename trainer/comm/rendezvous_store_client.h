// RendezvousStoreClient: a RendezvousStore reached over TCP at host:port
// (served by RendezvousStoreServer on rank 0).
//
// Connecting retries until the timeout, since rank 0 may start after us. A
// call that fails or times out drops the connection; the next call
// reconnects.
//
// Thread-safety: thread-safe (one request at a time, under a mutex).
#pragma once

#include <chrono>
#include <memory>
#include <mutex>
#include <string>

#include "trainer/comm/rendezvous_store.h"
#include "trainer/comm/socket_io.h"

namespace jobctl::trainer::comm {

class RendezvousStoreClient : public RendezvousStore {
 public:
  // Connects to host:port, retrying until `timeout`.
  static Result<std::unique_ptr<RendezvousStoreClient>> Connect(const std::string& host, int port,
                                                                std::chrono::milliseconds timeout);

  Status Set(const std::string& key, const std::string& value,
             std::chrono::milliseconds timeout) override;
  Result<std::string> Get(const std::string& key, std::chrono::milliseconds timeout) override;
  Status Wait(const std::vector<std::string>& keys, std::chrono::milliseconds timeout) override;

 private:
  RendezvousStoreClient(std::string host, int port, UniqueFd fd)
      : host_(std::move(host)), port_(port), fd_(std::move(fd)) {}
  // One request/reply round trip before `deadline`; reconnects if needed.
  Result<std::string> RoundTrip(const std::string& request, Deadline deadline,
                                const std::string& what);

  const std::string host_;
  const int port_;
  std::mutex mu_;
  UniqueFd fd_;  // guarded by mu_; invalid after a failed call
};

}  // namespace jobctl::trainer::comm
