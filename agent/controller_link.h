// ControllerLink: the agent's ZeroMQ DEALER connection to the controller,
// driven by the agent's Asio io_context.
//
// The socket's routing id is the node id, so the controller can push
// commands to this node. Requests are matched to replies by request id;
// every request has a timeout, after which its handler gets kUnavailable
// (ZeroMQ reconnects by itself; callers decide whether to retry). Frames
// with request id 0 are pushed commands and go to the push handler.
//
// Integration with Asio: the socket's ZMQ_FD is watched with
// async_wait(wait_read); on wake-up (and after every send, since ZMQ_FD is
// edge-triggered and a send may consume the notification) the socket is
// drained while ZMQ_EVENTS has ZMQ_POLLIN. No polling loop, no spinning.
//
// With credentials the socket is a CURVE client (auth::ApplyClientCurve); a
// socket monitor, read on every sweep, logs a controller's refusal of the key
// (ZMQ_EVENT_HANDSHAKE_FAILED_AUTH) as an error naming the cause, at most
// every 30 s. ZeroMQ keeps reconnecting, so a key the controller learns later
// (or a controller that comes back) is picked up without a restart.
//
// Thread-safety: belongs to the thread running the io_context.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include <boost/asio/io_context.hpp>
#include <boost/asio/posix/stream_descriptor.hpp>
#include <boost/asio/steady_timer.hpp>
#include <zmq.hpp>

#include "common/auth/client_credentials.h"
#include "common/protocol/codec.h"
#include "common/status.h"
#include "common/transport/socket_monitor.h"

namespace jobctl::agent {

class ControllerLink {
 public:
  using ReplyHandler = std::function<void(Result<protocol::Envelope>)>;
  using PushHandler = std::function<void(protocol::Envelope)>;

  // `zmq_context` must outlive the link.
  ControllerLink(boost::asio::io_context& io, zmq::context_t& zmq_context, std::string endpoint,
                 std::string routing_id, PushHandler on_push,
                 std::optional<auth::ClientCredentials> creds = std::nullopt);
  ~ControllerLink();
  ControllerLink(const ControllerLink&) = delete;
  ControllerLink& operator=(const ControllerLink&) = delete;

  // Creates the socket and connects. kInvalidArgument for a bad endpoint.
  Status Connect();

  // Sends `request`; `on_reply` gets the reply envelope (an ErrorReply is
  // turned into its Status) or kUnavailable after `timeout`, exactly once,
  // always from the io_context (never from inside Call).
  template <typename Req>
  void Call(const Req& request, std::chrono::milliseconds timeout, ReplyHandler on_reply) {
    uint64_t id = ++last_request_id_;
    SendFrame(protocol::Encode(request, id), id, timeout, std::move(on_reply));
  }

  // Fails every outstanding request with kUnavailable and closes the socket.
  void Close();

  const std::string& endpoint() const { return endpoint_; }

  // A frame or command from the controller that could not be used (not an
  // envelope, a body of the wrong shape, an unknown command): dropped and
  // counted, and logged at warn at most once per kBadCommandLogPeriod (with
  // the number dropped meanwhile). `what` names the command.
  void CountBadCommand(std::string_view what, const Status& status);
  uint64_t bad_commands() const { return bad_commands_.load(); }

 private:
  static constexpr auto kBadCommandLogPeriod = std::chrono::seconds(10);
  static constexpr int kHeartbeatIvlMs = 1000;
  static constexpr int kHeartbeatTimeoutMs = 3000;
  static constexpr int kConnectTimeoutMs = 2000;

  struct Pending {
    std::chrono::steady_clock::time_point deadline;
    ReplyHandler on_reply;
  };

  void SendFrame(std::string frame, uint64_t id, std::chrono::milliseconds timeout,
                 ReplyHandler on_reply);
  void ArmWait();
  void Drain();
  void HandleFrame(const zmq::message_t& msg);
  void ArmSweep();
  void Fail(uint64_t id, Status status);
  void ReadMonitor();

  boost::asio::io_context& io_;
  zmq::context_t& zmq_context_;
  std::string endpoint_;
  std::string routing_id_;
  PushHandler on_push_;
  std::optional<auth::ClientCredentials> creds_;
  std::unique_ptr<zmq::socket_t> socket_;
  std::unique_ptr<SocketMonitor> monitor_;  // with credentials; declared after socket_
  std::chrono::steady_clock::time_point last_refusal_log_{};
  std::unique_ptr<boost::asio::posix::stream_descriptor> fd_watch_;
  boost::asio::steady_timer sweep_timer_;
  std::map<uint64_t, Pending> pending_;
  uint64_t last_request_id_ = 0;
  std::atomic<uint64_t> bad_commands_{0};  // read from other threads (tests)
  uint64_t bad_commands_unlogged_ = 0;
  std::chrono::steady_clock::time_point bad_command_logged_at_{};
  bool drain_posted_ = false;
  std::shared_ptr<bool> alive_ = std::make_shared<bool>(true);
};

}  // namespace jobctl::agent
