#include "controller/auth/access_policy.h"

#include <array>
#include <string>
#include <utility>

namespace jobctl::controller::auth {
namespace {

constexpr std::array<std::pair<std::string_view, Audience>, 29> kTable{{
    {"register_node", Audience::kAgents}, {"heartbeat", Audience::kAgents},
    {"rank_event", Audience::kAgents},    {"log_batch", Audience::kAgents},
    {"metric_batch", Audience::kAgents},  {"outputs_missing", Audience::kAgents},
    {"blob_chunk", Audience::kAgents},    {"outputs_commit", Audience::kAgents},
    {"submit_job", Audience::kUsers},     {"list_jobs", Audience::kUsers},
    {"get_job", Audience::kUsers},        {"cancel_job", Audience::kUsers},
    {"read_logs", Audience::kUsers},      {"read_metrics", Audience::kUsers},
    {"metric_summary", Audience::kUsers}, {"list_outputs", Audience::kUsers},
    {"read_blob", Audience::kUsers},      {"register_model", Audience::kUsers},
    {"list_models", Audience::kUsers},    {"get_model", Audience::kUsers},
    {"list_nodes", Audience::kUsers},     {"list_pools", Audience::kUsers},
    {"whoami", Audience::kUsers},         {"create_token", Audience::kAdmins},
    {"list_tokens", Audience::kAdmins},   {"revoke_token", Audience::kAdmins},
    {"server_stats", Audience::kAdmins},
    {"ping", Audience::kEveryone},
    {"rank_events", Audience::kAgents},
}};

// "submit jobs" reads better than "send submit_job" where we know the verb.
std::string WhatUsersDo(std::string_view type) {
  if (type == "submit_job") return "submit jobs";
  if (type == "cancel_job") return "cancel jobs";
  return "send " + std::string(type);
}

}  // namespace

std::optional<Audience> AudienceOf(std::string_view type) {
  for (const auto& [name, audience] : kTable) {
    if (name == type) return audience;
  }
  return std::nullopt;
}

Status CheckAccess(std::string_view type, const Principal& p) {
  auto audience = AudienceOf(type);
  if (!audience) {
    return PermissionDeniedError("message type '" + std::string(type) +
                                 "' has no access rule; nobody may send it");
  }
  switch (*audience) {
    case Audience::kEveryone:
      return Status::Ok();
    case Audience::kAgents:
      if (p.is_agent()) return Status::Ok();
      if (type == "register_node") {
        return PermissionDeniedError(
            "user credentials cannot register as an agent (use a join token: `jobctl token "
            "create --agent`)");
      }
      return PermissionDeniedError("user credentials cannot send " + std::string(type) +
                                   " (agents only)");
    case Audience::kUsers:
      if (p.is_user()) return Status::Ok();
      return PermissionDeniedError("agent credentials cannot " + WhatUsersDo(type));
    case Audience::kAdmins:
      if (p.is_user() && p.admin) return Status::Ok();
      if (p.is_agent())
        return PermissionDeniedError("agent credentials cannot " + WhatUsersDo(type));
      return PermissionDeniedError(std::string(type) + " needs an admin token; user '" + p.name +
                                   "' is not an admin");
  }
  return PermissionDeniedError("no access rule");
}

}  // namespace jobctl::controller::auth
