// CredentialRegistry: the client public keys the controller accepts, with
// what each may do, persisted to DATA/auth/credentials.json (0600, written
// atomically: temp file + fsync + rename).
//
// The file is a JSON array of
//   {"id", "kind": "agent"|"user", "name", "admin", "public_key" (Z85), "created_ms"}.
// It holds PUBLIC keys only; the secret halves live in the tokens the
// clients keep. A user may own several credentials (one per token).
//
// Thread-safety: thread-safe. The ZAP thread looks keys up while the server
// loop looks ids up on every message and adds or revokes credentials.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

#include "common/auth/token.h"
#include "common/clock.h"
#include "common/status.h"
#include "controller/auth/principal.h"

namespace jobctl::controller::auth {

struct Credential {
  std::string id;  // jobctl::auth::TokenId(public_key)
  jobctl::auth::TokenKind kind = jobctl::auth::TokenKind::kUser;
  std::string name;
  bool admin = false;
  std::string public_key;  // Z85
  int64_t created_ms = 0;

  Principal principal() const { return Principal{id, kind, name, admin}; }
};

// User names (and agent labels): [a-z_][a-z0-9_.-]{0,31}. The error names
// `what` and shows the rule.
Status ValidateUserName(const std::string& name, const std::string& what);

class CredentialRegistry {
 public:
  // Loads `path` when it exists (an error names the file and entry);
  // otherwise starts empty and writes nothing until the first change.
  static Result<std::unique_ptr<CredentialRegistry>> Open(std::string path, const Clock* clock);

  const std::string& path() const { return path_; }

  // Remembers a new client key and writes the file. The id is derived from
  // the key; a key already known is AlreadyExists.
  Result<Credential> Add(jobctl::auth::TokenKind kind, const std::string& name, bool admin,
                         const std::string& public_key);
  // Forgets a credential and writes the file; NotFound for an unknown id.
  Status Revoke(const std::string& id);
  // Forgets every credential and writes the (empty) file (init --rotate).
  Status Clear();

  std::optional<Credential> FindById(const std::string& id) const;
  std::optional<Credential> FindByPublicKey(const std::string& public_key) const;
  // Oldest first.
  std::vector<Credential> List() const;
  size_t size() const;

 private:
  CredentialRegistry(std::string path, const Clock* clock)
      : path_(std::move(path)), clock_(clock) {}
  Status Load();
  Status SaveLocked() const;  // requires mu_

  const std::string path_;
  const Clock* clock_;
  mutable std::mutex mu_;
  std::map<std::string, Credential> by_id_;                 // guarded by mu_
  std::unordered_map<std::string, std::string> id_by_key_;  // guarded by mu_
};

}  // namespace jobctl::controller::auth
