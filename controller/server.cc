// The loop, the dispatch table and the outbox; handlers are in server_handlers.cc.
#include "controller/server.h"

#include <algorithm>

#include <spdlog/spdlog.h>
#include <zmq_addon.hpp>

#include "controller/request_limits.h"
#include "controller/auth/connection_monitor.h"

namespace jobctl::controller {

Server::Server(ServerOptions options, zmq::context_t& context, StateStore* store, LogStore* logs,
               const Clock* clock)
    : options_(std::move(options)),
      context_(context),
      store_(store),
      logs_(logs),
      clock_(clock),
      nodes_(clock, options_.heartbeat_timeout_ms),
      jobs_(JobManagerOptions{options_.data_dir, options_.grace_ms, options_.ports}, store,
            &nodes_, this, clock) {
  InstallHandlers();
}

Server::~Server() = default;

template <typename Req>
bool Server::AdmitWithinLimits(const Req& request, const Incoming& in) {
  protocol::LimitCheck check(Req::kType);
  CheckRequestLimits(request, check);
  if (check.ok()) return true;
  counters_.Refused(check.limit());
  spdlog::debug("refused: {}", check.status().ToString());
  Reply(in, protocol::EncodeError(check.status(), in.request_id));
  return false;
}

template <typename Req, typename Rep>
void Server::Install(Result<Rep> (Server::*fn)(const Req&, const Incoming&)) {
  handlers_[std::string(Req::kType)] = [this, fn](const Incoming& in,
                                                  const protocol::Envelope& envelope) {
    auto request = protocol::DecodeBody<Req>(envelope);
    if (!request.ok()) {
      ++malformed_frames_;
      Reply(in, protocol::EncodeError(request.status(), in.request_id));
      return;
    }
    if (!AdmitWithinLimits(*request, in)) return;
    Result<Rep> reply = (this->*fn)(*request, in);
    Reply(in, reply.ok() ? protocol::Encode(*reply, in.request_id)
                         : protocol::EncodeError(reply.status(), in.request_id));
  };
}

void Server::InstallHandlers() {
  Install(&Server::HandlePing);
  Install(&Server::HandleSubmitJob);
  Install(&Server::HandleListJobs);
  Install(&Server::HandleGetJob);
  Install(&Server::HandleCancelJob);
  Install(&Server::HandleListNodes);
  Install(&Server::HandleRegisterNode);
  Install(&Server::HandleHeartbeat);
  Install(&Server::HandleRankEvent);
  Install(&Server::HandleLogBatch);
  Install(&Server::HandleListPools);
  Install(&Server::HandleMetricBatch);
  Install(&Server::HandleReadMetrics);
  Install(&Server::HandleMetricSummary);
  // Outputs and the model registry (server_artifacts.cc).
  Install(&Server::HandleOutputsMissing);
  Install(&Server::HandleBlobChunk);
  Install(&Server::HandleOutputsCommit);
  Install(&Server::HandleListOutputs);
  Install(&Server::HandleReadBlob);
  Install(&Server::HandleRegisterModel);
  Install(&Server::HandleListModels);
  Install(&Server::HandleGetModel);
  Install(&Server::HandleServerStats);
  // Tokens (server_tokens.cc).
  Install(&Server::HandleCreateToken);
  Install(&Server::HandleListTokens);
  Install(&Server::HandleRevokeToken);
  Install(&Server::HandleWhoAmI);
  Install(&Server::HandleRankEvents);
  handlers_[std::string(protocol::ReadLogsRequest::kType)] =
      [this](const Incoming& in, const protocol::Envelope& envelope) {
        auto request = protocol::DecodeBody<protocol::ReadLogsRequest>(envelope);
        if (!request.ok()) {
          ++malformed_frames_;
          Reply(in, protocol::EncodeError(request.status(), in.request_id));
          return;
        }
        if (!AdmitWithinLimits(*request, in)) return;
        HandleReadLogs(*request, in);
      };
}

Status Server::Start() {
  JOBCTL_RETURN_IF_ERROR(jobs_.Load());
  JOBCTL_RETURN_IF_ERROR(OpenArtifacts());
  started_ms_ = clock_->NowMillis();
  try {
    socket_ = std::make_unique<zmq::socket_t>(context_, zmq::socket_type::router);
    socket_->set(zmq::sockopt::linger, 0);
    socket_->set(zmq::sockopt::maxmsgsize, static_cast<int64_t>(protocol::kMaxFrameBytes));
    socket_->set(zmq::sockopt::router_mandatory, 0);  // a gone peer's frames are dropped
    // An agent that reconnects after a partition keeps its routing id: the
    // new connection takes it over from the old, possibly half-dead, one.
    socket_->set(zmq::sockopt::router_handover, 1);
    // Peers that stopped answering are dropped (ZMTP heartbeats).
    socket_->set(zmq::sockopt::heartbeat_ivl, 1000);
    socket_->set(zmq::sockopt::heartbeat_timeout, 5000);
    if (Status secured = SecureSocket(); !secured.ok()) {
      monitor_.reset();
      socket_.reset();
      return secured;
    }
    socket_->bind(options_.listen);
    endpoint_ = socket_->get(zmq::sockopt::last_endpoint);
  } catch (const zmq::error_t& e) {
    monitor_.reset();
    socket_.reset();
    return UnavailableError("--listen " + options_.listen + ": cannot bind: " + e.what());
  }
  spdlog::info("jobctld {} listening on {}", options_.version, endpoint_);
  return StartPools();
}

Status Server::Run() {
  if (!socket_) return FailedPreconditionError("Server::Run called before a successful Start");
  while (!stop_.load()) {
    try {
      Iterate(NextWakeMs());
    } catch (const zmq::error_t& e) {
      if (e.num() == EINTR) continue;
      return UnavailableError(std::string("controller socket: ") + e.what());
    }
  }
  CommitAndFlush();
  return Status::Ok();
}

int Server::NextWakeMs() const {
  int64_t wait = options_.poll_interval_ms;
  int64_t now = clock_->SteadyMillis();
  for (const auto& p : parked_) wait = std::min(wait, std::max<int64_t>(0, p.deadline_ms - now));
  return static_cast<int>(wait);
}

void Server::Iterate(int timeout_ms) {
  zmq::pollitem_t item{static_cast<void*>(*socket_), 0, ZMQ_POLLIN, 0};
  zmq::poll(&item, 1, std::chrono::milliseconds(timeout_ms));
  std::vector<zmq::message_t> parts;
  bool drained = false;
  for (int handled = 0; handled < options_.max_batch; ++handled) {
    parts.clear();
    auto received = zmq::recv_multipart(*socket_, std::back_inserter(parts),
                                        zmq::recv_flags::dontwait);
    if (!received) {
      drained = true;
      break;
    }
    Dispatch(parts);
  }
  // A node is declared lost only when every frame that arrived has been read:
  // behind a backlog (a busy controller, a burst of log batches) its
  // heartbeat may be waiting unread in the socket.
  if (drained) {
    for (const std::string& node_id : nodes_.ExpireLost()) {
      jobs_.OnNodeLost(node_id, nodes_.SilenceMs(node_id));
    }
  }
  jobs_.Tick();
  TickPools();
  CommitAndFlush();
  ServeParkedReads();
}

void Server::Dispatch(std::vector<zmq::message_t>& parts) {
  if (parts.size() < 2) {
    ++malformed_frames_;  // no identity: cannot even answer
    return;
  }
  if (parts.size() > kMaxMessageParts) {
    ++malformed_frames_;  // a DEALER sends one part; ROUTER adds the identity
    return;
  }
  Incoming in;
  for (size_t i = 0; i + 1 < parts.size(); ++i) in.route.push_back(parts[i].to_string());
  counters_.Received(in.route.front(), clock_->SteadyMillis());
  std::string_view frame = parts.back().to_string_view();
  auto envelope = protocol::DecodeEnvelope(frame);
  if (!envelope.ok()) {
    ++malformed_frames_;
    // Answer when the frame still carries a readable request id.
    nlohmann::json j = nlohmann::json::from_msgpack(frame.begin(), frame.end(), true, false);
    if (!j.is_discarded() && j.is_object() && j.contains("id") && j["id"].is_number_unsigned()) {
      in.request_id = j["id"].get<uint64_t>();
      Reply(in, protocol::EncodeError(envelope.status(), in.request_id));
    }
    spdlog::debug("malformed frame: {}", envelope.status().ToString());
    return;
  }
  in.request_id = envelope->request_id;
  auto handler = handlers_.find(envelope->type);
  if (handler == handlers_.end()) {
    ++unknown_types_;
    Reply(in, protocol::EncodeError(
                  InvalidArgumentError("unknown message type '" + envelope->type + "'"),
                  in.request_id));
    return;
  }
  if (!Authorize(parts.back(), envelope->type, &in)) return;
  try {
    handler->second(in, *envelope);
  } catch (const std::exception& e) {
    // A library exception escaping a handler is a bug; answer, do not crash.
    spdlog::error("handler for '{}' threw: {}", envelope->type, e.what());
    Reply(in, protocol::EncodeError(InternalError(e.what()), in.request_id));
  }
}

void Server::Reply(const Incoming& in, std::string frame) {
  outbox_.push_back(Outgoing{in.route, std::move(frame), true, in.request_id});
}

void Server::SendToNode(const std::string& node_id, std::string frame) {
  auto it = node_routes_.find(node_id);
  if (it == node_routes_.end()) {
    spdlog::warn("no route to node {}; command dropped", node_id);
    return;
  }
  outbox_.push_back(Outgoing{it->second, std::move(frame), false, 0});
}

void Server::RememberNode(const std::string& node_id, const Incoming& in) {
  if (!node_id.empty()) node_routes_[node_id] = in.route;
}

void Server::CommitAndFlush() {
  // Metric points first: a batch acknowledged below is durable. (Metrics
  // committed while the state commit fails are resent and deduplicated.)
  Status committed = metrics_->Commit();
  if (!committed.ok()) metrics_->Rollback();
  if (committed.ok()) committed = store_->Commit();
  if (committed.ok()) {
    jobs_.BatchCommitted();
  } else {
    ++failed_commits_;
    spdlog::error("group commit failed; answering the batch with errors: {}",
                  committed.ToString());
    store_->Rollback();
    jobs_.RevertBatchSubmits();
    Status unavailable = committed.code() == StatusCode::kResourceExhausted
                             ? committed
                             : UnavailableError("state not stored: " + committed.message());
    std::vector<Outgoing> replies;
    for (auto& out : outbox_) {
      if (!out.is_reply) continue;
      out.frame = protocol::EncodeError(unavailable, out.request_id);
      replies.push_back(std::move(out));
    }
    outbox_ = std::move(replies);
  }
  for (auto& out : outbox_) {
    std::vector<zmq::message_t> msgs;
    for (const auto& r : out.route) msgs.emplace_back(r.data(), r.size());
    msgs.emplace_back(out.frame.data(), out.frame.size());
    try {
      zmq::send_multipart(*socket_, msgs, zmq::send_flags::dontwait);
    } catch (const zmq::error_t& e) {
      spdlog::debug("send dropped: {}", e.what());
    }
  }
  outbox_.clear();
}

void Server::ServeParkedReads() {
  if (parked_.empty()) return;
  int64_t now = clock_->SteadyMillis();
  for (auto it = parked_.begin(); it != parked_.end();) {
    bool has_news = false;
    auto reply = ReadLogs(it->request, &has_news);
    if (!reply.ok() || has_news || now >= it->deadline_ms || stop_.load()) {
      Reply(it->in, reply.ok() ? protocol::Encode(*reply, it->in.request_id)
                               : protocol::EncodeError(reply.status(), it->in.request_id));
      it = parked_.erase(it);
    } else {
      ++it;
    }
  }
  CommitAndFlush();  // nothing to commit: sends the answers
}

}  // namespace jobctl::controller
