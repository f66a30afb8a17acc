// Principal: who sent a message, as the controller knows it from the CURVE
// key the connection authenticated with (docs/security.md).
//
// Thread-safety: plain data.
#pragma once

#include <string>

#include "common/auth/token.h"

namespace jobctl::controller::auth {

struct Principal {
  std::string id;  // the token id (jobctl::auth::TokenId of the client's public key)
  jobctl::auth::TokenKind kind = jobctl::auth::TokenKind::kUser;
  std::string name;  // a user's name (the owner of the jobs it submits); an agent token's label
  bool admin = false;

  bool is_agent() const { return kind == jobctl::auth::TokenKind::kAgent; }
  bool is_user() const { return kind == jobctl::auth::TokenKind::kUser; }
};

// The principal of a controller that runs without authentication (server
// unit tests): an administrator named "local" who may do everything.
inline Principal LocalPrincipal() {
  return Principal{"", jobctl::auth::TokenKind::kUser, "local", true};
}

}  // namespace jobctl::controller::auth
