// The controller's authentication files in its data dir, and `jobctld init`.
//
//   <data_dir>/auth/            0700
//   |-- controller.key          0600  the controller's CURVE secret key (Z85, one line)
//   |-- controller.pub          0644  its public key (Z85, one line)
//   |-- credentials.json        0600  client public keys (credential_registry.h)
//   |-- admin.token             0600  a user token "admin" with admin rights (`jobctl up` uses it)
//   `-- agent.token             0600  an agent join token "local" (local agents and pools)
//
// InitAuth creates whatever is missing and leaves the rest alone, so it runs
// on every start. A token file whose key the registry does not know, or that
// names another controller key, is replaced. With `rotate` the controller
// gets a new key pair and new admin and agent tokens, and every other
// credential is forgotten. Modes that drifted are set back.
//
// Thread-safety: free functions; one InitAuth per data dir at a time (the
// controller must not be running during a rotation: it would keep its keys).
#pragma once

#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "common/auth/curve_keys.h"
#include "common/clock.h"
#include "common/status.h"
#include "controller/auth/credential_registry.h"

namespace jobctl::controller::auth {

struct AuthPaths {
  std::string dir;
  std::string controller_key;
  std::string controller_pub;
  std::string credentials;
  std::string admin_token;
  std::string agent_token;
};
AuthPaths AuthPathsFor(std::string_view data_dir);

inline constexpr char kAdminTokenName[] = "admin";
inline constexpr char kLocalAgentTokenName[] = "local";

struct AuthState {
  jobctl::auth::CurveKeyPair controller;  // the controller's key pair
  std::unique_ptr<CredentialRegistry> registry;
  // What this call made or repaired, one line each ("controller key pair:
  // <path>"); empty when everything was in place.
  std::vector<std::string> created;
};

// Creates (or with `rotate`, replaces) the files above. Errors name the file.
Result<AuthState> InitAuth(const std::string& data_dir, bool rotate, const Clock* clock);

}  // namespace jobctl::controller::auth
