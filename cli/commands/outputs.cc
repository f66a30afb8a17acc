// `jobctl outputs ID` and `jobctl download ID [PATH] [-d DIR]`.
#include <chrono>
#include <cstdio>
#include <memory>
#include <thread>

#include "cli/blob_download.h"
#include "cli/commands/command.h"
#include "cli/commands/outputs_common.h"
#include "cli/exit_codes.h"
#include "cli/output.h"
#include "cli/progress_bar.h"

namespace jobctl::cli {
namespace {

struct OutputsOptions {
  std::string job_id;
  int attempt = 0;
  std::string output = "table";
};

struct DownloadCommandOptions {
  std::string job_id;
  std::string path;
  std::string dir = ".";
  int attempt = 0;
  int wait_s = 600;
  std::string output = "table";
};

void Print(const std::string& text) { std::fwrite(text.data(), 1, text.size(), stdout); }

nlohmann::json OutputsJson(const protocol::ListOutputsReply& r) {
  return {{"job_id", r.job_id},         {"attempt", r.attempt},
          {"status", r.status},         {"reason", r.reason},
          {"nodes", r.nodes},           {"nodes_committed", r.nodes_committed},
          {"files", FilesJson(r.files)}};
}

std::string StatusLine(const protocol::ListOutputsReply& r) {
  std::string line =
      "job " + r.job_id + " attempt " + std::to_string(r.attempt) + ": outputs " + r.status;
  if (r.status == "ready") {
    int64_t bytes = 0;
    for (const auto& f : r.files) bytes += f.size;
    line += " (" + std::to_string(r.files.size()) + " files, " + FormatBytes(bytes) + ")";
  } else if (r.status == "uploading") {
    line += " (" + std::to_string(r.nodes_committed) + " of " + std::to_string(r.nodes) +
            " nodes stored)";
  }
  if (!r.reason.empty()) line += ": " + r.reason;
  return line + "\n";
}

int RunOutputs(const GlobalOptions& global, const OutputsOptions& options) {
  return WithClient(global, [&](ControllerClient& client) {
    auto reply = client.Call<protocol::ListOutputsReply>(
        protocol::ListOutputsRequest{options.job_id, options.attempt});
    if (!reply.ok()) return ReportError(reply.status(), client.endpoint());
    if (options.output == "json") {
      Print(DumpJson(OutputsJson(*reply)));
      return kExitOk;
    }
    Print(StatusLine(*reply));
    if (!reply->files.empty()) Print(FormatFilesTable(reply->files));
    return kExitOk;
  });
}

int RunDownload(const GlobalOptions& global, const DownloadCommandOptions& options) {
  return WithClient(global, [&](ControllerClient& client) {
    auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(options.wait_s);
    bool told = false;
    while (true) {
      auto reply = client.Call<protocol::ListOutputsReply>(
          protocol::ListOutputsRequest{options.job_id, options.attempt});
      if (!reply.ok()) return ReportError(reply.status(), client.endpoint());
      if (reply->status == "ready") {
        auto items = SelectFiles(reply->files, options.path, options.dir, /*strip_parent=*/false);
        if (!items.ok()) {
          std::fprintf(stderr, "jobctl: job %s: %s\n", options.job_id.c_str(),
                       items.status().message().c_str());
          return kExitUsage;
        }
        return FetchAndReport(client, *items, options.output);
      }
      if (reply->status != "uploading" || std::chrono::steady_clock::now() >= deadline) {
        std::string why =
            reply->status == "uploading"
                ? "still uploading after --wait " + std::to_string(options.wait_s) + " s"
                : reply->status + (reply->reason.empty() ? "" : ": " + reply->reason);
        std::fprintf(stderr, "jobctl: job %s: outputs are %s; nothing downloaded\n",
                     options.job_id.c_str(), why.c_str());
        return kExitFailed;
      }
      if (!told) {
        std::fprintf(stderr, "jobctl: job %s: waiting for its outputs to finish uploading\n",
                     options.job_id.c_str());
        told = true;
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(300));
    }
  });
}

}  // namespace

void RegisterOutputs(CLI::App& app, GlobalOptions& global, CommandTable& table) {
  auto outputs = std::make_shared<OutputsOptions>();
  CLI::App* cmd = app.add_subcommand(
      "outputs",
      "List a job's outputs: what its ranks wrote to $JOBCTL_OUTPUTS_DIR (rank 0 at the top, "
      "rank N under rank-N/), with size and sha256, and whether the upload is ready");
  cmd->add_option("id", outputs->job_id, "The job id")->required();
  cmd->add_option("--attempt", outputs->attempt, "An earlier attempt (default: the latest)")
      ->check(CLI::NonNegativeNumber);
  cmd->add_option("-o,--output", outputs->output,
                  "table, or json: {job_id, attempt, status (pending, uploading, ready, failed, "
                  "none), reason, nodes, nodes_committed, files: [{path, size, sha256, mode}]}")
      ->check(CLI::IsMember({"table", "json"}))
      ->capture_default_str();
  cmd->footer("Examples:\n  jobctl outputs 12\n  jobctl outputs 12 -o json\n\n" + ExitStatusHelp());
  table.Add(cmd, [&global, outputs] { return RunOutputs(global, *outputs); });

  auto download = std::make_shared<DownloadCommandOptions>();
  cmd = app.add_subcommand(
      "download",
      "Download a job's outputs, all of them or one file or folder, checking every file's "
      "sha256 before it is renamed into place");
  cmd->add_option("id", download->job_id, "The job id")->required();
  cmd->add_option("path", download->path,
                  "A file or folder of the outputs (e.g. model.safetensors, rank-1, or "
                  "outputs/checkpoints); default: everything");
  cmd->add_option("-d,--dir", download->dir,
                  "Where to write; files keep their path under the outputs (default: .)")
      ->capture_default_str();
  cmd->add_option("--attempt", download->attempt, "An earlier attempt (default: the latest)")
      ->check(CLI::NonNegativeNumber);
  cmd->add_option("--wait", download->wait_s,
                  "Seconds to wait while the outputs are still uploading")
      ->check(CLI::NonNegativeNumber)
      ->capture_default_str();
  cmd->add_option("-o,--output", download->output,
                  "table (a summary line), or json: {files, bytes, seconds, items: [{path, "
                  "size, sha256, dest}]}")
      ->check(CLI::IsMember({"table", "json"}))
      ->capture_default_str();
  cmd->footer(
      "A progress bar is drawn on stderr when it is a terminal. Nothing partial is left\n"
      "under a file's name: each file is written to a temporary name and renamed once its\n"
      "sha256 matches. Outputs that failed to upload, or a job that still runs, exit 1.\n\n"
      "Examples:\n  jobctl download 12 -d ./out\n  jobctl download 12 model.safetensors\n"
      "  jobctl download 12 rank-1 -d /tmp/r1\n\n" +
      ExitStatusHelp());
  table.Add(cmd, [&global, download] { return RunDownload(global, *download); });
}

}  // namespace jobctl::cli
