#include "common/transport/rpc_client.h"

#include <random>

namespace jobctl {

RpcClient::RpcClient(zmq::context_t& context, std::string endpoint)
    : context_(context), endpoint_(std::move(endpoint)) {
  // Start ids at a random point so a restarted client never matches a reply
  // meant for its previous incarnation.
  std::random_device rd;
  last_request_id_ = (static_cast<uint64_t>(rd()) << 20) & ((1ULL << 52) - 1);
  Connect();
}

RpcClient::~RpcClient() = default;

void RpcClient::Connect() {
  socket_ = std::make_unique<zmq::socket_t>(context_, zmq::socket_type::dealer);
  socket_->set(zmq::sockopt::linger, 0);
  socket_->set(zmq::sockopt::reconnect_ivl, 100);
  socket_->set(zmq::sockopt::reconnect_ivl_max, 1000);
  socket_->set(zmq::sockopt::maxmsgsize, static_cast<int64_t>(protocol::kMaxFrameBytes));
  try {
    socket_->connect(endpoint_);
  } catch (const zmq::error_t&) {
    // Reported by CallRaw: an unusable endpoint leaves socket_ unconnected.
    socket_.reset();
  }
}

Result<protocol::Envelope> RpcClient::CallRaw(const std::string& frame, uint64_t request_id,
                                              std::chrono::milliseconds timeout) {
  if (!socket_) return InvalidArgumentError("bad controller address '" + endpoint_ + "'");
  auto deadline = std::chrono::steady_clock::now() + timeout;
  try {
    if (!socket_->send(zmq::buffer(frame), zmq::send_flags::dontwait)) {
      return UnavailableError("controller at " + endpoint_ + " is not accepting requests");
    }
    while (true) {
      auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
          deadline - std::chrono::steady_clock::now());
      if (left.count() <= 0) break;
      zmq::pollitem_t item{static_cast<void*>(*socket_), 0, ZMQ_POLLIN, 0};
      zmq::poll(&item, 1, left);
      if (!(item.revents & ZMQ_POLLIN)) continue;
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
  // Drop the socket so a queued request is not delivered after we gave up.
  Connect();
  return UnavailableError("controller at " + endpoint_ + " did not answer within " +
                          std::to_string(timeout.count()) + " ms");
}

}  // namespace jobctl
