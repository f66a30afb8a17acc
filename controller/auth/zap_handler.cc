#include "controller/auth/zap_handler.h"

#include <spdlog/spdlog.h>

#include <zmq_addon.hpp>

#include "common/auth/curve_keys.h"
#include "common/auth/token.h"

namespace jobctl::controller::auth {
namespace {

constexpr int kPollMs = 100;

// RFC 27 request: version, request id, domain, address, routing id,
// mechanism, credentials...
enum Frame { kVersion, kRequestId, kDomain, kAddress, kRoutingId, kMechanism, kCredentials };

}  // namespace

ZapHandler::ZapHandler(zmq::context_t& context, const CredentialRegistry* registry)
    : context_(context), registry_(registry) {}

ZapHandler::~ZapHandler() { Stop(); }

Status ZapHandler::Start() {
  if (thread_.joinable()) return Status::Ok();
  try {
    socket_ = std::make_unique<zmq::socket_t>(context_, zmq::socket_type::rep);
    socket_->set(zmq::sockopt::linger, 0);
    socket_->bind(kZapEndpoint);
  } catch (const zmq::error_t& e) {
    socket_.reset();
    if (e.num() == EADDRINUSE) {
      return AlreadyExistsError("this ZeroMQ context already has a ZAP handler");
    }
    return UnavailableError(std::string("cannot start the ZAP handler: ") + e.what());
  }
  stop_.store(false);
  thread_ = std::thread([this] { Serve(); });
  return Status::Ok();
}

void ZapHandler::Stop() {
  if (!thread_.joinable()) return;
  stop_.store(true);
  thread_.join();
  socket_.reset();
}

void ZapHandler::Serve() {
  while (!stop_.load()) {
    try {
      zmq::pollitem_t item{static_cast<void*>(*socket_), 0, ZMQ_POLLIN, 0};
      zmq::poll(&item, 1, std::chrono::milliseconds(kPollMs));
      if (!(item.revents & ZMQ_POLLIN)) continue;
      std::vector<zmq::message_t> request;
      if (!zmq::recv_multipart(*socket_, std::back_inserter(request), zmq::recv_flags::dontwait)) {
        continue;
      }
      Answer(request);
    } catch (const zmq::error_t& e) {
      if (e.num() == EINTR) continue;
      if (e.num() == ETERM) return;
      spdlog::error("ZAP handler: {}", e.what());
    }
  }
}

void ZapHandler::Answer(std::vector<zmq::message_t>& request) {
  std::string request_id = request.size() > kRequestId ? request[kRequestId].to_string() : "";
  std::string status = "400";
  std::string text;
  std::string user_id;
  std::string address = request.size() > kAddress ? request[kAddress].to_string() : "";
  if (address.empty()) address = "unknown";
  if (request.size() < kCredentials || request[kVersion].to_string_view() != "1.0") {
    status = "500";
    text = "malformed ZAP request";
    spdlog::error("ZAP handler: malformed request ({} frames)", request.size());
  } else if (request[kMechanism].to_string_view() != "CURVE") {
    text = "mechanism " + request[kMechanism].to_string() + " is not accepted";
    refusals_.Record({address, "plain-text (" + request[kMechanism].to_string() +
                                   ") connection; this controller accepts CURVE only"});
  } else if (request.size() <= kCredentials ||
             request[kCredentials].size() != jobctl::auth::kKeyBytes) {
    text = "no CURVE public key";
    refusals_.Record({address, "CURVE handshake without a client key"});
  } else {
    std::string key = jobctl::auth::Z85EncodeKey(request[kCredentials].to_string_view());
    auto credential = registry_->FindByPublicKey(key);
    if (credential) {
      status = "200";
      text = "OK";
      user_id = credential->id;
      ++accepted_;
      spdlog::debug("ZAP: {} authenticated as {} {} ({})", address,
                    jobctl::auth::TokenKindName(credential->kind), credential->name,
                    credential->id);
    } else {
      text = "unknown client key";
      refusals_.Record({address, "unknown client key " + jobctl::auth::TokenId(key) +
                                     " (a revoked token, or one made for another controller)"});
    }
  }
  std::array<zmq::const_buffer, 6> reply{zmq::str_buffer("1.0"), zmq::buffer(request_id),
                                         zmq::buffer(status),    zmq::buffer(text),
                                         zmq::buffer(user_id),   zmq::const_buffer()};
  zmq::send_multipart(*socket_, reply);
}

}  // namespace jobctl::controller::auth
