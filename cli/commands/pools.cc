// `jobctl pools [-o json]`: the node pools, their bounds, nodes and recent
// scaling events (docs/pools.md).
#include <cstdio>
#include <memory>
#include <string>

#include "cli/commands/command.h"
#include "cli/exit_codes.h"
#include "cli/output.h"
#include "common/protocol/messages.h"

namespace jobctl::cli {

namespace {

struct PoolsOptions {
  std::string output = "table";
  bool events = false;
};

std::string Bounds(const protocol::PoolInfo& p) {
  if (!p.configured) return "-";
  return std::to_string(p.min_nodes) + ".." + std::to_string(p.max_nodes);
}

std::string NodesCell(const protocol::PoolInfo& p) {
  std::string out;
  for (const auto& n : p.nodes) {
    std::string state = n.state == "READY" ? (n.busy ? "busy" : "idle") : n.state;
    for (auto& c : state) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    out += (out.empty() ? "" : " ") + n.id + "(" + state + ")";
  }
  return out.empty() ? "-" : out;
}

std::string PoolsTable(const std::vector<protocol::PoolInfo>& pools, bool events) {
  if (pools.empty()) return "no pools (no --config pools and no registered node names one)\n";
  std::vector<std::vector<std::string>> rows;
  for (const auto& p : pools) {
    rows.push_back({p.name, p.configured ? p.provider : "(agents)", Bounds(p),
                    std::to_string(p.ready), std::to_string(p.busy),
                    std::to_string(p.ready - p.busy), std::to_string(p.provisioning),
                    std::to_string(p.waiting_jobs),
                    p.configured ? FormatDuration(p.idle_timeout_ms) : "-", NodesCell(p)});
  }
  std::string text = RenderTable({"POOL", "PROVIDER", "MIN..MAX", "READY", "BUSY", "IDLE",
                                  "PROVISIONING", "WAITING JOBS", "IDLE TIMEOUT", "NODES"},
                                 rows);
  if (events) {
    for (const auto& p : pools) {
      if (p.events.empty()) continue;
      text += "\npool " + p.name + " events (oldest first):\n";
      for (const auto& e : p.events) text += "  " + e + "\n";
    }
  }
  return text;
}

nlohmann::json PoolsJson(const std::vector<protocol::PoolInfo>& pools) {
  nlohmann::json out = nlohmann::json::array();
  for (const auto& p : pools) {
    nlohmann::json j = p;
    j["idle"] = p.ready - p.busy;
    out.push_back(std::move(j));
  }
  return out;
}

int RunPools(const GlobalOptions& global, const PoolsOptions& options) {
  return WithClient(global, [&](ControllerClient& client) {
    auto reply = client.Call<protocol::ListPoolsReply>(protocol::ListPoolsRequest{});
    if (!reply.ok()) return ReportError(reply.status(), client.endpoint());
    std::string text = options.output == "json" ? DumpJson(PoolsJson(reply->pools))
                                                : PoolsTable(reply->pools, options.events);
    std::fwrite(text.data(), 1, text.size(), stdout);
    return kExitOk;
  });
}

}  // namespace

void RegisterPools(CLI::App& app, GlobalOptions& global, CommandTable& table) {
  auto options = std::make_shared<PoolsOptions>();
  CLI::App* cmd = app.add_subcommand(
      "pools",
      "List the node pools: the pools in the controller's --config (with their provider and "
      "min..max bounds) and pools agents joined with `jobagent --pool NAME`; for each, its "
      "nodes (busy, idle, provisioning, deleting), the nodes being provisioned and the jobs "
      "waiting for it. The autoscaler grows a configured pool when a job naming it (compute: "
      "NAME) does not fit its free nodes, and removes nodes idle for idle_timeout.");
  cmd->add_option("-o,--output", options->output,
                  "table, or json: an array of pools with name, configured, provider, "
                  "min_nodes, max_nodes, idle_timeout_ms, provision_timeout_ms, ready, busy, "
                  "idle, provisioning, waiting_jobs, nodes (id, state, busy, running_ranks, "
                  "idle_ms, managed) and events")
      ->check(CLI::IsMember({"table", "json"}))
      ->capture_default_str();
  cmd->add_flag("--events", options->events,
                "Also print each pool's recent scaling events (nodes asked for, registered, "
                "given up, removed)");
  cmd->footer("Examples:\n  jobctl pools\n  jobctl pools --events\n  jobctl pools -o json\n\n" +
              ExitStatusHelp());
  table.Add(cmd, [&global, options] { return RunPools(global, *options); });
}

}  // namespace jobctl::cli
