// The controller's data directory. Every path the controller writes is built
// by a function here; nothing else concatenates paths under the data dir.
//
//   <data_dir>/
//   |-- state.db              SQLite state: jobs, transitions, rank exits, counters
//   |-- state.db-wal          (SQLite write-ahead log)
//   |-- archives/
//   |   |-- <sha256>.tar.gz   code archives, content-addressed, immutable
//   |   `-- tmp/              partial archive writes, renamed into place when complete
//   |-- logs/
//   |   `-- <job_id>.log      append-only job log: log_records.h AppendRecord format
//   |-- artifacts/
//   |   |-- artifacts.db      SQLite: output manifests (job, attempt, node) and their files
//   |   |-- blobs/
//   |   |   `-- <aa>/<sha256> job output files, content-addressed, immutable
//   |   `-- tmp/
//   |       `-- <sha256>.part a blob being received; emptied at start
//   |-- models.db             SQLite: the model registry (versions refer to blobs)
//   `-- auth/                 0700: controller.key (0600), controller.pub, credentials.json
//                             (0600), admin.token and agent.token (0600); the layout is
//                             drawn in auth/key_store.h, which writes it
//
// Thread-safety: pure functions, except CreateDataDirLayout (filesystem).
#pragma once

#include <string>
#include <string_view>

#include "common/status.h"

namespace jobctl::controller::paths {

std::string StateDbPath(std::string_view data_dir);
std::string ArchivesDir(std::string_view data_dir);
std::string ArchiveTempDir(std::string_view data_dir);
std::string ArchivePath(std::string_view data_dir, std::string_view sha256_hex);
std::string LogsDir(std::string_view data_dir);
std::string JobLogPath(std::string_view logs_dir, std::string_view job_id);
std::string ArtifactsDir(std::string_view data_dir);
std::string ArtifactsDbPath(std::string_view data_dir);
std::string BlobsDir(std::string_view data_dir);
// blobs/<first two hex digits>/<sha256>
std::string BlobPath(std::string_view data_dir, std::string_view sha256_hex);
std::string BlobTempDir(std::string_view data_dir);
std::string BlobTempPath(std::string_view data_dir, std::string_view sha256_hex);
std::string ModelsDbPath(std::string_view data_dir);

// ~/.local/share/jobctl/controller (or ./jobctl-controller when HOME is unset).
std::string DefaultDataDir();

// Creates every directory of the layout. Names the failing path on error.
Status CreateDataDirLayout(std::string_view data_dir);

}  // namespace jobctl::controller::paths
