// Tokens and identity (docs/security.md). Every one of these is answered only
// on a CURVE connection whose key the controller knows; create, list and
// revoke need an admin user's key.
//
// create_token: the controller makes a new client key pair, remembers the
// public half with its kind and name, and answers the token (auth/token.h)
// holding the secret half. It is shown once and never stored by the
// controller. A user token's name is the owner of the jobs it submits.
// revoke_token takes effect at once, also on connections already open.
// whoami: who the caller's key belongs to (`jobctl login` checks it).
#pragma once

#include <cstdint>
#include <nlohmann/json.hpp>
#include <string>
#include <string_view>
#include <vector>

namespace jobctl::protocol {

struct TokenInfo {
  std::string id;    // auth::TokenId of the client's public key
  std::string kind;  // agent | user
  std::string name;  // the user's name; for agents, a label ("join")
  bool admin = false;
  int64_t created_ms = 0;
};
NLOHMANN_DEFINE_TYPE_NON_INTRUSIVE_WITH_DEFAULT(TokenInfo, id, kind, name, admin, created_ms)

struct CreateTokenRequest {
  static constexpr std::string_view kType = "create_token";
  std::string kind;  // agent | user
  std::string name;  // user name ([a-z_][a-z0-9_.-]{0,31}); agent: optional label
  bool admin = false;
};
NLOHMANN_DEFINE_TYPE_NON_INTRUSIVE_WITH_DEFAULT(CreateTokenRequest, kind, name, admin)

struct CreateTokenReply {
  static constexpr std::string_view kType = "create_token_reply";
  std::string token;  // the whole token; shown once
  TokenInfo info;
};
NLOHMANN_DEFINE_TYPE_NON_INTRUSIVE_WITH_DEFAULT(CreateTokenReply, token, info)

struct ListTokensRequest {
  static constexpr std::string_view kType = "list_tokens";
};
inline void to_json(nlohmann::json& j, const ListTokensRequest&) { j = nlohmann::json::object(); }
inline void from_json(const nlohmann::json&, ListTokensRequest&) {}

struct ListTokensReply {
  static constexpr std::string_view kType = "list_tokens_reply";
  std::vector<TokenInfo> tokens;
};
NLOHMANN_DEFINE_TYPE_NON_INTRUSIVE_WITH_DEFAULT(ListTokensReply, tokens)

struct RevokeTokenRequest {
  static constexpr std::string_view kType = "revoke_token";
  std::string id;
};
NLOHMANN_DEFINE_TYPE_NON_INTRUSIVE_WITH_DEFAULT(RevokeTokenRequest, id)

struct WhoAmIRequest {
  static constexpr std::string_view kType = "whoami";
};
inline void to_json(nlohmann::json& j, const WhoAmIRequest&) { j = nlohmann::json::object(); }
inline void from_json(const nlohmann::json&, WhoAmIRequest&) {}

struct WhoAmIReply {
  static constexpr std::string_view kType = "whoami_reply";
  TokenInfo identity;
};
NLOHMANN_DEFINE_TYPE_NON_INTRUSIVE_WITH_DEFAULT(WhoAmIReply, identity)

}  // namespace jobctl::protocol
