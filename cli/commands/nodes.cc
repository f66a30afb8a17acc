// `jobctl nodes [-o json]`.
#include <cstdio>
#include <memory>

#include "cli/commands/command.h"
#include "cli/exit_codes.h"
#include "cli/output.h"
#include "common/clock.h"
#include "common/protocol/messages.h"

namespace jobctl::cli {

namespace {

struct NodesOptions {
  std::string output = "table";
};

int RunNodes(const GlobalOptions& global, const NodesOptions& options) {
  return WithClient(global, [&](ControllerClient& client) {
    auto reply = client.Call<protocol::ListNodesReply>(protocol::ListNodesRequest{});
    if (!reply.ok()) return ReportError(reply.status(), client.endpoint());
    int64_t now = SystemClock::Get()->NowMillis();
    std::string text = options.output == "json" ? DumpJson(NodesJson(reply->nodes, now))
                                                : FormatNodesTable(reply->nodes, now);
    std::fwrite(text.data(), 1, text.size(), stdout);
    return kExitOk;
  });
}

}  // namespace

void RegisterNodes(CLI::App& app, GlobalOptions& global, CommandTable& table) {
  auto options = std::make_shared<NodesOptions>();
  CLI::App* cmd = app.add_subcommand(
      "nodes",
      "List the agent nodes: id, pool, state, cpus, free cpus, gpus, free gpus, memory, "
      "running ranks, age of the last heartbeat");
  cmd->add_option("-o,--output", options->output,
                  "table, or json: an array of nodes with id, hostname, address, pool, labels, "
                  "state, cpus, free_cpus, gpus (a count), gpu_devices, free_gpus, "
                  "memory_bytes, free_memory_bytes, running_ranks, last_heartbeat (ISO-8601), "
                  "last_heartbeat_ms, heartbeat_age_ms")
      ->check(CLI::IsMember({"table", "json"}))
      ->capture_default_str();
  cmd->footer("Examples:\n  jobctl nodes\n  jobctl nodes -o json\n\n" + ExitStatusHelp());
  table.Add(cmd, [&global, options] { return RunNodes(global, *options); });
}

}  // namespace jobctl::cli
