#include "agent/controller_link.h"

#include <random>

#include <boost/asio/post.hpp>
#include <spdlog/spdlog.h>

namespace jobctl::agent {
namespace {

constexpr int kMaxFramesPerDrain = 256;
constexpr auto kSweepPeriod = std::chrono::milliseconds(20);
constexpr auto kRefusalLogPeriod = std::chrono::seconds(30);

}  // namespace

ControllerLink::ControllerLink(boost::asio::io_context& io, zmq::context_t& zmq_context,
                               std::string endpoint, std::string routing_id, PushHandler on_push,
                               std::optional<auth::ClientCredentials> creds)
    : io_(io),
      zmq_context_(zmq_context),
      endpoint_(std::move(endpoint)),
      routing_id_(std::move(routing_id)),
      on_push_(std::move(on_push)),
      creds_(std::move(creds)),
      sweep_timer_(io) {
  // Ids start at a random point so replies meant for an earlier incarnation
  // of this agent never match.
  std::random_device rd;
  last_request_id_ = (static_cast<uint64_t>(rd()) << 20) & ((1ULL << 52) - 1);
}

ControllerLink::~ControllerLink() {
  *alive_ = false;
  Close();
}

Status ControllerLink::Connect() {
  monitor_.reset();  // before the socket it watches
  try {
    socket_ = std::make_unique<zmq::socket_t>(zmq_context_, zmq::socket_type::dealer);
    socket_->set(zmq::sockopt::routing_id, routing_id_);
    socket_->set(zmq::sockopt::linger, 0);
    socket_->set(zmq::sockopt::reconnect_ivl, 100);
    socket_->set(zmq::sockopt::reconnect_ivl_max, 1000);
    socket_->set(zmq::sockopt::sndhwm, 100000);
    socket_->set(zmq::sockopt::rcvhwm, 100000);
    socket_->set(zmq::sockopt::maxmsgsize, static_cast<int64_t>(protocol::kMaxFrameBytes));
    // A partition leaves the TCP connection open with retransmits backing off
    // (tens of seconds after a long cut). ZMTP heartbeats drop a connection
    // that stopped answering, and a connect attempt that hangs is abandoned,
    // so the link is re-made within seconds of the network healing; what was
    // in flight is resent from the spool (nothing is acknowledged unstored).
    socket_->set(zmq::sockopt::heartbeat_ivl, kHeartbeatIvlMs);
    socket_->set(zmq::sockopt::heartbeat_timeout, kHeartbeatTimeoutMs);
    socket_->set(zmq::sockopt::connect_timeout, kConnectTimeoutMs);
    auth::ApplyClientCurve(*socket_, creds_);
    if (creds_) {
      monitor_ = SocketMonitor::Attach(zmq_context_, *socket_, ZMQ_EVENT_HANDSHAKE_FAILED_AUTH);
    }
    socket_->connect(endpoint_);
    int fd = socket_->get(zmq::sockopt::fd);
    fd_watch_ = std::make_unique<boost::asio::posix::stream_descriptor>(io_, fd);
  } catch (const zmq::error_t& e) {
    monitor_.reset();
    socket_.reset();
    return InvalidArgumentError("cannot connect to controller '" + endpoint_ + "': " + e.what());
  }
  ArmWait();
  ArmSweep();
  Drain();
  return Status::Ok();
}

void ControllerLink::Close() {
  if (fd_watch_) {
    fd_watch_->cancel();
    fd_watch_->release();  // the descriptor belongs to ZeroMQ
    fd_watch_.reset();
  }
  sweep_timer_.cancel();
  monitor_.reset();  // before the socket it watches
  socket_.reset();
  auto pending = std::move(pending_);
  pending_.clear();
  if (*alive_) {
    for (auto& [id, p] : pending) {
      boost::asio::post(io_, [cb = std::move(p.on_reply), ep = endpoint_] {
        cb(UnavailableError("connection to controller " + ep + " closed"));
      });
    }
  }
}

void ControllerLink::SendFrame(std::string frame, uint64_t id, std::chrono::milliseconds timeout,
                               ReplyHandler on_reply) {
  if (!socket_) {
    boost::asio::post(io_, [cb = std::move(on_reply), ep = endpoint_] {
      cb(UnavailableError("not connected to controller " + ep));
    });
    return;
  }
  bool sent = false;
  try {
    sent = socket_->send(zmq::buffer(frame), zmq::send_flags::dontwait).has_value();
  } catch (const zmq::error_t& e) {
    spdlog::warn("send to controller {}: {}", endpoint_, e.what());
  }
  if (!sent) {
    boost::asio::post(io_, [cb = std::move(on_reply), ep = endpoint_] {
      cb(UnavailableError("controller " + ep + " is not accepting requests"));
    });
    return;
  }
  pending_[id] = Pending{std::chrono::steady_clock::now() + timeout, std::move(on_reply)};
  // A send can swallow the edge ZMQ_FD would signal: look for input now.
  if (!drain_posted_) {
    drain_posted_ = true;
    boost::asio::post(io_, [this, alive = alive_] {
      if (!*alive) return;
      drain_posted_ = false;
      Drain();
    });
  }
}

void ControllerLink::ArmWait() {
  if (!fd_watch_) return;
  fd_watch_->async_wait(boost::asio::posix::stream_descriptor::wait_read,
                        [this, alive = alive_](const boost::system::error_code& ec) {
                          if (ec || !*alive) return;
                          Drain();
                          ArmWait();
                        });
}

void ControllerLink::Drain() {
  if (!socket_) return;
  try {
    for (int i = 0; i < kMaxFramesPerDrain; ++i) {
      if (!socket_ || !(socket_->get(zmq::sockopt::events) & ZMQ_POLLIN)) return;
      zmq::message_t msg;
      if (!socket_->recv(msg, zmq::recv_flags::dontwait)) return;
      HandleFrame(msg);
    }
  } catch (const zmq::error_t& e) {
    spdlog::warn("receive from controller {}: {}", endpoint_, e.what());
    return;
  }
  // More may be waiting; the fd will not signal again for them. Yield to
  // other work first.
  if (!drain_posted_) {
    drain_posted_ = true;
    boost::asio::post(io_, [this, alive = alive_] {
      if (!*alive) return;
      drain_posted_ = false;
      Drain();
    });
  }
}

void ControllerLink::HandleFrame(const zmq::message_t& msg) {
  auto env = protocol::DecodeEnvelope(msg.to_string_view());
  if (!env.ok()) {
    CountBadCommand("frame", env.status());
    return;
  }
  if (env->request_id == 0) {
    on_push_(std::move(*env));
    return;
  }
  auto it = pending_.find(env->request_id);
  if (it == pending_.end()) return;  // a late reply to a request that timed out
  auto cb = std::move(it->second.on_reply);
  pending_.erase(it);
  if (env->type == protocol::ErrorReply::kType) {
    cb(protocol::StatusFromErrorReply(*env));
  } else {
    cb(std::move(*env));
  }
}

void ControllerLink::CountBadCommand(std::string_view what, const Status& status) {
  uint64_t count = ++bad_commands_;
  auto now = std::chrono::steady_clock::now();
  if (count > 1 && now - bad_command_logged_at_ < kBadCommandLogPeriod) {
    ++bad_commands_unlogged_;
    return;
  }
  if (bad_commands_unlogged_ > 0) {
    spdlog::warn("dropped bad {} from controller {}: {} ({} more dropped since the last warning)",
                 what, endpoint_, status.ToString(), bad_commands_unlogged_);
  } else {
    spdlog::warn("dropped bad {} from controller {}: {}", what, endpoint_, status.ToString());
  }
  bad_commands_unlogged_ = 0;
  bad_command_logged_at_ = now;
}

void ControllerLink::ArmSweep() {
  sweep_timer_.expires_after(kSweepPeriod);
  sweep_timer_.async_wait([this, alive = alive_](const boost::system::error_code& ec) {
    if (ec || !*alive) return;
    auto now = std::chrono::steady_clock::now();
    std::vector<uint64_t> expired;
    for (auto& [id, p] : pending_) {
      if (p.deadline <= now) expired.push_back(id);
    }
    for (uint64_t id : expired) {
      Fail(id, UnavailableError("controller " + endpoint_ + " did not answer in time"));
    }
    ReadMonitor();
    // Belt and braces against a lost ZMQ_FD edge.
    Drain();
    if (socket_) ArmSweep();
  });
}

void ControllerLink::Fail(uint64_t id, Status status) {
  auto it = pending_.find(id);
  if (it == pending_.end()) return;
  auto cb = std::move(it->second.on_reply);
  pending_.erase(it);
  cb(std::move(status));
}

}  // namespace jobctl::agent

namespace jobctl::agent {

void ControllerLink::ReadMonitor() {
  if (!monitor_) return;
  try {
    while (auto event = monitor_->Next()) {
      if (event->id != ZMQ_EVENT_HANDSHAKE_FAILED_AUTH) continue;
      auto now = std::chrono::steady_clock::now();
      if (now - last_refusal_log_ < kRefusalLogPeriod) continue;
      last_refusal_log_ = now;
      spdlog::error(
          "controller at {} refused this agent's join token (revoked, made for another "
          "controller, or not an agent token); still retrying. Create one with "
          "`jobctl token create --agent`",
          endpoint_);
    }
  } catch (const zmq::error_t& e) {
    spdlog::warn("socket monitor of {}: {}", endpoint_, e.what());
  }
}

}  // namespace jobctl::agent
