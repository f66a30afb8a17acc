// `jobctl logs ID [-f] [--rank N] [--tail N] [--no-prefix]`.
#include <chrono>
#include <cstdio>
#include <memory>

#include "cli/commands/command.h"
#include "cli/exit_codes.h"
#include "cli/log_stream.h"

namespace jobctl::cli {

namespace {

struct LogsOptions {
  std::string job_id;
  bool follow = false;
  int rank = -1;
  int64_t tail = -1;
  bool no_prefix = false;
  int reconnect_timeout_s = 60;
};

int RunLogs(const GlobalOptions& global, const LogsOptions& options) {
  return WithClient(global, [&](ControllerClient& client) {
    LogStreamOptions stream;
    stream.job_id = options.job_id;
    stream.follow = options.follow;
    stream.rank = options.rank;
    stream.tail = options.tail;
    stream.prefix = !options.no_prefix;
    stream.reconnect_timeout = std::chrono::seconds(options.reconnect_timeout_s);
    auto result = StreamLogs(client, stream, stdout, stderr);
    if (!result.ok()) return ReportError(result.status(), client.endpoint());
    return kExitOk;
  });
}

}  // namespace

void RegisterLogs(CLI::App& app, GlobalOptions& global, CommandTable& table) {
  auto options = std::make_shared<LogsOptions>();
  CLI::App* cmd = app.add_subcommand("logs", "Print a job's log (every rank, every attempt)");
  cmd->add_option("id", options->job_id, "The job id")->required();
  cmd->add_flag("-f,--follow", options->follow,
                "Keep printing new lines until the job has ended and its whole log is printed; "
                "survives controller restarts (see --reconnect-timeout)");
  cmd->add_option("--rank", options->rank, "Only this rank's lines")->check(CLI::NonNegativeNumber);
  cmd->add_option("--tail", options->tail, "Start with the last N lines only")
      ->check(CLI::NonNegativeNumber);
  cmd->add_flag("--no-prefix", options->no_prefix, "Do not prefix lines with '[rank N] '");
  cmd->add_option("--reconnect-timeout", options->reconnect_timeout_s,
                  "With -f: seconds to keep retrying an unreachable controller before exiting 3")
      ->check(CLI::PositiveNumber)
      ->capture_default_str();
  cmd->footer("Examples:\n  jobctl logs 12\n  jobctl logs 12 -f --rank 0 --tail 100 > rank0.log\n\n"
              "Exits 0 once the log is printed (whatever the job's state), 2 for an unknown "
              "job, 3 when the controller cannot be reached.\n\n" +
              ExitStatusHelp());
  table.Add(cmd, [&global, options] { return RunLogs(global, *options); });
}

}  // namespace jobctl::cli
