#include "common/transport/rpc_client.h"

#include <random>

namespace jobctl {
namespace {

constexpr int kMonitorEvents =
    ZMQ_EVENT_CONNECTED | ZMQ_EVENT_HANDSHAKE_SUCCEEDED | ZMQ_EVENT_HANDSHAKE_FAILED_AUTH |
    ZMQ_EVENT_HANDSHAKE_FAILED_PROTOCOL | ZMQ_EVENT_HANDSHAKE_FAILED_NO_DETAIL;

}  // namespace

std::string RefusedCredentialsMessage(const std::string& endpoint) {
  return "controller at " + endpoint +
         " refused these credentials (token revoked or made for another controller): run "
         "`jobctl login`";
}

RpcClient::RpcClient(zmq::context_t& context, std::string endpoint,
                     std::optional<auth::ClientCredentials> creds)
    : context_(context), endpoint_(std::move(endpoint)), creds_(std::move(creds)) {
  // Start ids at a random point so a restarted client never matches a reply
  // meant for its previous incarnation.
  std::random_device rd;
  last_request_id_ = (static_cast<uint64_t>(rd()) << 20) & ((1ULL << 52) - 1);
  Connect();
}

RpcClient::~RpcClient() {
  monitor_.reset();  // before the socket it watches
  socket_.reset();
}

void RpcClient::Connect() {
  monitor_.reset();  // before the socket it watches
  socket_.reset();
  connected_ = false;
  handshake_ok_ = false;
  handshake_problem_.clear();
  socket_ = std::make_unique<zmq::socket_t>(context_, zmq::socket_type::dealer);
  socket_->set(zmq::sockopt::linger, 0);
  socket_->set(zmq::sockopt::reconnect_ivl, 100);
  socket_->set(zmq::sockopt::reconnect_ivl_max, 1000);
  socket_->set(zmq::sockopt::maxmsgsize, static_cast<int64_t>(protocol::kMaxFrameBytes));
  try {
    auth::ApplyClientCurve(*socket_, creds_);
    if (creds_) monitor_ = SocketMonitor::Attach(context_, *socket_, kMonitorEvents);
    socket_->connect(endpoint_);
  } catch (const zmq::error_t&) {
    // Reported by CallRaw: an unusable endpoint (or key) leaves socket_ unconnected.
    monitor_.reset();
    socket_.reset();
  }
}

Status RpcClient::DrainMonitor() {
  if (!monitor_) return Status::Ok();
  while (auto event = monitor_->Next()) {
    switch (event->id) {
      case ZMQ_EVENT_CONNECTED:
        connected_ = true;
        break;
      case ZMQ_EVENT_HANDSHAKE_SUCCEEDED:
        handshake_ok_ = true;
        handshake_problem_.clear();
        break;
      case ZMQ_EVENT_HANDSHAKE_FAILED_AUTH:
        return PermissionDeniedError(RefusedCredentialsMessage(endpoint_));
      case ZMQ_EVENT_HANDSHAKE_FAILED_PROTOCOL:
        handshake_problem_ =
            "the CURVE handshake failed with a protocol error (is it a jobctl "
            "controller with authentication?)";
        break;
      case ZMQ_EVENT_HANDSHAKE_FAILED_NO_DETAIL:
        handshake_problem_ =
            "the controller closed the connection during the CURVE handshake (a token made for "
            "another controller, or a server that does not speak CURVE)";
        break;
      default:
        break;
    }
  }
  return Status::Ok();
}

Result<protocol::Envelope> RpcClient::CallRaw(const std::string& frame, uint64_t request_id,
                                              std::chrono::milliseconds timeout) {
  if (!socket_) return InvalidArgumentError("bad controller address '" + endpoint_ + "'");
  auto deadline = std::chrono::steady_clock::now() + timeout;
  try {
    JOBCTL_RETURN_IF_ERROR(DrainMonitor());
    if (!socket_->send(zmq::buffer(frame), zmq::send_flags::dontwait)) {
      return UnavailableError("controller at " + endpoint_ + " is not accepting requests");
    }
    while (true) {
      auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
          deadline - std::chrono::steady_clock::now());
      if (left.count() <= 0) break;
      zmq::pollitem_t items[2] = {
          {static_cast<void*>(*socket_), 0, ZMQ_POLLIN, 0},
          {monitor_ ? static_cast<void*>(monitor_->pair()) : nullptr, 0, ZMQ_POLLIN, 0}};
      zmq::poll(items, monitor_ ? 2 : 1, left);
      if (monitor_ && (items[1].revents & ZMQ_POLLIN)) {
        Status refused = DrainMonitor();
        if (!refused.ok()) {
          Connect();  // the queued request must not go out on a later connection
          return refused;
        }
      }
      if (!(items[0].revents & ZMQ_POLLIN)) continue;
      zmq::message_t msg;
      if (!socket_->recv(msg, zmq::recv_flags::dontwait)) continue;
      auto env = protocol::DecodeEnvelope(msg.to_string_view());
      if (!env.ok()) return env.status().WithContext("reply from " + endpoint_);
      if (env->request_id != request_id) continue;  // a late reply to an earlier call
      return env;
    }
  } catch (const zmq::error_t& e) {
    return UnavailableError("controller at " + endpoint_ + ": " + e.what());
  }
  std::string hint;
  if (creds_) {
    Status refused = DrainMonitor();
    if (!refused.ok()) {
      Connect();
      return refused;
    }
    if (!handshake_problem_.empty()) {
      hint = " (" + handshake_problem_ + ")";
    } else if (connected_ && !handshake_ok_) {
      hint =
          " (connected, but the CURVE handshake did not complete: the controller may be "
          "refusing this key)";
    }
  }
  // Drop the socket so a queued request is not delivered after we gave up.
  Connect();
  return UnavailableError("controller at " + endpoint_ + " did not answer within " +
                          std::to_string(timeout.count()) + " ms" + hint);
}

}  // namespace jobctl
