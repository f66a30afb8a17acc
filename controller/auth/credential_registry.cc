#include "controller/auth/credential_registry.h"

#include <algorithm>
#include <nlohmann/json.hpp>

#include "common/auth/curve_keys.h"
#include "common/atomic_file.h"

namespace jobctl::controller::auth {
namespace {

using jobctl::auth::TokenKind;

nlohmann::json ToJson(const Credential& c) {
  return nlohmann::json{{"id", c.id},
                        {"kind", std::string(jobctl::auth::TokenKindName(c.kind))},
                        {"name", c.name},
                        {"admin", c.admin},
                        {"public_key", c.public_key},
                        {"created_ms", c.created_ms}};
}

Result<Credential> FromJson(const nlohmann::json& j) {
  if (!j.is_object()) return InvalidArgumentError("not an object");
  Credential c;
  try {
    JOBCTL_ASSIGN_OR_RETURN(c.kind, jobctl::auth::ParseTokenKind(j.at("kind").get<std::string>()));
    c.name = j.value("name", "");
    c.admin = j.value("admin", false);
    c.public_key = j.at("public_key").get<std::string>();
    c.created_ms = j.value("created_ms", int64_t{0});
  } catch (const nlohmann::json::exception& e) {
    return InvalidArgumentError(e.what());
  }
  JOBCTL_RETURN_IF_ERROR(jobctl::auth::Z85DecodeKey(c.public_key, "public_key").status());
  c.id = jobctl::auth::TokenId(c.public_key);
  return c;
}

}  // namespace

Status ValidateUserName(const std::string& name, const std::string& what) {
  auto first_ok = [](char c) { return (c >= 'a' && c <= 'z') || c == '_'; };
  auto rest_ok = [&](char c) {
    return first_ok(c) || (c >= '0' && c <= '9') || c == '.' || c == '-';
  };
  bool ok = !name.empty() && name.size() <= 32 && first_ok(name[0]) &&
            std::all_of(name.begin() + 1, name.end(), rest_ok);
  if (ok) return Status::Ok();
  return InvalidArgumentError(what + ": '" + name +
                              "' is not a valid name (1-32 characters: a lower-case letter or _, "
                              "then lower-case letters, digits, _, . or -)");
}

Result<std::unique_ptr<CredentialRegistry>> CredentialRegistry::Open(std::string path,
                                                                     const Clock* clock) {
  std::unique_ptr<CredentialRegistry> registry(new CredentialRegistry(std::move(path), clock));
  JOBCTL_RETURN_IF_ERROR(registry->Load());
  return registry;
}

Status CredentialRegistry::Load() {
  auto text = ReadWholeFile(path_);
  if (!text.ok()) {
    return text.status().code() == StatusCode::kNotFound ? Status::Ok() : text.status();
  }
  nlohmann::json j = nlohmann::json::parse(*text, nullptr, /*allow_exceptions=*/false);
  if (j.is_discarded() || !j.is_array()) {
    return InvalidArgumentError(path_ + ": not a JSON array of credentials");
  }
  std::lock_guard lock(mu_);
  for (size_t i = 0; i < j.size(); ++i) {
    auto c = FromJson(j[i]);
    if (!c.ok()) {
      return InvalidArgumentError(path_ + ": entry " + std::to_string(i) + ": " +
                                  c.status().message());
    }
    id_by_key_[c->public_key] = c->id;
    by_id_[c->id] = std::move(*c);
  }
  return Status::Ok();
}

Status CredentialRegistry::SaveLocked() const {
  std::vector<const Credential*> ordered;
  for (const auto& [id, c] : by_id_) ordered.push_back(&c);
  std::stable_sort(ordered.begin(), ordered.end(), [](const Credential* a, const Credential* b) {
    return a->created_ms < b->created_ms;
  });
  nlohmann::json j = nlohmann::json::array();
  for (const Credential* c : ordered) j.push_back(ToJson(*c));
  return WriteFileAtomically(path_, j.dump(2) + "\n", 0600);
}

Result<Credential> CredentialRegistry::Add(TokenKind kind, const std::string& name, bool admin,
                                           const std::string& public_key) {
  JOBCTL_RETURN_IF_ERROR(jobctl::auth::Z85DecodeKey(public_key, "public key").status());
  Credential c;
  c.id = jobctl::auth::TokenId(public_key);
  c.kind = kind;
  c.name = name;
  c.admin = admin;
  c.public_key = public_key;
  c.created_ms = clock_->NowMillis();
  std::lock_guard lock(mu_);
  if (by_id_.count(c.id) != 0 || id_by_key_.count(public_key) != 0) {
    return AlreadyExistsError("credential " + c.id + " already exists");
  }
  by_id_[c.id] = c;
  id_by_key_[public_key] = c.id;
  if (Status s = SaveLocked(); !s.ok()) {
    by_id_.erase(c.id);
    id_by_key_.erase(public_key);
    return s;
  }
  return c;
}

Status CredentialRegistry::Revoke(const std::string& id) {
  std::lock_guard lock(mu_);
  auto it = by_id_.find(id);
  if (it == by_id_.end()) return NotFoundError("token " + id + " does not exist");
  Credential removed = it->second;
  by_id_.erase(it);
  id_by_key_.erase(removed.public_key);
  if (Status s = SaveLocked(); !s.ok()) {
    id_by_key_[removed.public_key] = removed.id;
    by_id_[removed.id] = std::move(removed);
    return s;
  }
  return Status::Ok();
}

Status CredentialRegistry::Clear() {
  std::lock_guard lock(mu_);
  by_id_.clear();
  id_by_key_.clear();
  return SaveLocked();
}

std::optional<Credential> CredentialRegistry::FindById(const std::string& id) const {
  std::lock_guard lock(mu_);
  auto it = by_id_.find(id);
  if (it == by_id_.end()) return std::nullopt;
  return it->second;
}

std::optional<Credential> CredentialRegistry::FindByPublicKey(const std::string& public_key) const {
  std::lock_guard lock(mu_);
  auto key = id_by_key_.find(public_key);
  if (key == id_by_key_.end()) return std::nullopt;
  auto it = by_id_.find(key->second);
  if (it == by_id_.end()) return std::nullopt;
  return it->second;
}

std::vector<Credential> CredentialRegistry::List() const {
  std::lock_guard lock(mu_);
  std::vector<Credential> out;
  for (const auto& [id, c] : by_id_) out.push_back(c);
  std::stable_sort(out.begin(), out.end(), [](const Credential& a, const Credential& b) {
    return a.created_ms < b.created_ms;
  });
  return out;
}

size_t CredentialRegistry::size() const {
  std::lock_guard lock(mu_);
  return by_id_.size();
}

}  // namespace jobctl::controller::auth
