// The token handlers: create_token, list_tokens, revoke_token (admins) and
// whoami (common/protocol/auth_messages.h, docs/security.md).
#include <spdlog/spdlog.h>

#include "common/auth/curve_keys.h"
#include "common/auth/token.h"
#include "controller/auth/authenticator.h"
#include "controller/server.h"

namespace jobctl::controller {
namespace {

constexpr char kDefaultAgentLabel[] = "join";

protocol::TokenInfo InfoOf(const auth::Credential& c) {
  return protocol::TokenInfo{c.id, std::string(jobctl::auth::TokenKindName(c.kind)), c.name,
                             c.admin, c.created_ms};
}

Status NoAuthentication() {
  return FailedPreconditionError("this controller runs without authentication: it has no tokens");
}

}  // namespace

Result<protocol::CreateTokenReply> Server::HandleCreateToken(
    const protocol::CreateTokenRequest& request, const Incoming& in) {
  if (options_.authenticator == nullptr) return NoAuthentication();
  JOBCTL_ASSIGN_OR_RETURN(jobctl::auth::TokenKind kind, jobctl::auth::ParseTokenKind(request.kind));
  std::string name = request.name;
  if (kind == jobctl::auth::TokenKind::kUser) {
    JOBCTL_RETURN_IF_ERROR(auth::ValidateUserName(name, "user name"));
  } else {
    if (request.admin) {
      return InvalidArgumentError("create_token: an agent token cannot be an admin token");
    }
    if (name.empty()) name = kDefaultAgentLabel;
    JOBCTL_RETURN_IF_ERROR(auth::ValidateUserName(name, "agent token label"));
  }
  JOBCTL_ASSIGN_OR_RETURN(auto client, jobctl::auth::GenerateCurveKeyPair());
  const auto& controller = options_.authenticator->controller_keys();
  JOBCTL_ASSIGN_OR_RETURN(
      auth::Credential credential,
      options_.authenticator->registry().Add(kind, name, request.admin, client.public_key));
  spdlog::info("{} created {} token {} for '{}'{}", in.principal.name, request.kind, credential.id,
               name, request.admin ? " (admin)" : "");
  protocol::CreateTokenReply reply;
  reply.token = jobctl::auth::Token{kind, controller.public_key, client.secret_key}.Encode();
  reply.info = InfoOf(credential);
  return reply;
}

Result<protocol::ListTokensReply> Server::HandleListTokens(const protocol::ListTokensRequest&,
                                                           const Incoming&) {
  if (options_.authenticator == nullptr) return NoAuthentication();
  protocol::ListTokensReply reply;
  for (const auto& c : options_.authenticator->registry().List()) reply.tokens.push_back(InfoOf(c));
  return reply;
}

Result<protocol::OkReply> Server::HandleRevokeToken(const protocol::RevokeTokenRequest& request,
                                                    const Incoming& in) {
  if (options_.authenticator == nullptr) return NoAuthentication();
  if (request.id == in.principal.id) {
    return FailedPreconditionError("revoke_token: " + request.id +
                                   " is the token this request was made with; revoke it with "
                                   "another admin token");
  }
  JOBCTL_RETURN_IF_ERROR(options_.authenticator->registry().Revoke(request.id));
  spdlog::info("{} revoked token {}", in.principal.name, request.id);
  return protocol::OkReply{};
}

Result<protocol::WhoAmIReply> Server::HandleWhoAmI(const protocol::WhoAmIRequest&,
                                                   const Incoming& in) {
  protocol::WhoAmIReply reply;
  reply.identity.id = in.principal.id;
  reply.identity.kind = std::string(jobctl::auth::TokenKindName(in.principal.kind));
  reply.identity.name = in.principal.name;
  reply.identity.admin = in.principal.admin;
  if (options_.authenticator != nullptr) {
    if (auto c = options_.authenticator->registry().FindById(in.principal.id)) {
      reply.identity.created_ms = c->created_ms;
    }
  }
  return reply;
}

}  // namespace jobctl::controller
