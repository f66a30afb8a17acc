#include "controller/auth/authenticator.h"

namespace jobctl::controller::auth {

inline constexpr char kZapDomain[] = "jobctl";

Authenticator::Authenticator(zmq::context_t& context, jobctl::auth::CurveKeyPair controller_keys,
                             CredentialRegistry* registry)
    : context_(context),
      keys_(std::move(controller_keys)),
      registry_(registry),
      zap_(context, registry) {}

Status Authenticator::Secure(zmq::socket_t& socket) {
  JOBCTL_RETURN_IF_ERROR(zap_.Start());
  try {
    socket.set(zmq::sockopt::curve_server, 1);
    socket.set(zmq::sockopt::curve_secretkey, keys_.secret_key);
    socket.set(zmq::sockopt::zap_domain, kZapDomain);
#ifdef ZMQ_ZAP_ENFORCE_DOMAIN
    // Without a ZAP handler, refuse instead of letting every key in.
    socket.set(zmq::sockopt::zap_enforce_domain, 1);
#endif
  } catch (const zmq::error_t& e) {
    return FailedPreconditionError(std::string("cannot make the socket a CURVE server: ") +
                                   e.what());
  }
  return Status::Ok();
}

Result<Principal> Authenticator::Identify(zmq::message_t& frame) const {
  const char* user_id = nullptr;
  try {
    user_id = frame.gets("User-Id");
  } catch (const zmq::error_t&) {
    user_id = nullptr;
  }
  if (user_id == nullptr || *user_id == '\0') {
    return PermissionDeniedError("the connection carries no credential");
  }
  auto credential = registry_->FindById(user_id);
  if (!credential) {
    return PermissionDeniedError("token " + std::string(user_id) +
                                 " was revoked; ask an admin for a new one");
  }
  return credential->principal();
}

}  // namespace jobctl::controller::auth
