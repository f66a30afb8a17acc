// Authentication in the server: the CURVE server socket, who sent each
// message, the access table, and job ownership (docs/security.md).
#include <spdlog/spdlog.h>

#include "controller/auth/access_policy.h"
#include "controller/auth/authenticator.h"
#include "controller/auth/connection_monitor.h"
#include "controller/server.h"

namespace jobctl::controller {

Status Server::SecureSocket() {
  auth::Authenticator* authenticator = options_.authenticator;
  if (authenticator == nullptr) {
    spdlog::warn("authentication is OFF: every client is an admin (tests only)");
    return Status::Ok();
  }
  if (&authenticator->context() != &context_) {
    return FailedPreconditionError(
        "the authenticator and the server must share one ZeroMQ context (ZAP is per context)");
  }
  JOBCTL_RETURN_IF_ERROR(authenticator->Secure(*socket_));
  monitor_ = std::make_unique<auth::ConnectionMonitor>();
  return monitor_->Start(*socket_);
}

bool Server::Authorize(zmq::message_t& frame, const std::string& type, Incoming* in) {
  if (options_.authenticator == nullptr) return true;  // LocalPrincipal(): may do everything
  auto principal = options_.authenticator->Identify(frame);
  Status allowed = principal.ok() ? auth::CheckAccess(type, *principal) : principal.status();
  if (!allowed.ok()) {
    ++permission_denied_;
    spdlog::info("refused {} from {}: {}", type,
                 principal.ok() ? principal->name + " (" + principal->id + ")" : "a revoked token",
                 allowed.message());
    Reply(*in, protocol::EncodeError(allowed, in->request_id));
    return false;
  }
  in->principal = std::move(*principal);
  return true;
}

Status Server::CheckJobAccess(const Incoming& in, const std::string& job_id) const {
  if (in.principal.admin) return Status::Ok();
  auto detail_owner = jobs_.OwnerOf(job_id);
  if (!detail_owner.ok()) return detail_owner.status();
  if (*detail_owner != in.principal.name) {
    // Worded as for a job that does not exist, so ids of others' jobs do not leak.
    return NotFoundError("job " + job_id + " does not exist");
  }
  return Status::Ok();
}

std::string Server::OwnerFilter(const Incoming& in) const {
  return in.principal.admin ? std::string() : in.principal.name;
}

uint64_t Server::refused_unknown_keys() const {
  return options_.authenticator ? options_.authenticator->zap_refusals().count() : 0;
}

std::vector<std::string> Server::HandledTypes() const {
  std::vector<std::string> types;
  for (const auto& [type, handler] : handlers_) types.push_back(type);
  return types;
}

uint64_t Server::refused_handshakes() const { return monitor_ ? monitor_->refusals().count() : 0; }

}  // namespace jobctl::controller
