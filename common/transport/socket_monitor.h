// A ZeroMQ socket monitor read by its owner: the PAIR socket that receives a
// socket's events (zmq_socket_monitor), to poll together with the socket
// itself. Clients use it to tell a refused key (ZMQ_EVENT_HANDSHAKE_FAILED_AUTH)
// from a controller that does not answer.
//
// Thread-safety: like the socket it watches, one thread.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <zmq.hpp>

namespace jobctl {

struct SocketEvent {
  uint16_t id = 0;     // ZMQ_EVENT_*
  uint32_t value = 0;  // the event's value (a descriptor, an error or protocol code)
};

class SocketMonitor {
 public:
  // Watches `events` of `socket` on a fresh inproc address; nullptr when
  // libzmq refuses. `socket` must outlive the monitor, and `context` must be
  // the socket's.
  static std::unique_ptr<SocketMonitor> Attach(zmq::context_t& context, zmq::socket_t& socket,
                                               int events);
  // Stops the watching and closes the PAIR end.
  ~SocketMonitor();
  SocketMonitor(const SocketMonitor&) = delete;
  SocketMonitor& operator=(const SocketMonitor&) = delete;

  // The PAIR end, for zmq::poll.
  zmq::socket_t& pair() { return pair_; }
  // The next queued event, without blocking; nullopt when there is none.
  std::optional<SocketEvent> Next();

 private:
  SocketMonitor(zmq::socket_t& socket, zmq::socket_t pair);

  zmq::socket_t& socket_;
  zmq::socket_t pair_;
};

}  // namespace jobctl
