// `jobctl stats [-o json]`: the controller's counters of frames received and
// requests refused (docs/limits.md).
#include <cstdio>
#include <memory>
#include <string>

#include "cli/commands/command.h"
#include "cli/exit_codes.h"
#include "cli/output.h"
#include "common/protocol/stats_messages.h"

namespace jobctl::cli {

namespace {

struct StatsOptions {
  std::string output = "table";
  bool limits = false;
};

std::string StatsText(const protocol::ServerStatsReply& s, bool limits) {
  std::vector<std::vector<std::string>> rows = {
      {"uptime", FormatDuration(s.uptime_ms)},
      {"frames received", std::to_string(s.frames_received)},
      {"malformed frames", std::to_string(s.malformed_frames)},
      {"unknown message types", std::to_string(s.unknown_types)},
      {"requests refused (over a limit)", std::to_string(s.refused_requests)},
  };
  for (const auto& [limit, count] : s.refused_by_limit) {
    rows.push_back({"  " + limit, std::to_string(count)});
  }
  rows.push_back({"failed commits", std::to_string(s.failed_commits)});
  rows.push_back({"peers (active in the last minute)", std::to_string(s.peers)});
  rows.push_back({"peers seen", std::to_string(s.peers_seen)});
  rows.push_back({"requests refused (permission denied)", std::to_string(s.permission_denied)});
  rows.push_back({"connections refused (unknown key)", std::to_string(s.refused_unknown_keys)});
  rows.push_back({"connections refused (plain text or another controller's key)",
                  std::to_string(s.refused_handshakes)});
  std::string text = RenderTable({"COUNTER", "VALUE"}, rows);
  if (limits) {
    std::vector<std::vector<std::string>> limit_rows;
    for (const auto& [name, value] : s.limits) {
      limit_rows.push_back({name, std::to_string(value)});
    }
    text += "\n" + RenderTable({"LIMIT", "VALUE"}, limit_rows);
  }
  return text;
}

int RunStats(const GlobalOptions& global, const StatsOptions& options) {
  return WithClient(global, [&](ControllerClient& client) {
    auto reply = client.Call<protocol::ServerStatsReply>(protocol::ServerStatsRequest{});
    if (!reply.ok()) return ReportError(reply.status(), client.endpoint());
    std::string text = options.output == "json" ? DumpJson(nlohmann::json(*reply))
                                                : StatsText(*reply, options.limits);
    std::fwrite(text.data(), 1, text.size(), stdout);
    return kExitOk;
  });
}

}  // namespace

void RegisterStats(CLI::App& app, GlobalOptions& global, CommandTable& table) {
  auto options = std::make_shared<StatsOptions>();
  CLI::App* cmd = app.add_subcommand(
      "stats",
      "Show the controller's counters since it started: frames received, malformed frames "
      "(not a valid message, or a field of the wrong type), unknown message types, requests "
      "refused for passing a size limit (by limit: code_archive_bytes, log_batch_bytes, ...; "
      "docs/limits.md), failed state commits, the connected peers, and what authentication "
      "refused (requests the access table denied, connections with an unknown key, plain-text "
      "connections; docs/security.md). A growing count of "
      "malformed or refused requests points at a misbehaving client or agent. An admin "
      "command.");
  cmd->add_option("-o,--output", options->output,
                  "table, or json: an object with uptime_ms, frames_received, malformed_frames, "
                  "unknown_types, refused_requests, refused_by_limit (limit name -> count), "
                  "failed_commits, peers, peers_seen, limits (limit name -> value), "
                  "permission_denied, refused_unknown_keys and refused_handshakes")
      ->check(CLI::IsMember({"table", "json"}))
      ->capture_default_str();
  cmd->add_flag("--limits", options->limits,
                "Also print every size limit the controller enforces, in bytes or entries");
  cmd->footer("Examples:\n  jobctl stats\n  jobctl stats --limits\n  jobctl stats -o json\n\n" +
              ExitStatusHelp());
  table.Add(cmd, [&global, options] { return RunStats(global, *options); });
}

}  // namespace jobctl::cli
