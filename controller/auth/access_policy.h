// Which kind of credential may send which message type (docs/security.md).
//
//   agent only   register_node heartbeat rank_event log_batch metric_batch
//                outputs_missing blob_chunk outputs_commit rank_events
//   users        submit_job list_jobs get_job cancel_job read_logs read_metrics
//                metric_summary list_outputs read_blob register_model list_models
//                get_model list_nodes list_pools whoami
//   admin users  create_token list_tokens revoke_token, and all a user may send
//   everyone     ping
//
// A type missing from the table is refused to everyone: a new message must
// be given a row before anyone can send it. Which JOBS a user may touch is
// the handlers' business (owners, server_auth.cc).
//
// Thread-safety: pure functions.
#pragma once

#include <optional>
#include <string_view>

#include "common/status.h"
#include "controller/auth/principal.h"

namespace jobctl::controller::auth {

enum class Audience { kAgents, kUsers, kAdmins, kEveryone };

// nullopt for a type without a row.
std::optional<Audience> AudienceOf(std::string_view type);

// Ok, or PermissionDenied naming what the credential cannot do ("agent
// credentials cannot submit jobs").
Status CheckAccess(std::string_view type, const Principal& principal);

}  // namespace jobctl::controller::auth
