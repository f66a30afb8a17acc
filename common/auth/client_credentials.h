// What a client socket (jobctl, jobagent) needs to speak CURVE to the
// controller, and the one place that sets it on a ZeroMQ socket.
//
// Thread-safety: plain data and free functions.
#pragma once

#include <optional>
#include <string>

#include <zmq.hpp>

#include "common/auth/token.h"
#include "common/status.h"

namespace jobctl::auth {

struct ClientCredentials {
  std::string server_public;  // Z85
  std::string client_public;  // Z85
  std::string client_secret;  // Z85
};

Result<ClientCredentials> CredentialsFromToken(const Token& token);

// Makes `socket` a CURVE client with these keys. Call before connect().
// With nullopt the socket stays plain text (only for tests of servers that
// run without authentication).
void ApplyClientCurve(zmq::socket_t& socket, const std::optional<ClientCredentials>& creds);

}  // namespace jobctl::auth
