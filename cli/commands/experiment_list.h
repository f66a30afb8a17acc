// Metrics commands shared with other verbs (commands/metrics.cc).
#pragma once

#include <CLI/CLI.hpp>
#include <string>
#include <vector>

#include "cli/commands/command.h"
#include "cli/controller_client.h"
#include "common/protocol/messages.h"

namespace jobctl::cli {

// `jobctl metrics` and `jobctl compare`.
void RegisterMetrics(CLI::App& app, GlobalOptions& global, CommandTable& table);

// `jobctl list --experiment X`: the jobs with their final metrics side by
// side (table), or the list JSON with "metrics" per job.
int RunExperimentList(ControllerClient& client, const std::vector<protocol::JobSummary>& jobs,
                      const std::string& output);

}  // namespace jobctl::cli
