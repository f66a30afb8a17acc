#include "common/transport/socket_monitor.h"

#include <unistd.h>

#include <atomic>
#include <cstring>
#include <string>

namespace jobctl {
namespace {

// inproc addresses are per context; a process-wide counter plus the pid keeps
// them unique across every monitor of every context.
std::string NextMonitorAddress() {
  static std::atomic<uint64_t> counter{0};
  return "inproc://jobctl-socket-monitor-" + std::to_string(::getpid()) + "-" +
         std::to_string(counter.fetch_add(1));
}

}  // namespace

std::unique_ptr<SocketMonitor> SocketMonitor::Attach(zmq::context_t& context, zmq::socket_t& socket,
                                                     int events) {
  std::string address = NextMonitorAddress();
  if (zmq_socket_monitor(static_cast<void*>(socket), address.c_str(), events) != 0) return nullptr;
  try {
    zmq::socket_t pair(context, zmq::socket_type::pair);
    pair.set(zmq::sockopt::linger, 0);
    pair.connect(address);
    return std::unique_ptr<SocketMonitor>(new SocketMonitor(socket, std::move(pair)));
  } catch (const zmq::error_t&) {
    zmq_socket_monitor(static_cast<void*>(socket), nullptr, 0);
    return nullptr;
  }
}

SocketMonitor::SocketMonitor(zmq::socket_t& socket, zmq::socket_t pair)
    : socket_(socket), pair_(std::move(pair)) {}

SocketMonitor::~SocketMonitor() {
  if (socket_) zmq_socket_monitor(static_cast<void*>(socket_), nullptr, 0);
}

std::optional<SocketEvent> SocketMonitor::Next() {
  while (true) {
    zmq::message_t event;
    if (!pair_.recv(event, zmq::recv_flags::dontwait)) return std::nullopt;
    zmq::message_t address;
    if (event.more()) (void)pair_.recv(address, zmq::recv_flags::dontwait);
    if (event.size() < 6) continue;  // not an event frame: skip it
    SocketEvent out;
    std::memcpy(&out.id, event.data(), sizeof(out.id));
    std::memcpy(&out.value, static_cast<const char*>(event.data()) + 2, sizeof(out.value));
    return out;
  }
}

}  // namespace jobctl
