#include "controller/auth/connection_monitor.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <spdlog/spdlog.h>
#include <sys/socket.h>

#include <map>
#include <optional>
#include <string>

namespace jobctl::controller::auth {
namespace {

constexpr int kPollMs = 100;
std::atomic<uint64_t> g_next_monitor{0};

std::string PeerAddress(int fd) {
  sockaddr_storage addr{};
  socklen_t len = sizeof addr;
  if (::getpeername(fd, reinterpret_cast<sockaddr*>(&addr), &len) != 0) return "unknown";
  char text[INET6_ADDRSTRLEN] = {};
  if (addr.ss_family == AF_INET) {
    ::inet_ntop(AF_INET, &reinterpret_cast<sockaddr_in*>(&addr)->sin_addr, text, sizeof text);
  } else if (addr.ss_family == AF_INET6) {
    ::inet_ntop(AF_INET6, &reinterpret_cast<sockaddr_in6*>(&addr)->sin6_addr, text, sizeof text);
  } else {
    return "local socket";
  }
  return text;
}

std::string ProtocolErrorText(int code) {
  switch (code) {
    case ZMQ_PROTOCOL_ERROR_ZMTP_MECHANISM_MISMATCH:
      return "plain-text (or non-CURVE) connection; this controller accepts CURVE only";
    case ZMQ_PROTOCOL_ERROR_ZMTP_CRYPTOGRAPHIC:
      return "CURVE handshake failed (the client uses another controller's public key)";
    default:
      return "handshake failed (ZMTP protocol error " + std::to_string(code) + ")";
  }
}

}  // namespace

// Runs on the monitor thread only.
class ConnectionMonitor::Watcher : public zmq::monitor_t {
 public:
  explicit Watcher(RefusalLog* log) : log_(log) {}

  void on_event_accepted(const zmq_event_t& event, const char*) override {
    peers_[event.value] = PeerAddress(event.value);
  }
  void on_event_handshake_failed_protocol(const zmq_event_t& event, const char*) override {
    Fail(ProtocolErrorText(event.value));
  }
  void on_event_handshake_failed_no_detail(const zmq_event_t& event, const char*) override {
    Fail("handshake failed before it completed (" + std::string(zmq_strerror(event.value)) + ")");
  }
  void on_event_handshake_failed_auth(const zmq_event_t&, const char*) override {
    // Refused by the ZAP handler, which counted and logged it with the address.
    Flush();
  }
  void on_event_disconnected(const zmq_event_t& event, const char*) override {
    auto it = peers_.find(event.value);
    std::string address = it == peers_.end() ? "unknown" : it->second;
    if (it != peers_.end()) peers_.erase(it);
    if (pending_) {
      log_->Record({address, *pending_});
      pending_.reset();
    }
  }
  // Anything still pending (the monitor is stopping) is recorded without an address.
  void Flush() {
    if (!pending_) return;
    log_->Record({"unknown", *pending_});
    pending_.reset();
  }

 private:
  void Fail(std::string reason) {
    Flush();  // a failure whose disconnect never came
    pending_ = std::move(reason);
  }

  RefusalLog* log_;
  std::map<int, std::string> peers_;  // descriptor -> peer address
  std::optional<std::string> pending_;
};

ConnectionMonitor::ConnectionMonitor() = default;

ConnectionMonitor::~ConnectionMonitor() { Stop(); }

Status ConnectionMonitor::Start(zmq::socket_t& socket) {
  if (watcher_) return FailedPreconditionError("the connection monitor is already running");
  std::string address = "inproc://jobctl-connection-monitor-" + std::to_string(g_next_monitor++);
  watcher_ = std::make_unique<Watcher>(&refusals_);
  try {
    watcher_->init(socket, address,
                   ZMQ_EVENT_ACCEPTED | ZMQ_EVENT_DISCONNECTED |
                       ZMQ_EVENT_HANDSHAKE_FAILED_NO_DETAIL | ZMQ_EVENT_HANDSHAKE_FAILED_PROTOCOL |
                       ZMQ_EVENT_HANDSHAKE_FAILED_AUTH);
  } catch (const zmq::error_t& e) {
    watcher_.reset();
    return UnavailableError(std::string("cannot monitor the controller socket: ") + e.what());
  }
  stop_.store(false);
  thread_ = std::thread([this] {
    while (!stop_.load()) {
      try {
        watcher_->check_event(kPollMs);
      } catch (const zmq::error_t& e) {
        if (e.num() == ETERM) break;
        if (e.num() != EINTR) spdlog::error("connection monitor: {}", e.what());
      }
    }
    watcher_->Flush();
  });
  return Status::Ok();
}

void ConnectionMonitor::Stop() {
  if (thread_.joinable()) {
    stop_.store(true);
    thread_.join();
  }
  watcher_.reset();
}

}  // namespace jobctl::controller::auth
