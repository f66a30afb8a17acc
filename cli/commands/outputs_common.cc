#include "cli/commands/outputs_common.h"

#include <cstdio>

#include "cli/exit_codes.h"
#include "cli/output.h"
#include "cli/progress_bar.h"

namespace jobctl::cli {

Result<std::vector<DownloadItem>> SelectFiles(const std::vector<protocol::OutputFile>& files,
                                              const std::string& path_in, const std::string& dir,
                                              bool strip_parent) {
  std::string path = path_in;
  while (path.rfind("./", 0) == 0) path.erase(0, 2);
  if (path == "outputs") path.clear();
  if (path.rfind("outputs/", 0) == 0) path.erase(0, 8);
  while (!path.empty() && path.back() == '/') path.pop_back();
  std::string parent;
  if (strip_parent) {
    size_t slash = path.rfind('/');
    if (slash != std::string::npos) parent = path.substr(0, slash + 1);
  }
  std::vector<DownloadItem> out;
  for (const auto& f : files) {
    if (!path.empty() && f.path != path && f.path.rfind(path + "/", 0) != 0) continue;
    std::string rel = f.path.substr(parent.size());
    out.push_back({f, dir.empty() ? rel : dir + "/" + rel});
  }
  if (out.empty() && !path.empty()) {
    return NotFoundError("no output file or folder 'outputs/" + path + "'");
  }
  return out;
}

std::string FormatFilesTable(const std::vector<protocol::OutputFile>& files) {
  std::vector<std::vector<std::string>> rows;
  for (const auto& f : files) {
    rows.push_back({f.path, std::to_string(f.size), FormatBytes(f.size), f.sha256.substr(0, 12)});
  }
  return RenderTable({"PATH", "BYTES", "SIZE", "SHA256"}, rows);
}

nlohmann::json FilesJson(const std::vector<protocol::OutputFile>& files) {
  nlohmann::json out = nlohmann::json::array();
  for (const auto& f : files) {
    out.push_back({{"path", f.path}, {"size", f.size}, {"sha256", f.sha256}, {"mode", f.mode}});
  }
  return out;
}

int FetchAndReport(const ControllerClient& client, const std::vector<DownloadItem>& items,
                   const std::string& output) {
  DownloadOptions options;
  options.timeout = client.timeout();
  options.progress = output != "json" && ProgressBar::StderrIsTerminal();
  BlobDownloader downloader(client.endpoint(), options, client.credentials());
  auto summary = downloader.DownloadAll(items);
  if (!summary.ok()) {
    std::fprintf(stderr, "jobctl: download failed: %s\n", summary.status().message().c_str());
    return summary.status().code() == StatusCode::kUnavailable ? kExitUnreachable : kExitFailed;
  }
  if (output == "json") {
    nlohmann::json list = nlohmann::json::array();
    for (const auto& i : items) {
      list.push_back({{"path", i.file.path},
                      {"size", i.file.size},
                      {"sha256", i.file.sha256},
                      {"dest", i.dest}});
    }
    std::string text = DumpJson({{"files", summary->files},
                                 {"bytes", summary->bytes},
                                 {"seconds", summary->seconds},
                                 {"items", list}});
    std::fwrite(text.data(), 1, text.size(), stdout);
  } else {
    double mbs = summary->seconds > 0 ? double(summary->bytes) / summary->seconds : 0;
    std::printf("downloaded %d files, %s in %.2f s (%s/s)\n", summary->files,
                FormatBytes(summary->bytes).c_str(), summary->seconds,
                FormatBytes(static_cast<int64_t>(mbs)).c_str());
  }
  return kExitOk;
}

}  // namespace jobctl::cli
