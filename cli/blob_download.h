// Downloading job outputs: read_blob requests over the CLI's own DEALER
// socket, `max_in_flight` ranges of `chunk_bytes` outstanding at once.
// Each file is written to a temporary file beside its destination, hashed
// as it arrives, and renamed into place only when its size and SHA-256
// match the manifest; otherwise the temporary file is removed and the
// download fails (never partial data under the final name).
//
// Thread-safety: not thread-safe; one per thread.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>
#include <zmq.hpp>

#include "common/auth/client_credentials.h"
#include "common/protocol/messages.h"
#include "common/status.h"

namespace jobctl::cli {

struct DownloadItem {
  protocol::OutputFile file;
  std::string dest;  // where it goes
};

struct DownloadOptions {
  int64_t chunk_bytes = 4 << 20;
  int max_in_flight = 4;
  std::chrono::milliseconds timeout{5000};  // per reply
  bool progress = false;                    // draw a progress bar on stderr
};

struct DownloadSummary {
  int files = 0;
  int64_t bytes = 0;
  double seconds = 0;
};

class BlobDownloader {
 public:
  // `creds`: the CURVE keys the controller client uses (nullopt: plain text,
  // for tests of servers without authentication).
  BlobDownloader(std::string endpoint, DownloadOptions options,
                 std::optional<auth::ClientCredentials> creds = std::nullopt);
  ~BlobDownloader();

  // Fetches one file; `on_bytes` gets the bytes of it received so far.
  Status Download(const DownloadItem& item, const std::function<void(int64_t)>& on_bytes);
  // Fetches every item (creating folders), with a progress bar when asked.
  Result<DownloadSummary> DownloadAll(const std::vector<DownloadItem>& items);

 private:
  std::string endpoint_;
  DownloadOptions options_;
  zmq::context_t context_;
  std::unique_ptr<zmq::socket_t> socket_;
  uint64_t next_id_;
};

}  // namespace jobctl::cli
