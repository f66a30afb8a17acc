#include "controller/auth/key_store.h"

#include <sys/stat.h>

#include <cerrno>
#include <cstring>
#include <filesystem>

#include "common/auth/client_credentials.h"
#include "common/auth/token.h"
#include "common/atomic_file.h"

namespace jobctl::controller::auth {
namespace {

using jobctl::auth::TokenKind;

std::string Trimmed(std::string s) {
  while (!s.empty() && (s.back() == '\n' || s.back() == '\r' || s.back() == ' ')) s.pop_back();
  while (!s.empty() && (s.front() == ' ' || s.front() == '\n')) s.erase(0, 1);
  return s;
}

Status MakeAuthDir(const std::string& dir, std::vector<std::string>* created) {
  std::error_code ec;
  std::filesystem::path parent = std::filesystem::path(dir).parent_path();
  if (!parent.empty()) std::filesystem::create_directories(parent, ec);
  if (ec) return UnavailableError("cannot create " + parent.string() + ": " + ec.message());
  if (::mkdir(dir.c_str(), 0700) == 0) {
    created->push_back("folder " + dir + " (0700)");
  } else if (errno != EEXIST) {
    return UnavailableError("cannot create " + dir + ": " + std::strerror(errno));
  }
  JOBCTL_ASSIGN_OR_RETURN(bool changed, EnsureMode(dir, 0700));
  if (changed) created->push_back("mode 0700 set on " + dir);
  return Status::Ok();
}

Result<jobctl::auth::CurveKeyPair> ControllerKeys(const AuthPaths& p, bool rotate,
                                                  std::vector<std::string>* created) {
  auto secret = ReadWholeFile(p.controller_key);
  if (!rotate && secret.ok()) {
    jobctl::auth::CurveKeyPair keys;
    keys.secret_key = Trimmed(*secret);
    auto pub = jobctl::auth::CurvePublicFromSecret(keys.secret_key);
    if (!pub.ok()) return pub.status().WithContext(p.controller_key);
    keys.public_key = *pub;
    JOBCTL_ASSIGN_OR_RETURN(bool changed, EnsureMode(p.controller_key, 0600));
    if (changed) created->push_back("mode 0600 set on " + p.controller_key);
    auto on_disk = ReadWholeFile(p.controller_pub);
    if (!on_disk.ok() || Trimmed(*on_disk) != keys.public_key) {
      JOBCTL_RETURN_IF_ERROR(WriteFileAtomically(p.controller_pub, keys.public_key + "\n", 0644));
      created->push_back("controller public key: " + p.controller_pub);
    }
    return keys;
  }
  if (!rotate && secret.status().code() != StatusCode::kNotFound) return secret.status();
  JOBCTL_ASSIGN_OR_RETURN(auto keys, jobctl::auth::GenerateCurveKeyPair());
  JOBCTL_RETURN_IF_ERROR(WriteFileAtomically(p.controller_key, keys.secret_key + "\n", 0600));
  JOBCTL_RETURN_IF_ERROR(WriteFileAtomically(p.controller_pub, keys.public_key + "\n", 0644));
  created->push_back("controller key pair: " + p.controller_key + " (0600), " + p.controller_pub);
  return keys;
}

// Whether the token in `path` is usable with this controller: it names the
// controller's key and its client key is registered as the expected kind,
// name and admin flag.
bool TokenFileValid(const std::string& path, const jobctl::auth::CurveKeyPair& controller,
                    const CredentialRegistry& registry, TokenKind kind, const std::string& name,
                    bool admin) {
  if (!EnsureMode(path, 0600).ok()) return false;
  auto token = jobctl::auth::ReadTokenFile(path);
  if (!token.ok() || token->kind != kind || token->server_public != controller.public_key) {
    return false;
  }
  auto creds = jobctl::auth::CredentialsFromToken(*token);
  if (!creds.ok()) return false;
  auto known = registry.FindByPublicKey(creds->client_public);
  return known && known->kind == kind && known->name == name && known->admin == admin;
}

Status EnsureTokenFile(const std::string& path, const jobctl::auth::CurveKeyPair& controller,
                       CredentialRegistry& registry, TokenKind kind, const std::string& name,
                       bool admin, std::vector<std::string>* created) {
  if (TokenFileValid(path, controller, registry, kind, name, admin)) return Status::Ok();
  JOBCTL_ASSIGN_OR_RETURN(auto client, jobctl::auth::GenerateCurveKeyPair());
  JOBCTL_ASSIGN_OR_RETURN(Credential c, registry.Add(kind, name, admin, client.public_key));
  JOBCTL_RETURN_IF_ERROR(jobctl::auth::WriteTokenFile(
      path, jobctl::auth::Token{kind, controller.public_key, client.secret_key}));
  created->push_back(std::string(jobctl::auth::TokenKindName(kind)) + " token '" + name + "' (id " +
                     c.id + "): " + path + " (0600)");
  return Status::Ok();
}

}  // namespace

AuthPaths AuthPathsFor(std::string_view data_dir) {
  AuthPaths p;
  p.dir = std::string(data_dir) + "/auth";
  p.controller_key = p.dir + "/controller.key";
  p.controller_pub = p.dir + "/controller.pub";
  p.credentials = p.dir + "/credentials.json";
  p.admin_token = p.dir + "/admin.token";
  p.agent_token = p.dir + "/agent.token";
  return p;
}

Result<AuthState> InitAuth(const std::string& data_dir, bool rotate, const Clock* clock) {
  if (!jobctl::auth::CurveAvailable()) {
    return FailedPreconditionError(
        "this libzmq has no CURVE support (built without libsodium); the controller cannot "
        "authenticate its clients");
  }
  AuthPaths p = AuthPathsFor(data_dir);
  AuthState state;
  JOBCTL_RETURN_IF_ERROR(MakeAuthDir(p.dir, &state.created));
  JOBCTL_ASSIGN_OR_RETURN(state.controller, ControllerKeys(p, rotate, &state.created));

  bool had_credentials = ReadWholeFile(p.credentials).ok();
  auto registry = CredentialRegistry::Open(p.credentials, clock);
  if (!registry.ok()) return registry.status();
  state.registry = std::move(*registry);
  if (rotate || !had_credentials) {
    size_t forgotten = state.registry->size();
    JOBCTL_RETURN_IF_ERROR(state.registry->Clear());
    state.created.push_back(rotate ? "credentials: " + p.credentials + " (" +
                                         std::to_string(forgotten) + " credentials forgotten)"
                                   : "credentials: " + p.credentials + " (0600)");
  } else {
    JOBCTL_ASSIGN_OR_RETURN(bool changed, EnsureMode(p.credentials, 0600));
    if (changed) state.created.push_back("mode 0600 set on " + p.credentials);
  }
  JOBCTL_RETURN_IF_ERROR(EnsureTokenFile(p.admin_token, state.controller, *state.registry,
                                         TokenKind::kUser, kAdminTokenName, true, &state.created));
  JOBCTL_RETURN_IF_ERROR(EnsureTokenFile(p.agent_token, state.controller, *state.registry,
                                         TokenKind::kAgent, kLocalAgentTokenName, false,
                                         &state.created));
  return state;
}

}  // namespace jobctl::controller::auth
