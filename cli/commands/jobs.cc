// `jobctl list`, `jobctl show ID`, `jobctl cancel ID`.
#include <cstdio>
#include <memory>

#include "cli/commands/command.h"
#include "cli/commands/experiment_list.h"
#include "cli/exit_codes.h"
#include "cli/output.h"
#include "common/job_state.h"
#include "common/protocol/messages.h"

namespace jobctl::cli {

namespace {

struct ListOptions {
  std::string state;
  std::string experiment;
  int limit = 0;
  std::string output = "table";
};

struct ShowOptions {
  std::string job_id;
  std::string output = "table";
};

struct CancelOptions {
  std::string job_id;
};

void Print(const std::string& text) { std::fwrite(text.data(), 1, text.size(), stdout); }

int RunList(const GlobalOptions& global, const ListOptions& options) {
  protocol::ListJobsRequest request;
  if (!options.state.empty()) {
    auto state = ParseJobState(options.state);
    if (!state) {
      std::fprintf(stderr,
                   "jobctl: --state: unknown state '%s' (expected QUEUED, SCALING, PREPARING, "
                   "RUNNING, SUCCEEDED, FAILED, CANCELLED or TIMED_OUT)\n",
                   options.state.c_str());
      return kExitUsage;
    }
    request.state = std::string(JobStateName(*state));
  }
  request.experiment = options.experiment;
  request.limit = options.limit;
  return WithClient(global, [&](ControllerClient& client) {
    auto reply = client.Call<protocol::ListJobsReply>(request);
    if (!reply.ok()) return ReportError(reply.status(), client.endpoint());
    // One experiment: the final metrics side by side (commands/metrics.cc).
    if (!options.experiment.empty()) return RunExperimentList(client, reply->jobs, options.output);
    Print(options.output == "json" ? DumpJson(JobsJson(reply->jobs)) : FormatJobsTable(reply->jobs));
    return kExitOk;
  });
}

int RunShow(const GlobalOptions& global, const ShowOptions& options) {
  return WithClient(global, [&](ControllerClient& client) {
    auto reply = client.Call<protocol::GetJobReply>(protocol::GetJobRequest{options.job_id});
    if (!reply.ok()) return ReportError(reply.status(), client.endpoint());
    // The outputs' status (docs/outputs.md); left out when it cannot be read.
    auto outputs = client.Call<protocol::ListOutputsReply>(
        protocol::ListOutputsRequest{options.job_id, 0});
    if (options.output == "json") {
      auto j = JobDetailJson(reply->job);
      if (outputs.ok()) {
        j["outputs"] = {{"status", outputs->status},
                        {"reason", outputs->reason},
                        {"files", outputs->files.size()}};
      }
      Print(DumpJson(j));
      return kExitOk;
    }
    Print(FormatJobDetail(reply->job));
    if (outputs.ok()) {
      int64_t bytes = 0;
      for (const auto& f : outputs->files) bytes += f.size;
      std::string line = "Outputs:  " + outputs->status;
      if (outputs->status == "ready") {
        line += " (" + std::to_string(outputs->files.size()) + " files, " + FormatBytes(bytes) +
                "; jobctl outputs " + options.job_id + ")";
      }
      if (!outputs->reason.empty()) line += ": " + outputs->reason;
      Print(line + "\n");
    }
    return kExitOk;
  });
}

int RunCancel(const GlobalOptions& global, const CancelOptions& options) {
  return WithClient(global, [&](ControllerClient& client) {
    auto reply = client.Call<protocol::CancelJobReply>(protocol::CancelJobRequest{options.job_id});
    if (!reply.ok()) return ReportError(reply.status(), client.endpoint());
    std::printf("job %s %s\n", options.job_id.c_str(), reply->state.c_str());
    return kExitOk;
  });
}

}  // namespace

void RegisterJobs(CLI::App& app, GlobalOptions& global, CommandTable& table) {
  auto list = std::make_shared<ListOptions>();
  CLI::App* cmd = app.add_subcommand("list", "List jobs, newest first");
  cmd->add_option("--state", list->state,
                  "Only jobs in this state (QUEUED, SCALING, PREPARING, RUNNING, SUCCEEDED, "
                  "FAILED, CANCELLED, TIMED_OUT; any case)");
  cmd->add_option("--experiment", list->experiment,
                  "Only jobs of this experiment, with their final metrics side by side (a "
                  "column per metric name; in JSON a \"metrics\" object per job)");
  cmd->add_option("--limit", list->limit, "At most N jobs (0: all)")->check(CLI::NonNegativeNumber);
  cmd->add_option("-o,--output", list->output,
                  "table, or json: an array of jobs with id, name, display_name, experiment, "
                  "state, attempt, priority, nodes, processes_per_node, owner, created and "
                  "updated (ISO-8601 UTC strings) and created_ms/updated_ms (ms since the epoch)")
      ->check(CLI::IsMember({"table", "json"}))
      ->capture_default_str();
  cmd->footer("Examples:\n  jobctl list\n  jobctl list --state running --experiment mnist -o json\n\n" +
              ExitStatusHelp());
  table.Add(cmd, [&global, list] { return RunList(global, *list); });

  auto show = std::make_shared<ShowOptions>();
  cmd = app.add_subcommand(
      "show",
      "Show one job: state, attempt, nodes and ranks with exit codes, master address, why it "
      "is pending or why it ended, and every state transition");
  cmd->add_option("id", show->job_id, "The job id")->required();
  cmd->add_option("-o,--output", show->output,
                  "table (human form), or json: the list fields plus spec, transitions (with "
                  "time as ISO-8601), pending_reason, end_reason, nodes, master_addr, "
                  "master_port, ranks, outputs {status, reason, files}")
      ->check(CLI::IsMember({"table", "json"}))
      ->capture_default_str();
  cmd->footer("Examples:\n  jobctl show 12\n  jobctl show 12 -o json\n\n" + ExitStatusHelp());
  table.Add(cmd, [&global, show] { return RunShow(global, *show); });

  auto cancel = std::make_shared<CancelOptions>();
  cmd = app.add_subcommand("cancel",
                           "Cancel a job: its ranks are stopped; prints the job's state after");
  cmd->add_option("id", cancel->job_id, "The job id")->required();
  cmd->footer("Example:\n  jobctl cancel 12\n\n" + ExitStatusHelp());
  table.Add(cmd, [&global, cancel] { return RunCancel(global, *cancel); });
}

}  // namespace jobctl::cli
