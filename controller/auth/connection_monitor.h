// ConnectionMonitor: watches the controller's CURVE server socket for
// handshakes that fail inside libzmq, before any ZAP request: plain-text
// (NULL mechanism) clients, clients that encrypt to another controller's
// key, and garbage. Each is logged with the peer's address and counted.
//
// The address is best effort: libzmq reports the failure without the peer,
// so the monitor remembers each accepted connection's peer (getpeername on
// the ACCEPTED event's descriptor) and names it when that descriptor's
// DISCONNECTED event follows the failure. Refusals by the ZAP handler
// (unknown keys) are counted there, not here.
//
// Thread-safety: Start() and Stop() from one thread; counters from any.
#pragma once

#include <atomic>
#include <memory>
#include <thread>
#include <zmq.hpp>

#include "common/status.h"
#include "controller/auth/refusal.h"

namespace jobctl::controller::auth {

class ConnectionMonitor {
 public:
  ConnectionMonitor();
  ~ConnectionMonitor();
  ConnectionMonitor(const ConnectionMonitor&) = delete;
  ConnectionMonitor& operator=(const ConnectionMonitor&) = delete;

  // Starts watching `socket`. Call from the socket's thread, before bind.
  Status Start(zmq::socket_t& socket);
  void Stop();

  const RefusalLog& refusals() const { return refusals_; }

 private:
  class Watcher;
  std::unique_ptr<Watcher> watcher_;
  std::thread thread_;
  std::atomic<bool> stop_{false};
  RefusalLog refusals_;
};

}  // namespace jobctl::controller::auth
