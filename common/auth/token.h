// Join and user tokens: one string that lets an agent or a user reach one
// controller over CURVE.
//
// A token holds the controller's public key (so the client knows it talks to
// the right controller) and the client's own secret key (so the controller
// knows who connects). The controller keeps only the client's PUBLIC key and
// what it may do (controller/credentials.h); it never stores a token, except
// the two it writes for a local cluster at init (DATA/auth/*.token, 0600).
//
//   jct1_<kind>_<64 hex: controller public key><64 hex: client secret key>
//
// kind is `agent` or `user`. Hex keeps the token safe to paste in a shell or
// a YAML file. A token's id (TokenId) is derived from the client's public key
// and is what `jobctl token list` shows and `jobctl token revoke` takes.
//
// Thread-safety: plain data and free functions.
#pragma once

#include <string>
#include <string_view>

#include "common/status.h"

namespace jobctl::auth {

enum class TokenKind { kAgent, kUser };
std::string_view TokenKindName(TokenKind kind);  // "agent" | "user"
Result<TokenKind> ParseTokenKind(std::string_view name);

struct Token {
  TokenKind kind = TokenKind::kUser;
  std::string server_public;  // Z85, the controller's public key
  std::string client_secret;  // Z85, this client's secret key

  std::string Encode() const;
};

// Parses Encode()'s form (surrounding whitespace ignored). Errors name what is
// wrong without echoing the secret.
Result<Token> ParseToken(std::string_view text);

// The short id of a client key: the first 12 hex digits of SHA-256 over the
// raw public key.
std::string TokenId(std::string_view client_public_z85);

// Reads a token from a file (the first non-empty line). The error names the
// file; a file readable by group or others is refused, as ssh does for keys.
Result<Token> ReadTokenFile(const std::string& path);

// Writes `token` to `path` with mode 0600 (atomically: temp file + rename).
Status WriteTokenFile(const std::string& path, const Token& token);

}  // namespace jobctl::auth
