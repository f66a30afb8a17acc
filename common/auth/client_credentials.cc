#include "common/auth/client_credentials.h"

#include "common/auth/curve_keys.h"

namespace jobctl::auth {

Result<ClientCredentials> CredentialsFromToken(const Token& token) {
  JOBCTL_ASSIGN_OR_RETURN(std::string client_public, CurvePublicFromSecret(token.client_secret));
  return ClientCredentials{token.server_public, client_public, token.client_secret};
}

void ApplyClientCurve(zmq::socket_t& socket, const std::optional<ClientCredentials>& creds) {
  if (!creds) return;
  socket.set(zmq::sockopt::curve_serverkey, creds->server_public);
  socket.set(zmq::sockopt::curve_publickey, creds->client_public);
  socket.set(zmq::sockopt::curve_secretkey, creds->client_secret);
}

}  // namespace jobctl::auth
