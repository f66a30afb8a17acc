// Authenticator: everything the controller's server socket needs to speak
// CURVE and know who is at the other end (docs/security.md).
//
// It holds the controller's key pair and the CredentialRegistry, runs the
// ZAP handler in the server's ZeroMQ context, and turns a received
// message's "User-Id" property back into a Principal, looking the id up in
// the registry on every message so that a revoked token stops at once, also
// on a connection that is already open.
//
// Thread-safety: Secure() from the server's thread before bind; Identify()
// from the server's thread; counters from any thread.
#pragma once

#include <cstdint>
#include <memory>
#include <zmq.hpp>

#include "common/auth/curve_keys.h"
#include "common/status.h"
#include "controller/auth/credential_registry.h"
#include "controller/auth/principal.h"
#include "controller/auth/zap_handler.h"

namespace jobctl::controller::auth {

class Authenticator {
 public:
  // `context` and `registry` must outlive the authenticator; sockets it
  // secures must be in `context`.
  Authenticator(zmq::context_t& context, jobctl::auth::CurveKeyPair controller_keys,
                CredentialRegistry* registry);

  zmq::context_t& context() const { return context_; }
  const jobctl::auth::CurveKeyPair& controller_keys() const { return keys_; }
  CredentialRegistry& registry() const { return *registry_; }

  // Starts the ZAP handler (once) and makes `socket` a CURVE server with
  // the controller's secret key. Call before bind.
  Status Secure(zmq::socket_t& socket);

  // Who sent `frame` (a frame received on a secured socket): the
  // credential named by its User-Id. PermissionDenied when the frame has
  // none or the credential was revoked since the connection was made.
  Result<Principal> Identify(zmq::message_t& frame) const;

  // Connections refused by the ZAP handler (unknown keys), with the latest.
  const RefusalLog& zap_refusals() const { return zap_.refusals(); }
  uint64_t zap_accepted() const { return zap_.accepted(); }

 private:
  zmq::context_t& context_;
  jobctl::auth::CurveKeyPair keys_;
  CredentialRegistry* registry_;
  ZapHandler zap_;
};

}  // namespace jobctl::controller::auth
