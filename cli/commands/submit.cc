// `jobctl submit FILE [--follow]`.
#include <cstdio>
#include <memory>

#include "cli/archive.h"
#include "cli/commands/command.h"
#include "cli/exit_codes.h"
#include "cli/log_stream.h"
#include "common/job_spec/job_spec_parser.h"
#include "common/protocol/messages.h"

namespace jobctl::cli {

namespace {

struct SubmitOptions {
  std::string file;
  bool follow = false;
  bool no_prefix = false;
};

// Prints "job ID STATE[: reason]" to stderr; exit 0 for SUCCEEDED, else 1.
int ReportFinalState(ControllerClient& client, const std::string& job_id,
                     const std::string& last_state) {
  std::string state = last_state;
  std::string reason;
  auto job = client.Call<protocol::GetJobReply>(protocol::GetJobRequest{job_id});
  if (job.ok()) {
    state = job->job.summary.state;
    reason = job->job.end_reason;
  }
  if (state == "SUCCEEDED" || reason.empty()) {
    std::fprintf(stderr, "job %s %s\n", job_id.c_str(), state.c_str());
  } else {
    std::fprintf(stderr, "job %s %s: %s\n", job_id.c_str(), state.c_str(), reason.c_str());
  }
  return state == "SUCCEEDED" ? kExitOk : kExitFailed;
}

int RunSubmit(const GlobalOptions& global, const SubmitOptions& options) {
  // Everything local is checked before anything is sent.
  auto spec = ParseJobSpecFile(options.file);
  if (!spec.ok()) {
    std::fprintf(stderr, "%s\n", spec.status().message().c_str());
    return kExitUsage;
  }
  protocol::SubmitJobRequest request;
  request.spec = *spec;
  request.spec_file = options.file;
  if (!spec->code.empty()) {
    auto archive = PackDirectory(spec->code);
    if (!archive.ok()) {
      std::fprintf(stderr, "%s: %s\n", options.file.c_str(), archive.status().message().c_str());
      return archive.status().code() == StatusCode::kInternal ? kExitFailed : kExitUsage;
    }
    request.code_archive.data = std::move(*archive);
  }
  return WithClient(global, [&](ControllerClient& client) {
    auto reply = client.Call<protocol::SubmitJobReply>(request);
    if (!reply.ok()) return ReportError(reply.status(), client.endpoint());
    const std::string& id = reply->job_id;
    if (!options.follow) {
      std::printf("%s\n", id.c_str());
      return kExitOk;
    }
    std::fprintf(stderr, "job %s submitted\n", id.c_str());
    LogStreamOptions stream;
    stream.job_id = id;
    stream.follow = true;
    stream.prefix = !options.no_prefix;
    stream.attempt_markers = true;
    auto result = StreamLogs(client, stream, stdout, stderr);
    if (!result.ok()) return ReportError(result.status(), client.endpoint());
    return ReportFinalState(client, id, result->state);
  });
}

}  // namespace

void RegisterSubmit(CLI::App& app, GlobalOptions& global, CommandTable& table) {
  auto options = std::make_shared<SubmitOptions>();
  CLI::App* cmd = app.add_subcommand(
      "submit",
      "Validate a job spec, pack its code: folder and submit it. Prints the job id on stdout.");
  cmd->add_option("file", options->file, "The job spec YAML file (see docs/job-spec.md)")
      ->required();
  cmd->add_flag("-f,--follow", options->follow,
                "Stream every rank's log ('[rank N] ' prefix) until the job ends; prints "
                "'job ID submitted' and the final state on stderr, exits 0 when SUCCEEDED, "
                "1 otherwise");
  cmd->add_flag("--no-prefix", options->no_prefix, "With --follow: no '[rank N] ' prefix");
  cmd->footer("Examples:\n  ID=$(jobctl submit job.yaml)\n  jobctl submit jobs/mnist.yaml --follow\n\n" +
              ExitStatusHelp());
  table.Add(cmd, [&global, options] { return RunSubmit(global, *options); });
}

}  // namespace jobctl::cli
