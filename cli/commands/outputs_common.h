// Helpers shared by `jobctl outputs`/`download` and `jobctl model`: choosing
// files of a manifest, rendering them, and downloading them with a summary.
//
// Thread-safety: pure functions, except FetchAndReport (network, disk).
#pragma once

#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "cli/blob_download.h"
#include "cli/controller_client.h"
#include "common/protocol/messages.h"

namespace jobctl::cli {

// The files at `path` (a file, or a folder's files; "" or "outputs": all;
// a leading "outputs/" is ignored), each with its destination under `dir`:
// its whole path, or with `strip_parent` its path below the parent folder
// of `path`. kNotFound when nothing matches.
Result<std::vector<DownloadItem>> SelectFiles(const std::vector<protocol::OutputFile>& files,
                                              const std::string& path, const std::string& dir,
                                              bool strip_parent);

std::string FormatFilesTable(const std::vector<protocol::OutputFile>& files);
nlohmann::json FilesJson(const std::vector<protocol::OutputFile>& files);

// Downloads `items` from the client's controller (progress bar on a
// terminal) and prints a summary line or JSON; returns the exit status.
int FetchAndReport(const ControllerClient& client, const std::vector<DownloadItem>& items,
                   const std::string& output);

}  // namespace jobctl::cli
